/* SPDX-License-Identifier: ISC */
/*
 * clash.c - a program with functions named like libsmtpc's internal ones
 * (buf_init, b64_encode, reply_push), linked against the installed static
 * library: it builds only if the archive exports nothing but smtpc_*.
 */
#include <stdio.h>
#include <string.h>

#include <smtpc.h>

int buf_init(void);
int b64_encode(void);
int reply_push(void);

int
buf_init(void)
{
	return 1;
}

int
b64_encode(void)
{
	return 2;
}

int
reply_push(void)
{
	return 3;
}

int
main(void)
{
	if (buf_init() + b64_encode() + reply_push() != 6)
		return 1;
	if (strcmp(smtpc_version(), SMTPC_VERSION) != 0)
		return 1;
	printf("%s\n", smtpc_version());
	return 0;
}
