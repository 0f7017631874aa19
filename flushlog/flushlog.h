/* flushlog.h - the flush log of `ternrig fs --log FILE`: its one line
 * format, its writer and its readers.
 *
 * Owns: the line format.  The filesystem writes every line through
 * flushlog_write(); real replay, conform, the stress storm, watch, clients
 * and the benches read them through flushlog_parse_line(),
 * flushlog_read() or the tail reader.  No other code builds or parses a
 * log line.
 *
 * The format.  One JSON object per line, '\n'-terminated, flat: string,
 * integer, boolean values only.  Keys in the order written:
 *
 *   every line     "t"     CLOCK_REALTIME seconds, "SEC.NNNNNNNNN"
 *                  "op"    "create" | "flush" | "link" | "write" |
 *                          "truncate"
 *                  "ino"   the file's inode (0: a create that failed)
 *                  "name"  the file's name (JSON-escaped, any bytes)
 *   create, flush: who asked, as the context source saw it
 *                  "policy", "ctx" ("bpf" | "proc"), "tid", "tgid",
 *                  "known" (false: the source could not tell; see "why"),
 *                  "mm_alive", "other_mm_alive"
 *     with the kernel's view (ctx bpf, known):
 *                  "unique" (the FUSE request), "task", "leader", "mm",
 *                  "leader_mm" (pointers, strings "0x..."), "start_ns",
 *                  "live", "exiting", "group_exit", "exit_code"
 *                  (current->exit_code: low 7 bits a killing signal)
 *   create         "parent", "comm", "result" (a NUMBER: 0 or -errno),
 *                  "why"; "tmpfile": true for an O_TMPFILE create (its
 *                  "name" is the kernel's, "/": it has none until linked)
 *   link           linkat(AT_EMPTY_PATH) of a tmpfile: who asked, then
 *                  "parent" and "name" (the new name), "comm", "result"
 *                  (a NUMBER), "state" after it, "size", "writes",
 *                  "written", "why"
 *   flush          with BPF: "table_fds" (fds of the flusher's table on
 *                  the flushed open file, -1: no table, not counted),
 *                  "owner", "owner_mm" (pointers), "closes"
 *                  (close(2) count, -1: not counted); "owner_mm_now"
 *                  (pointer) when owner->mm was read at send time;
 *                  then "creator", "state", "size", "decision" ("seal" |
 *                  "abort" | "ignore" | "fail"), "why", "comm", "writes",
 *                  "written"
 *   write, truncate (refused): "tid", "tgid", "comm", "off", "len",
 *                  "size", "state", "result" (a STRING: the errno's name)
 *
 * "state" is the file's state after the event ("transient", "sealed",
 * "aborted"); "comm" is "?" when the task was gone.  Readers skip unknown
 * keys and default missing ones (below), so logs of older and newer
 * versions read; "result" reads as a number or a name either way, and an
 * older line's "path" (how the flush came) is kept.
 *
 * A line is written whole with one write(2), but a reader can
 * still see the start of a line the filesystem is writing: the tail
 * reader consumes only '\n'-terminated lines, so a torn read never loses
 * a decision (it is read whole next time).
 */
#ifndef TERNRIG_FLUSHLOG_H
#define TERNRIG_FLUSHLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum flog_op {
    FLOG_CREATE,   /* a create, granted (err 0) or refused                  */
    FLOG_FLUSH,    /* a flush of a transient file and its decision          */
    FLOG_WRITE,    /* a write the file refused                              */
    FLOG_TRUNCATE, /* a size change the file refused                        */
    FLOG_LINK,     /* a linkat of a tmpfile, granted (err 0) or refused      */
    FLOG_OTHER     /* (read only) an op this version does not know          */
};

/* One line.  Defaults when read and absent: numbers 0, strings "", except
 * comm "?", known true, size/writes/written/off/len/closes -1. */
