/* SPDX-License-Identifier: ISC */
/*
 * spool.h - the local mail queue on disk: messages waiting to be sent,
 * kept so that none is lost and none is sent twice without being asked.
 *
 * Layout of a spool directory (0700; every file 0600):
 *
 *   tmp/         files being written; never read as entries
 *   queue/ID     an entry: the message bytes, then the envelope, then a
 *                fixed-size footer (below); written once, never changed
 *   queue/ID.st  the entry's delivery state, replaced as a whole
 *   queue/ID.sending  the entry's end may be going out (below)
 *   failed/      entries given up on (ID, ID.st, and ID.report when a
 *                failure report was written)
 *   run/PID.N    the journal of a queue run (spool_group.c): the entries
 *                it took, and those whose changes it synced
 *
 * Why one immutable file plus a state file.  Queueing must cost one file
 * write and two fsyncs: the message and its envelope go into one file in
 * tmp/, which is fsynced, renamed into queue/, and queue/ is fsynced.  The
 * rename is the commit: before it nothing is queued, after it all is, so
 * no half entry can ever be seen.  The envelope follows the message (not
 * before it) so that a caller who has already written the message into a
 * spool temp file (sendmail mode, which only learns from the headers or a
 * failed send that it must queue) commits it without copying a byte.  What
 * changes after queueing (per-recipient state, attempts, next attempt,
 * errors, history) lives in ID.st, written to tmp/, fsynced, renamed over
 * the old one, directory fsynced.  No ID.st means "queued, never tried".
 *
 * Footer: the last SPOOL_FOOTER_LEN bytes of queue/ID are
 * "smtpc-queue-end OOOOOOOOOOOOOOOO LLLLLLLL\n": the message's length
 * (where the envelope starts) and the envelope's length, in hex.
 *
 * Text records (envelope and state) are lines "key value"; the value runs
 * to the end of the line.  Bytes below 0x20, DEL and backslash are written
 * "\xHH", so a server's reply text can hold anything.  The first line names
 * the format and its version; anything else is refused with a sentence
 * naming the file and the line.
 *
 * IDs: "SSSSSSSSSS.UUUUUU.PID.CCCCRRRRRRRR" (seconds and microseconds of
 * the wall clock, process ID, a per-process counter and 32 random bits):
 * unique without any coordination, as Maildir names are, and sorted by age
 * as strings.
 *
 * Locks.  A runner holds flock(LOCK_EX) on the open entry file from the
 * moment it claims the entry until its outcome is recorded; the entry file
 * is never replaced, so the lock stays on it (a rename to failed/ keeps the
 * inode).  flock and not fcntl: an fcntl lock is dropped when the process
 * closes *any* descriptor of the file (listing it, say), and flock locks
 * die with the process, so a runner killed with -9 leaves no stale lock.
 * Every descriptor is close-on-exec, so a password command started by the
 * runner does not inherit it.  After taking the lock the claimer checks
 * that queue/ID still names the locked file: another runner may have
 * delivered and removed it between our open and our flock.
 *
 * No blind double send.  spool_mark_sending() marks, before the final
 * dot (or BDAT LAST) goes out, that the recipients still pending are
 * being sent: the mark is queue/ID.sending, a second name (hard link) of
 * the entry file, made in one step with nothing to write (synced, unless
 * a group commit defers it: spool_group.c).  If the process then dies,
 * the next claimer finds the mark with the lock free: the server may or
 * may not have the message (RFC 1047), so those recipients become
 * "uncertain" and are not sent again unless the caller asks
 * (SPOOL_DUE_UNCERTAIN: same bytes, so the same Message-ID).  Any state
 * written afterwards says what became of them and removes the mark.  A
 * runner that fails before the dot records a temporary outcome and the
 * recipients go back to pending.
 *
 * Order of removals.  Delivered: the entry file is unlinked first, then
 * ID.st and ID.sending; a crash between leaves orphans that nothing reads
 * and spool_sweep() removes.  The other order would leave a message with no
 * state, which looks freshly queued and would be sent again.  Given up:
 * the final state is written to queue/ID.st first (the commit: a claimer
 * that finds "failed" in queue/ finishes the move), then to failed/ID.st,
 * then queue/ID is renamed to failed/ID and queue/ID.st unlinked.
 *
 * Errors are negative SMTPC_E* codes with a sentence naming the path in
 * err->message: SMTPC_ETEMP for a full disk or quota (ENOSPC, EDQUOT) and
 * for an entry another process has locked (try later: exit 75), SMTPC_EIO
 * for any other failure to create, write or read (read-only, permission:
 * exit 74), SMTPC_EDATA for a file that is not a queue record,
 * SMTPC_ENOINPUT for an ID that is not in the spool, SMTPC_ENOMEM.
 *
 * The library never keeps files of its user: this module is the program's,
 * in seven files: spool.c (opening, queueing), spool_entry.c (an entry's
 * files once queued: reading them, its state record, its "sending" mark),
 * spool_run.c (claims and the runner's transitions), spool_admin.c
 * (listing, the commands on one entry, sweeping, the failure report),
 * spool_group.c (group commit for a run, and recovery after the computer
 * stopped under one), spool_format.c (the text records written) and
 * spool_record.c (read back, which fuzz_spool_meta feeds with arbitrary
 * bytes; and the entry in memory).
 */
