/* SPDX-License-Identifier: ISC */
/*
 * spoolbench.c - the mail queue's costs on a real disk: queueing 1 KB
 * messages (each one file write and two fsyncs) and listing the queue.
 * A benchmark, not a test: nothing fails on a number; the targets are
 * printed beside the measurements.
 *
 *   spoolbench [DIR [N]]	(a new spool in DIR, default a temporary
 *				 directory under $TMPDIR or /var/tmp;
 *				 N entries, default 10000)
 *
 * Put DIR on the disk the spool will live on: fsync costs what the disk
 * makes it cost (tmpfs makes it free).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"

#define LIST_RUNS 5
#define FLOOR_RUNS 500

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The least a durable queueing can cost: write the bytes to a new file,
 * fsync it, rename it into another directory, fsync that directory.
 * Median milliseconds over `runs`.
 */
static double
bench_floor(const char *base, const char *data, size_t len, long runs)
{
	char a[800], b[800], da[700], db[700];
	double *t = malloc((size_t)runs * sizeof(*t)), t0, med;
	char *buf = malloc(len);
	long i;
	int fd, dfd;

	snprintf(da, sizeof(da), "%s/floor-a", base);
	snprintf(db, sizeof(db), "%s/floor-b", base);
	mkdir(da, 0700);
	mkdir(db, 0700);
	memset(buf, 'x', len);
	memcpy(buf, data, len < 1024 ? len : 1024);
	for (i = 0; i < runs; i++) {
		snprintf(a, sizeof(a), "%s/%ld", da, i);
		snprintf(b, sizeof(b), "%s/%ld", db, i);
		t0 = now();
		fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || write(fd, buf, len) != (ssize_t)len ||
		    fsync(fd) != 0 || close(fd) != 0 || rename(a, b) != 0 ||
		    (dfd = open(db, O_RDONLY | O_DIRECTORY)) < 0 ||
		    fsync(dfd) != 0 || close(dfd) != 0) {
			perror("floor");
			exit(1);
		}
		t[i] = now() - t0;
	}
	for (i = 0; i < runs; i++) {
		snprintf(b, sizeof(b), "%s/%ld", db, i);
		unlink(b);
	}
	rmdir(da);
	rmdir(db);
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	med = t[runs / 2] * 1e3;
	free(t);
	free(buf);
	return med;
}

/* spool_list of the n entries LIST_RUNS times: best and median. */
static int
bench_list(struct spool *sp, long n, const char *what)
{
	struct spool_list l;
	struct smtpc_error err;
	double lt[LIST_RUNS], t0;
	int i;

	for (i = 0; i < LIST_RUNS; i++) {
		t0 = now();
		if (spool_list(sp, 0, &l, &err) != 0) {
			fprintf(stderr, "spoolbench: %s\n", err.message);
			return -1;
		}
		lt[i] = now() - t0;
		if (l.n != (size_t)n)
			fprintf(
			    stderr, "spoolbench: listed %zu of %ld\n", l.n, n);
		spool_list_free(&l);
	}
	qsort(lt, LIST_RUNS, sizeof(*lt), cmp_double);
	printf("  list of %ld entries%s: best %.1f ms, median %.1f ms "
	       "(target < 500 ms for 10,000)\n",
	    n, what, lt[0] * 1e3, lt[LIST_RUNS / 2] * 1e3);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *rcpt[] = {"someone@example.org"};
	char base[512], qdir[600], id[SPOOL_ID_SIZE], msg[1024], cmd[700];
	const char *tmp = getenv("TMPDIR");
	struct spool_envelope env;
	struct spool_opts o;
	struct smtpc_error err;
	struct spool_entry *e;
	struct spool_due *d;
	enum spool_disposition disp;
	struct spool *sp;
	double *t, t0, sum = 0, floor_ms;
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 10000, i;
	int fd, made = 0, rc;

	if (n < 1)
		n = 1;
	if (argc > 1)
		snprintf(base, sizeof(base), "%s", argv[1]);
	else {
		snprintf(base, sizeof(base), "%s/spoolbench-XXXXXX",
		    tmp != NULL ? tmp : "/var/tmp");
		if (mkdtemp(base) == NULL) {
			perror(base);
			return 1;
		}
		made = 1;
	}
	snprintf(qdir, sizeof(qdir), "%s/queue-%ld", base, (long)getpid());
	spool_opts_init(&o);
	o.dir = qdir;
	if (spool_open(&o, &sp, &err) != 0) {
		fprintf(stderr, "spoolbench: %s\n", err.message);
		return 1;
	}
	memset(msg, 'x', sizeof(msg));
	memcpy(msg, "Subject: bench\r\n\r\n", 18);
	memcpy(msg + sizeof(msg) - 2, "\r\n", 2);
	snprintf(cmd, sizeof(cmd), "%s/msg", base);
	fd = open(cmd, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
		perror(cmd);
		return 1;
	}
	unlink(cmd);
	memset(&env, 0, sizeof(env));
	env.from = "me@example.net";
	env.rcpt = rcpt;
	env.nrcpt = 1;
	env.account = "bench";
	if ((t = malloc((size_t)n * sizeof(*t))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		lseek(fd, 0, SEEK_SET);
		t0 = now();
		if (spool_enqueue_fd(sp, &env, fd, id, &err) != 0) {
			fprintf(stderr, "spoolbench: %s\n", err.message);
			return 1;
		}
		t[i] = now() - t0;
		sum += t[i];
	}
	close(fd);
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("queue %ld messages of 1 KiB in %s\n", n, qdir);
	printf("  enqueue (write + fsync file + rename + fsync dir): "
	       "median %.3f ms, mean %.3f ms, p99 %.3f ms\n",
	    t[n / 2] * 1e3, sum / (double)n * 1e3, t[n * 99 / 100] * 1e3);
	floor_ms = bench_floor(
	    base, msg, sizeof(msg) + 200, n < FLOOR_RUNS ? n : FLOOR_RUNS);
	printf("  floor (the same syscalls without the spool): median %.3f ms; "
	       "enqueue / floor = %.2f (target: one write, two fsyncs)\n",
	    floor_ms, t[n / 2] * 1e3 / floor_ms);
	if (bench_list(sp, n, "") != 0)
		return 1;

	/* Each entry tried once and deferred: a state record beside each. */
	t0 = now();
	if (spool_due_begin(sp, 0, &d, &err) != 0)
		return 1;
	while ((rc = spool_next_due(d, &e, &err)) == 1) {
		spool_set_outcome_all(e, SPOOL_OUT_TEMP, 451, "4.7.1 later");
		if (spool_record(sp, e, "451 4.7.1 later", &disp, &err) != 0)
			break;
		spool_entry_free(e);
	}
	spool_due_end(d);
	if (rc != 0) {
		fprintf(stderr, "spoolbench: %s\n", err.message);
		return 1;
	}
	printf("  claim, record a 4xx and release each: %.3f ms per entry\n",
	    (now() - t0) * 1e3 / (double)n);
	if (bench_list(sp, n, " with state records") != 0)
		return 1;
	spool_close(sp);
	free(t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", made ? base : qdir);
	if (system(cmd) != 0)
		fprintf(stderr, "spoolbench: could not remove %s\n", qdir);
	return 0;
}