struct flog_event {
    enum flog_op op;
    uint64_t t_ns;            /* CLOCK_REALTIME ns (writer: 0 = now)      */
    double t;                 /* (read) the same in seconds               */
    unsigned long ino, parent;
    char name[256];
    char comm[64];            /* the task's command name, "?" if unknown  */
    char policy[24];
    char ctx[8];              /* "bpf" or "proc" (create, flush)          */
    int tid, tgid;
    int creator;              /* flush: the file's creator tgid           */
    bool known, mm_alive, other_mm_alive;
    /* the kernel's view of the requester (BPF context source) */
    bool kernel_view;         /* the fields below are there              */
    uint64_t unique, task, leader, mm, leader_mm, start_ns;
    int live;
    bool exiting, group_exit;
    int exit_code;            /* current->exit_code                      */
    long long table_fds;      /* flush: -1 when not counted              */
    /* flush, BPF: the file's record and what was read at the flush */
    bool owner_known;         /* owner, owner_mm and closes are there     */
    uint64_t owner, owner_mm;
    long long closes;
    bool owner_mm_now_read;
    uint64_t owner_mm_now;
    char decision[16];        /* flush: seal, abort, ignore, fail          */
    int err;                  /* create/link/write/truncate: 0 or errno   */
    bool tmpfile;             /* create: O_TMPFILE                        */
    char result[24];          /* (read) "ok" or err's name ("EPERM")      */
    char state[16];           /* the file's state after the event          */
    char path[32];            /* (read, older logs) how the flush came    */
    char why[128];            /* why the context is unknown, a create's
                                 or a flush's note                        */
    long long size, writes;   /* bytes and write calls so far (-1: absent) */
    long long written;        /* bytes ever written, kept after an abort   */
    long long off, len;       /* refused write: where and how much         */
};

/* An event with every field at its default (as a line without keys). */
void flushlog_event_init(struct flog_event *ev, enum flog_op op);

/* ---- writing ---- */

/* Format `ev` as its line (with the '\n') into buf.  Returns the length,
 * or -1 when it does not fit (cap FLOG_LINE_MAX always does). */
#define FLOG_LINE_MAX 8192
int flushlog_format(const struct flog_event *ev, char *buf, size_t cap);

/* Append `ev`'s line to `f` (opened "a") with one write(2), after
 * flushing what stdio holds of `f`.  Returns 0, or -1 with errno. */
int flushlog_write(FILE *f, const struct flog_event *ev);

/* ---- reading ---- */

/* Parse one line.  Returns 0, or -1 when it is not a JSON object with an
 * "op" (then `why` says what is wrong, in at most `cap` bytes). */
int flushlog_parse_line(const char *line, struct flog_event *ev, char *why,
                        size_t cap);

struct flog {
    struct flog_event *ev;
    size_t n, cap;
};

/* Append the events of `path` from byte `offset` to `log`.  Lines that do
 * not parse are skipped and counted in *bad (may be NULL).  Returns 0, or
 * -1 with `why` (the file cannot be read, out of memory).  For a log
 * nobody writes any more; a live one is read with the tail reader. */
int flushlog_read(const char *path, long offset, struct flog *log,
                  unsigned *bad, char *why, size_t cap);
void flushlog_free(struct flog *log);

/* The log's current size: where the next command's events will start. */
long flushlog_end(const char *path);

/* Reading a log while it is written.  `f` is the caller's (opened "r"),
 * `off` the start of the first line not yet consumed: it moves past a
 * line only once the line's '\n' is there. */
struct flog_tail {
    FILE *f;
    long off;
    unsigned bad;     /* complete lines that did not parse (skipped)   */
    bool at_off;      /* f's position is `off`                          */
    char *line;
    size_t cap;
};
void flushlog_tail_init(struct flog_tail *t, FILE *f, long off);
/* The next complete line as *ev: 1.  0 when no complete line is there yet
 * (at the end, or the last line is still being written: nothing of it is
 * consumed). */
int flushlog_tail_next(struct flog_tail *t, struct flog_event *ev);
/* Free the line buffer (f stays open: it is the caller's). */
void flushlog_tail_done(struct flog_tail *t);

#endif
