/* SPDX-License-Identifier: ISC */
/*
 * spool_int.h - what the mail queue's four files share and nothing else
 * uses: the spool handle, the crash points of test builds, and the helpers
 * they call across (spool.h has the API and the reasons for the layout).
 */
#ifndef SMTPC_CLI_SPOOL_INT_H
#define SMTPC_CLI_SPOOL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "spool.h"

/*
 * Test builds (-DSPOOL_TEST_HOOKS) die by SIGKILL at the point named by
 * $SMTPC_SPOOL_CRASH_AT, so tests can check what every stage leaves
 * behind, and pause 2 ms at the one named by $SMTPC_SPOOL_DELAY_AT, to
 * widen a race window, and read the time from $SMTPC_SPOOL_NOW (seconds)
 * when it is set; the program is built without them (the tests use a
 * build of it with them, smtpc-test-hooks) and the points cost nothing.
 */
#ifdef SPOOL_TEST_HOOKS
void spool_crash_point(const char *name);
#define SPOOL_CRASH(name) spool_crash_point(name)
#else
#define SPOOL_CRASH(name)                                                      \
	do {                                                                   \
	} while (0)
#endif

#define SPOOL_PARAM_MAX 1000 /* parameters in one envelope */

enum spool_dir_kind {
	SPOOL_TMP,
	SPOOL_QUEUE,
	SPOOL_FAILDIR,
	SPOOL_RUNDIR, /* the journals of queue runs (spool_group.c) */
	SPOOL_NDIRS
};

extern const char *const spool_dir_names[SPOOL_NDIRS];

struct spool {
	char *dir;
	int dfd;
	int sub[SPOOL_NDIRS]; /* tmp/, queue/, failed/ */
	int64_t backoff_first, backoff_max, lifetime, tmp_grace;
	int shared;
	spool_clock_fn *clock;
	spool_random_fn *random;
	void *user;
	/* Group commit (spool_group.c): syncs wait for spool_group_commit. */
	int group;
	struct spool_journal *journal;
};

/* spool_record.c */
int spool_fail(struct smtpc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int spool_oom(struct smtpc_error *err);
/* Replace *dst with a copy of src (NULL clears); -1 out of memory. */
int spool_set_str(char **dst, const char *src);
int spool_log_add(struct spool_entry *e, int64_t when, const char *text);
int spool_param_key_valid(const char *k, size_t len);

/* spool.c, spool_entry.c */
unsigned spool_unique(void); /* a per-process counter for file names */
int spool_fail_errno(struct smtpc_error *err, int e, const struct spool *sp,
    const char *verb, int sub, const char *name);
int spool_fsync(int fd);
/* All of `len` bytes at `off`, or -1 with errno (a short read: EIO). */
int spool_pwrite_all(int fd, const void *p, size_t len, uint64_t off);
int spool_pread_all(int fd, void *p, size_t len, uint64_t off);
/* spool_fsync, or nothing while a group commit defers it. */
int spool_sync_later(const struct spool *sp, int fd);
/* spool_group.c: journals of runs that died, dealt with (spool_recover). */
void spool_group_free(struct spool *sp);
int64_t spool_now(const struct spool *sp);
uint32_t spool_rand(const struct spool *sp);
int spool_has_suffix(const char *s, const char *suffix);
int spool_read_names(struct spool *sp, int sub, char ***ret, size_t *ret_n,
    struct smtpc_error *err);
/*
 * What a directory listing says of an entry's companions, for
 * spool_read_entry: SPOOL_HAVE_UNKNOWN (look), else these bits.
 */
#define SPOOL_HAVE_UNKNOWN (-1)
#define SPOOL_HAVE_ST 0x1      /* ID.st */
#define SPOOL_HAVE_SENDING 0x2 /* ID.sending (spool_mark_sending) */

int spool_read_entry(struct spool *sp, int sub, const char *id, int fd,
    int have_st, struct spool_entry *e, struct smtpc_error *err);
/* Remove queue/ID.sending (a state written since supersedes it). */
void spool_unmark_sending(struct spool *sp, const char *id);
int spool_write_state(
    struct spool *sp, int sub, struct spool_entry *e, struct smtpc_error *err);

/* spool_run.c */
enum spool_state spool_derive(const struct spool_entry *e, int *ret_done);
void spool_interrupted(struct spool_entry *e);
int spool_lock_entry(struct spool *sp, int sub, const char *id,
    struct spool_entry **ret, int *ret_busy, struct smtpc_error *err);
int spool_settle(struct spool *sp, struct spool_entry *e, int *ret_gone,
    struct smtpc_error *err);
int spool_remove_files(
    struct spool *sp, struct spool_entry *e, struct smtpc_error *err);

#endif
