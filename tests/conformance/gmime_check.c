/* SPDX-License-Identifier: ISC */
/*
 * gmime_check.c - print what GMime 3 decodes from messages, for the
 * conformance test (tests/conformance/conformance.py compares it with what
 * went in).
 *
 * Usage: gmime_check FILE...
 * For each FILE, lines of TAB-separated fields; strings are hex-encoded
 * UTF-8 so that no byte of a decoded value can break the format:
 *   F  path                          a new message starts
 *   S  hex(subject)
 *   H  name  hex(value)              every header field, decoded
 *   A  field  hex(name)  hex(addr)   each mailbox of From/To/Cc/Reply-To
 *   M  depth  type                   a multipart
 *   P  depth  type  disposition  hex(filename)  hex(content-id)  sha256  len
 *      hex(name)                     Content-Type's name= alone
 *   I  depth  hex(subject)           a message/rfc822 part's message, whose
 *                                    parts follow at depth + 1
 *   E  reason                        GMime could not parse the file
 * "-" stands for a missing value.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

static void
check_hex(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		fputs("-", stdout);
		return;
	}
	if (*p == '\0')
		fputs("=", stdout);	/* empty, not missing */
	for (; *p != '\0'; p++)
		printf("%02x", *p);
}

static void
check_addresses(GMimeMessage *m, GMimeAddressType type, const char *field)
{
	InternetAddressList *l = g_mime_message_get_addresses(m, type);
	InternetAddress *a;
	int i, n;

	if (l == NULL)
		return;
	n = internet_address_list_length(l);
	for (i = 0; i < n; i++) {
		a = internet_address_list_get_address(l, i);
		printf("A\t%s\t", field);
		check_hex(internet_address_get_name(a));
		putchar('\t');
		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			check_hex(internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(a)));
		else
			fputs("group", stdout);
		putchar('\n');
	}
}

static void
check_part(GMimeObject *o, int depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	GMimeMessage *inner;
	GMimeDataWrapper *w;
	GMimeStream *mem;
	GByteArray *ba;
	char *type = g_mime_content_type_get_mime_type(ct);
	gchar *sum;
	int i, n;

	if (GMIME_IS_MULTIPART(o)) {
		printf("M\t%d\t%s\n", depth, type);
		n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
		for (i = 0; i < n; i++)
			check_part(g_mime_multipart_get_part(GMIME_MULTIPART(o),
			    i), depth + 1);
		g_free(type);
		return;
	}
	printf("P\t%d\t%s\t", depth, type);
	g_free(type);
	fputs(g_mime_object_get_disposition(o) ?
	    g_mime_object_get_disposition(o) : "-", stdout);
	putchar('\t');
	if (GMIME_IS_PART(o))
		check_hex(g_mime_part_get_filename(GMIME_PART(o)));
	else
		check_hex(g_mime_object_get_content_disposition_parameter(o,
		    "filename"));
	putchar('\t');
	check_hex(g_mime_object_get_content_id(o));
	mem = g_mime_stream_mem_new();
	if (GMIME_IS_PART(o) &&
	    (w = g_mime_part_get_content(GMIME_PART(o))) != NULL)
		g_mime_data_wrapper_write_to_stream(w, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, ba->data,
	    ba->len);
	printf("\t%s\t%u\t", sum, ba->len);
	check_hex(g_mime_content_type_get_parameter(ct, "name"));
	putchar('\n');
	g_free(sum);
	g_object_unref(mem);
	if (GMIME_IS_MESSAGE_PART(o) &&
	    (inner = g_mime_message_part_get_message(
	    GMIME_MESSAGE_PART(o))) != NULL) {
		printf("I\t%d\t", depth);
		check_hex(g_mime_message_get_subject(inner));
		putchar('\n');
		if (g_mime_message_get_mime_part(inner) != NULL)
			check_part(g_mime_message_get_mime_part(inner),
			    depth + 1);
	}
}

static void
check_file(const char *path)
{
	GMimeStream *st;
	GMimeParser *p;
	GMimeMessage *m;
	GMimeHeaderList *hl;
	GMimeHeader *h;
	int i, n;

	printf("F\t%s\n", path);
	if ((st = g_mime_stream_fs_open(path, O_RDONLY, 0, NULL)) == NULL) {
		printf("E\tcannot open\n");
		return;
	}
	p = g_mime_parser_new_with_stream(st);
	g_object_unref(st);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	if (m == NULL) {
		printf("E\tnot a message\n");
		return;
	}
	printf("S\t");
	check_hex(g_mime_message_get_subject(m));
	putchar('\n');
	hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
	n = g_mime_header_list_get_count(hl);
	for (i = 0; i < n; i++) {
		h = g_mime_header_list_get_header_at(hl, i);
		printf("H\t%s\t", g_mime_header_get_name(h));
		check_hex(g_mime_header_get_value(h));
		putchar('\n');
	}
	check_addresses(m, GMIME_ADDRESS_TYPE_FROM, "From");
	check_addresses(m, GMIME_ADDRESS_TYPE_TO, "To");
	check_addresses(m, GMIME_ADDRESS_TYPE_CC, "Cc");
	check_addresses(m, GMIME_ADDRESS_TYPE_REPLY_TO, "Reply-To");
	if (g_mime_message_get_mime_part(m) != NULL)
		check_part(g_mime_message_get_mime_part(m), 0);
	g_object_unref(m);
}

int
main(int argc, char **argv)
{
	int i;

	g_mime_init();
	for (i = 1; i < argc; i++)
		check_file(argv[i]);
	g_mime_shutdown();
	return fflush(stdout) == 0 ? 0 : 1;
}