#ifndef SMTPC_CLI_SPOOL_H
#define SMTPC_CLI_SPOOL_H

#include <stdint.h>
#include <stdio.h>

#include "smtpc.h"

#define SPOOL_ID_SIZE 48
#define SPOOL_FOOTER_LEN 42
#define SPOOL_RCPT_MAX 100000	     /* recipients in one entry */
#define SPOOL_RECORD_MAX (16u << 20) /* bytes of envelope or state text */
#define SPOOL_LINE_MAX (64u << 10)   /* bytes of one record line */
#define SPOOL_LOG_KEEP 32	     /* history lines kept per entry */

/* Defaults for struct spool_opts. */
#define SPOOL_BACKOFF_FIRST 60	   /* seconds before the first retry */
#define SPOOL_BACKOFF_MAX 3600	   /* the longest wait between tries */
#define SPOOL_LIFETIME (5 * 86400) /* then pending recipients fail */
#define SPOOL_TMP_GRACE 600	   /* an unlocked tmp file this old is junk */

enum spool_state {
	SPOOL_QUEUED = 0, /* recipients pending, waiting for next_attempt */
	SPOOL_HELD = 1,	  /* put aside by the user: never sent until released */
	SPOOL_SENDING = 2,   /* a runner is at or past the final dot */
	SPOOL_UNCERTAIN = 3, /* nothing pending; some recipients may have it */
	SPOOL_FAILED = 4,    /* given up: nothing pending or uncertain */
};

enum spool_rcpt_state {
	SPOOL_RCPT_PENDING = 0,	  /* to be sent */
	SPOOL_RCPT_SENDING = 1,	  /* in the transaction being finished */
	SPOOL_RCPT_DONE = 2,	  /* the server took the message for it */
	SPOOL_RCPT_FAILED = 3,	  /* refused for good (5xx, or lifetime over) */
	SPOOL_RCPT_UNCERTAIN = 4, /* the reply to the final dot was lost */
};

/* What a runner says became of one recipient in this attempt. */
enum spool_outcome {
	SPOOL_OUT_NONE = 0,	 /* not said: pending stays pending, sending
				    becomes uncertain */
	SPOOL_OUT_ACCEPTED = 1,	 /* the message was accepted for it */
	SPOOL_OUT_TEMP = 2,	 /* 4xx or not reached: try again later */
	SPOOL_OUT_PERM = 3,	 /* 5xx: never again */
	SPOOL_OUT_UNCERTAIN = 4, /* no reply after the final dot */
};

/* What spool_record() did with the entry. */
enum spool_disposition {
	SPOOL_DISP_DELIVERED = 0, /* every recipient done: entry removed */
	SPOOL_DISP_DEFERRED = 1,  /* recipients pending: next_attempt set */
	SPOOL_DISP_FAILED = 2,	  /* moved to failed/ */
	SPOOL_DISP_UNCERTAIN =
	    3, /* waits for the user (uncertain recipients) */
};

struct spool_rcpt {
	char *addr;
	enum spool_rcpt_state state;
	int code;   /* the last reply code about it, 0 none */
	char *text; /* the last reply text or our sentence, NULL none */
	enum spool_outcome out; /* this attempt's, set by spool_set_outcome */
};

/* A "key value" pair the sender stores for itself (DSN options...). */
struct spool_param {
	char *key; /* [a-z0-9-]+ */
	char *value;
};

