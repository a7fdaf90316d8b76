/* SPDX-License-Identifier: ISC */
/*
 * version.c - the library's own version, for programs that want to know
 * which libsmtpc they run with rather than which header they were built
 * against.
 */
#include "smtpc.h"

const char *
smtpc_version(void)
{
	return SMTPC_VERSION;
}
