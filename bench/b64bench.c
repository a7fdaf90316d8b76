/* SPDX-License-Identifier: ISC */
/*
 * b64bench.c - base64 with MIME line breaks (76 columns, CRLF) into
 * memory, for each line kernel this CPU can run, and quoted-printable on
 * text.  Prints input GiB/s, the best of several runs.  A benchmark, not a
 * test: nothing fails on a number.
 *
 *   b64bench [MiB]	(the large case's input size; default 64)
 *
 * Two cases per kernel: 64 KiB pieces streamed into one reused buffer (what
 * the MIME writer does; stays in the caches) and one large input into a
 * large output (bound by memory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "buf.h"
#include "qp.h"

#define PIECE	(64 * 1024)
#define RUNS	5

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
gib_s(size_t bytes, double secs)
{
	return (double)bytes / secs / (1024.0 * 1024 * 1024);
}

/* The input, `total` bytes in 64 KiB pieces into one output block. */
static double
run_pieces(const unsigned char *in, size_t total, unsigned char *out)
{
	struct b64_wrap w;
	double t, best = 1e9;
	size_t off, n;
	int r;

	for (r = 0; r < RUNS; r++) {
		t = now();
		b64_wrap_init(&w);
		for (off = 0; off < total; off += n) {
			n = total - off < PIECE ? total - off : PIECE;
			b64_wrap_encode(&w, in + off % (4 * PIECE), n, out);
		}
		t = now() - t;
		if (t < best)
			best = t;
	}
	return gib_s(total, best);
}

static double
run_large(const unsigned char *in, size_t total, unsigned char *out)
{
	struct b64_wrap w;
	double t, best = 1e9;
	int r;

	for (r = 0; r < RUNS; r++) {
		t = now();
		b64_wrap_init(&w);
		b64_wrap_encode(&w, in, total, out);
		t = now() - t;
		if (t < best)
			best = t;
	}
	return gib_s(total, best);
}

/* English-like text: words, spaces, line breaks, some punctuation. */
static double
run_qp(size_t total)
{
	static const char *const words[] = { "the", "message", "is", "sent",
	    "to", "server,", "and", "a", "reply", "comes", "back.", "MIME",
	    "parts", "(text)", "with", "attachments" };
	struct buf text, out;
	struct qp_enc q;
	double t, best = 1e9;
	size_t col = 0, i = 0, n;
	int r;

	buf_init(&text, total + 64);
	buf_init(&out, 4 * total);
	while (text.len < total) {
		n = strlen(words[i % 16]);
		buf_append(&text, words[i % 16], n);
		col += n + 1;
		buf_append_byte(&text, col > 70 ? '\n' : ' ');
		if (col > 70)
			col = 0;
		i = i * 7 + 3;
	}
	for (r = 0; r < RUNS; r++) {
		buf_reset(&out);
		t = now();
		qp_init(&q);
		for (i = 0; i < text.len; i += n) {
			n = text.len - i < PIECE ? text.len - i : PIECE;
			qp_update(&q, text.data + i, n, &out);
		}
		qp_final(&q, &out);
		t = now() - t;
		if (t < best)
			best = t;
	}
	buf_free(&text);
	buf_free(&out);
	return gib_s(total, best);
}

int
main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64, total, i;
	unsigned char *in, *out, *piece_out;
	const char *name;
	struct b64_wrap w;

	if (mib == 0)
		mib = 64;
	total = mib * 1024 * 1024;
	in = malloc(total);
	b64_wrap_init(&w);
	out = malloc(b64_wrap_update_size(&w, total) + 64);
	piece_out = malloc(b64_wrap_update_size(&w, PIECE) + 64);
	if (in == NULL || out == NULL || piece_out == NULL) {
		fprintf(stderr, "b64bench: out of memory\n");
		return 1;
	}
	for (i = 0; i < total; i++)
		in[i] = (unsigned char)((i * 2654435761u) >> 13);
	memset(out, 0, b64_wrap_update_size(&w, total));
	printf("base64, 76-column lines with CRLF, input GiB/s (best of %d)\n",
	    RUNS);
	printf("%-8s %14s %14s\n", "kernel", "64K pieces", "large");
	for (i = 0; (name = b64_impl_name(i)) != NULL; i++) {
		if (b64_force_impl(name) != 0) {
			printf("%-8s %14s\n", name, "not on this CPU");
			continue;
		}
		printf("%-8s %14.2f", name,
		    run_pieces(in, total, piece_out));
		printf(" %14.2f\n", run_large(in, total, out));
	}
	b64_force_impl("auto");
	printf("automatic choice: %s\n", b64_impl());
	printf("quoted-printable, English-like text: %.2f GiB/s\n",
	    run_qp(total < 16u << 20 ? total : 16u << 20));
	free(in);
	free(out);
	free(piece_out);
	return 0;
}