struct spool_log {
	int64_t when;
	char *text;
};

/*
 * One entry as read from disk.  Fields are the caller's to read; the
 * runner changes them only through the functions below.
 */
struct spool_entry {
	char id[SPOOL_ID_SIZE];
	enum spool_state state;
	int in_failed;	  /* the entry is in failed/ */
	int interrupted;  /* found "sending" with no runner: shown and
			     treated as uncertain */
	char *from;	  /* "" for the null reverse-path */
	char *account;	  /* NULL: none recorded */
	char *message_id; /* NULL: none recorded */
	int64_t created;
	uint64_t size; /* of the message */
	struct spool_rcpt *rcpt;
	size_t nrcpt;
	struct spool_param *param;
	size_t nparam;
	unsigned attempts;
	int64_t next_attempt;
	int64_t last_attempt;  /* 0: never */
	char *error;	       /* the last attempt's summary, NULL none */
	struct spool_log *log; /* oldest first, at most SPOOL_LOG_KEEP */
	size_t nlog;

	/* private */
	int fd;		   /* the entry file, or -1 */
	int locked;	   /* fd holds the entry's lock */
	uint64_t body_pos; /* spool_body_read's position */
};

/* An entry's envelope, given when queueing; strings are copied. */
struct spool_envelope {
	const char *from;	 /* "" for <>; required */
	const char *const *rcpt; /* at least one */
	size_t nrcpt;
	const char *account;	/* NULL: none */
	const char *message_id; /* NULL: none */
	const struct spool_param *param;
	size_t nparam;
};

typedef int64_t spool_clock_fn(void *user);
typedef uint32_t spool_random_fn(void *user);

struct spool_opts {
	const char *dir;	/* NULL: spool_default_dir() */
	unsigned backoff_first; /* seconds; 0: SPOOL_BACKOFF_FIRST */
	unsigned backoff_max;	/* seconds; 0: SPOOL_BACKOFF_MAX */
	int64_t lifetime;	/* seconds; 0: SPOOL_LIFETIME */
	int64_t tmp_grace;	/* seconds; -1: SPOOL_TMP_GRACE */
	/*
	 * Accept a directory that others may write to or that belongs to
	 * another user (a system spool).  Off: such a directory is refused,
	 * since whoever can write there can make us send mail as us.
	 */
	int shared;
	spool_clock_fn *clock;	 /* NULL: time(NULL) */
	spool_random_fn *random; /* NULL: getrandom() */
	void *user;		 /* for clock and random */
};

struct spool;
struct spool_tmp;
struct spool_due;

/* Every count and hook 0 or NULL; tmp_grace -1. */
void spool_opts_init(struct spool_opts *o);
/*
 * The per-user spool: $XDG_STATE_HOME/smtpc/queue, else
 * $HOME/.local/state/smtpc/queue.  Fails with SMTPC_ECONFIG when neither
 * variable is set (or they are relative), SMTPC_ELIMIT when too long.
 */
int spool_default_dir(char *buf, size_t size, struct smtpc_error *err);
/*
 * Open the spool, creating the directories (0700) it lacks.  Fails with
 * SMTPC_EIO (cannot create or open: read-only, permission), SMTPC_ETEMP
 * (disk full), SMTPC_ECONFIG (not a directory, or writable by others
 * without o->shared).
 */
int spool_open(
    const struct spool_opts *o, struct spool **ret, struct smtpc_error *err);
void spool_close(struct spool *sp);
const char *spool_dir(const struct spool *sp);

/*
 * Queueing.  spool_enqueue_fd copies the message from `fd` (read to its
 * end, 64 KiB at a time) and commits it; *ret_id gets the new ID.  On any
 * failure nothing is queued and the temp file is gone.  Queue the message
 * exactly as it is to go out (Date and Message-ID already added): every
 * attempt, and a resend of an uncertain one, sends these very bytes.
 */
int spool_enqueue_fd(struct spool *sp, const struct spool_envelope *env, int fd,
    char ret_id[SPOOL_ID_SIZE], struct smtpc_error *err);
/*
 * Or in two steps: spool_tmp_new gives a temp file in the spool (locked,
 * so spool_sweep leaves it alone however long it is kept) whose descriptor
 * the caller writes the message to; spool_tmp_commit queues it (it takes
 * the message as everything written, up to the file's size) and frees
 * `t` whatever happens; spool_tmp_discard drops it.
 */
