/* flushlog.h - reading `ternrig fs --log`: the JSON lines the embedded
 * filesystem writes for every create, every flush of a transient file and
 * every write or truncate it refuses (fs/ternfs_fs.c).
 *
 * Owns: turning those lines into events.  flushlog_parse_line() is pure;
 * flushlog_read() reads a log from a byte offset (the part one command
 * produced).  Unknown keys are skipped, missing ones keep their defaults,
 * so older and newer logs both read.
 */
#ifndef TERNRIG_FLUSHLOG_H
#define TERNRIG_FLUSHLOG_H

#include <stdbool.h>
#include <stddef.h>

enum flog_op {
    FLOG_CREATE,   /* a create, granted ("ok") or refused (errno name)     */
    FLOG_FLUSH,    /* a flush of a transient file and its decision         */
    FLOG_WRITE,    /* a write the file refused                              */
    FLOG_TRUNCATE, /* a size change the file refused                        */
    FLOG_OTHER
};

struct flog_event {
    enum flog_op op;
    double t;                 /* CLOCK_REALTIME seconds                    */
    unsigned long ino, parent;
    char name[256];
    char comm[64];            /* the task's command name, "?" if unknown   */
    int tid, tgid, creator;   /* creator: the file's creator tgid (flush)  */
    bool known, mm_alive;     /* flush: /proc answered; flusher's mm       */
    bool group_exit;          /* the whole process is exiting (when the
                                 context source knows it: BPF)             */
    char decision[16];        /* flush: seal, abort, ignore, fail          */
    char result[24];          /* create/write/truncate: "ok" or EPERM...   */
    char state[16];           /* the file's state after the event          */
    char path[32];            /* how the flush came, when the context
                                 source knows it (close, exit...): ""     */
    char why[128];            /* flush: why the context is unknown         */
    long long size, writes;   /* bytes and write calls so far (-1: absent) */
    long long written;        /* bytes ever written, kept after an abort   */
    long long off, len;       /* refused write: where and how much         */
};

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
 * -1 with `why` (the file cannot be read, out of memory). */
int flushlog_read(const char *path, long offset, struct flog *log,
                  unsigned *bad, char *why, size_t cap);
void flushlog_free(struct flog *log);

/* The log's current size: where the next command's events will start. */
long flushlog_end(const char *path);

#endif
