/* SPDX-License-Identifier: ISC */
/*
 * progress.c - the "sending ...: NN%" line of smtpc send.
 */
#include "progress.h"

void
progress_init(struct progress *p, FILE *out, uint64_t total)
{
	p->out = total > 0 ? out : NULL;
	p->total = total;
	p->done = 0;
	p->pct = -1;
	p->open = 0;
}

static void
progress_draw(struct progress *p, int pct)
{
	double mib = (double)p->total / (1024.0 * 1024.0);

	if (mib >= 1.0)
		fprintf(p->out, "\rsmtpc: sending %.1f MiB: %3d%%", mib, pct);
	else
		fprintf(p->out, "\rsmtpc: sending %.0f KiB: %3d%%",
		    (double)p->total / 1024.0, pct);
	fflush(p->out);
	p->pct = pct;
	p->open = 1;
}

void
progress_add(struct progress *p, size_t n)
{
	int pct;

	if (p->out == NULL)
		return;
	p->done += n;
	/* A reader that gives more than it announced stops at 100%. */
	if (p->done > p->total)
		p->done = p->total;
	pct = (int)(p->done * 100 / p->total);
	if (pct != p->pct)
		progress_draw(p, pct);
}

void
progress_end(struct progress *p)
{
	if (p->out == NULL)
		return;
	if (p->open) {
		fputc('\n', p->out);
		fflush(p->out);
	}
	p->out = NULL;
}