int spool_tmp_new(
    struct spool *sp, struct spool_tmp **ret, struct smtpc_error *err);
int spool_tmp_fd(const struct spool_tmp *t);
int spool_tmp_commit(struct spool *sp, struct spool_tmp *t,
    const struct spool_envelope *env, char ret_id[SPOOL_ID_SIZE],
    struct smtpc_error *err);
void spool_tmp_discard(struct spool_tmp *t);

/*
 * Running the queue.  spool_due_begin takes a snapshot of the queue's IDs,
 * oldest first; spool_next_due returns 1 with the next entry that is due,
 * claimed (locked) and settled (an interrupted send turned uncertain and
 * written back), 0 when there is none left, or an error.  Entries locked
 * by another process, held, uncertain, or not due yet are skipped.  An
 * error about one entry (a foreign file, say) is returned once; calling
 * again goes on with the next.  Entries queued after spool_due_begin are
 * for the next snapshot.
 */
#define SPOOL_DUE_ALL 0x1	/* ignore next_attempt (flush) */
#define SPOOL_DUE_UNCERTAIN 0x2 /* uncertain recipients become pending */

int spool_due_begin(struct spool *sp, unsigned flags, struct spool_due **ret,
    struct smtpc_error *err);
int spool_next_due(
    struct spool_due *d, struct spool_entry **ret, struct smtpc_error *err);
void spool_due_end(struct spool_due *d);
/*
 * Claim one entry by ID, due or not (but not held, and uncertain only with
 * SPOOL_DUE_UNCERTAIN): 0 with *ret claimed; SMTPC_ETEMP when another
 * process has it; SMTPC_ENOINPUT when it is not in queue/.  With nothing
 * to send (held, uncertain without the flag, given up) *ret is NULL.
 */
int spool_claim(struct spool *sp, const char *id, unsigned flags,
    struct spool_entry **ret, struct smtpc_error *err);

/*
 * The message of a claimed or loaded entry, a smtpc_body_read_fn over
 * `user` (the entry): reads e->size bytes from the start, then 0.
 * spool_body_rewind starts again (a second attempt on one claim).
 */
int spool_body_read(void *user, void *buf, size_t cap, size_t *ret_len,
    struct smtpc_error *err);
void spool_body_rewind(struct spool_entry *e);

/* This attempt's outcome for recipient `i` (code 0 and text NULL: none). */
void spool_set_outcome(struct spool_entry *e, size_t i, enum spool_outcome out,
    int code, const char *text);
/* The same for every recipient still pending or being sent. */
void spool_set_outcome_all(
    struct spool_entry *e, enum spool_outcome out, int code, const char *text);
/*
 * Mark, before the final dot, that every pending recipient with no
 * outcome set yet (those the server took at RCPT) is being sent.  If this
 * fails, do not send the dot.
 */
int spool_mark_sending(
    struct spool *sp, struct spool_entry *e, struct smtpc_error *err);
/*
 * Record the attempt: outcomes applied (a recipient being sent with no
 * outcome becomes uncertain), attempts counted, and then: all done →
 * removed; some pending → next_attempt after the back-off, or, past the
 * lifetime, the pending ones fail; nothing pending → failed/ or, with
 * uncertain recipients, wait for the user.  `summary` (may be NULL) goes
 * to e->error and the history.  The entry stays claimed; free it with
 * spool_entry_free.
 */
int spool_record(struct spool *sp, struct spool_entry *e, const char *summary,
    enum spool_disposition *ret, struct smtpc_error *err);
/* The wait after the n-th failed attempt (n >= 1), jitter included. */
int64_t spool_backoff(struct spool *sp, unsigned n);
/* Closes the entry's file (releasing a claim) and frees it; NULL is a no-op. */
void spool_entry_free(struct spool_entry *e);
const char *spool_entry_param(const struct spool_entry *e, const char *key);

/*
 * Group commit for a queue run (spool_group.c says why and how).
 * spool_group_start opens the run's journal and defers the syncs of what
 * the runner changes; spool_group_note journals (synced) the IDs of
 * entries about to be claimed, before any of them is; spool_group_release
 * says the run is done with an entry (recorded, or skipped), and every
 * SPOOL_GROUP_WINDOW of them are synced together (spool_group_commit);
 * spool_group_finish syncs the rest and removes the journal.  Without a
 * boot ID (not Linux) start does nothing and every change is synced as it
 * is made.  spool_recover deals with the journals of runs that died
 * (spool_due_begin calls it): *ret_held counts entries made uncertain.
 */
#define SPOOL_GROUP_WINDOW 128

int spool_group_start(struct spool *sp, struct smtpc_error *err);
int spool_group_note(struct spool *sp, const char *const *ids, size_t n,
    struct smtpc_error *err);
int spool_group_release(
    struct spool *sp, const char *id, struct smtpc_error *err);
int spool_group_commit(struct spool *sp, struct smtpc_error *err);
int spool_group_finish(struct spool *sp, struct smtpc_error *err);
int spool_recover(struct spool *sp, size_t *ret_held, struct smtpc_error *err);

/*
 * Administration.  spool_list reads every entry of queue/ (and failed/
 * with SPOOL_LIST_FAILED) without locking, oldest first; a file it cannot
 * read becomes one sentence in problem[] and the listing goes on.  Entries
 * found "sending" with no runner are shown interrupted and uncertain.
 */
#define SPOOL_LIST_FAILED 0x1

struct spool_list {
	struct spool_entry **entry;
	size_t n;
	char **problem;
	size_t nproblem;
};

int spool_list(struct spool *sp, unsigned flags, struct spool_list *out,
    struct smtpc_error *err);
void spool_list_free(struct spool_list *l);
/* One entry from queue/ or failed/, not claimed (its body readable). */
int spool_load(struct spool *sp, const char *id, struct spool_entry **ret,
    struct smtpc_error *err);
/* Remove an entry (queued, held, uncertain or failed) unless it is claimed. */
int spool_drop(struct spool *sp, const char *id, struct smtpc_error *err);
/* Put aside / put back (due at once) an entry of queue/. */
int spool_hold(struct spool *sp, const char *id, struct smtpc_error *err);
int spool_release(struct spool *sp, const char *id, struct smtpc_error *err);
/*
 * Remove the leftovers of processes that died: tmp/ files no one has
 * locked that are older than the grace time, and state or report files
 * whose entry is gone.  *ret_removed (may be NULL) counts them.
 */
int spool_sweep(struct spool *sp, size_t *ret_removed, struct smtpc_error *err);

/*
 * The failure report: a plain text for the sender saying, for each
 * failed recipient, "Your message to X could not be delivered:" and why.
 * spool_report_write prints it; spool_report_save writes it to
 * failed/ID.report (atomically) and puts that path in `path`.
 */
int spool_report_write(const struct spool_entry *e, FILE *fp);
int spool_report_save(struct spool *sp, const struct spool_entry *e, char *path,
    size_t size, struct smtpc_error *err);

const char *spool_state_name(enum spool_state s);
/* "delivered", "queued" (deferred), "failed", "uncertain": as --json says. */
const char *spool_disposition_name(enum spool_disposition d);
const char *spool_rcpt_state_name(enum spool_rcpt_state s);

/*
 * The record formats, for the fuzzer and the tests.  spool_parse_meta
 * fills the envelope fields of a zeroed entry (spool_entry_init) from
 * [text, text + len); spool_parse_state the state fields, given the
 * recipients; `what` names the source in error sentences.  On failure the
 * entry holds what was parsed so far: free it.  spool_format_* return a
 * malloc'ed text (NULL: out of memory) and its length.
 * spool_parse_footer checks a footer against the file's size and gives
 * the message and envelope lengths.
 */
void spool_entry_init(struct spool_entry *e);
/* Frees what `e` holds (closing its file) and zeroes it again. */
void spool_entry_clear(struct spool_entry *e);
int spool_parse_meta(const char *text, size_t len, const char *what,
    struct spool_entry *e, struct smtpc_error *err);
int spool_parse_state(const char *text, size_t len, const char *what,
    struct spool_entry *e, struct smtpc_error *err);
int spool_parse_footer(const char *footer, uint64_t file_size, const char *what,
    uint64_t *ret_msg_len, uint32_t *ret_meta_len, struct smtpc_error *err);
char *spool_format_meta(const struct spool_entry *e, size_t *ret_len);
char *spool_format_state(const struct spool_entry *e, size_t *ret_len);
/* 1 when `s` has the shape of an ID (and so is a safe file name). */
int spool_id_valid(const char *s);

#endif
