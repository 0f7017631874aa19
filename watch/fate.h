/* fate.h - what happened to each file a command created, from the
 * embedded filesystem's log (flushlog.h), and why, in plain words.
 *
 * Owns: grouping the log's events by file, the verdict (sealed with N
 * bytes, by a close or, for an O_TMPFILE file, by its link; empty or
 * truncated because sealed early, aborted, never sealed)
 * and its one-line explanation.  Pure: no I/O.
 */
#ifndef TERNRIG_FATE_H
#define TERNRIG_FATE_H

#include <stdbool.h>
#include <stddef.h>
#include "flushlog.h"

enum fate_verdict {
    FATE_SEALED,        /* visible, and no write or truncate was refused   */
    FATE_EMPTY,         /* sealed with 0 bytes, then changes were refused  */
    FATE_TRUNCATED,     /* sealed with some bytes, then changes refused    */
    FATE_ABORTED,       /* aborted: never visible                          */
    FATE_LOST,          /* never sealed nor aborted: invisible, expires    */
    FATE_CREATE_FAILED, /* the filesystem refused the create               */
    FATE_VERDICT_COUNT
};

struct fate {
    unsigned long ino, parent;
    char name[256];            /* the name it was created with            */
    int creator_tgid, creator_tid;
    char creator_comm[64];
    double t_create;
    size_t *events;            /* indices into the log, in order           */
    size_t nevents, cap;
    size_t decider;            /* the flush that sealed or aborted it, or
                                  (size_t)-1                               */
    enum fate_verdict verdict;
    long long size;            /* bytes when decided (-1: unknown)          */
    long long writes;          /* successful write calls (-1: unknown)      */
    long long written;         /* their bytes (-1: unknown); an aborted
                                  file's size is 0, this is what it lost   */
    unsigned flushes, ignored, ignored_from_others;
    unsigned refused_sealed;   /* writes refused: the file was sealed      */
    unsigned refused_append;   /* writes refused: not at the end (EINVAL)  */
    unsigned refused_other;    /* writes refused otherwise (EIO: aborted)  */
    unsigned truncates_refused;
    long long refused_bytes, first_bad_off;
    bool refused_by_creator;   /* a refused write came from the creator    */
    char other_writer[64];     /* the first other process whose write was
                                  refused, "" if none                      */
    bool tmpfile;              /* O_TMPFILE: named only by its link; `name`
                                  is then the link's ("" until linked)     */
    unsigned links_refused;    /* linkat calls the filesystem refused      */
    char link_refused[24];     /* the first one's errno name ("EPERM")     */
};

struct fates {
    struct fate *f;
    size_t n, cap;
};

/* One fate per create in `log` (refused creates included), in create
 * order; events of files created before the log excerpt are left out.
 * Returns 0, or -1 when out of memory. */
int fates_build(const struct flog *log, struct fates *out);
void fates_free(struct fates *fs);

const char *fate_verdict_name(enum fate_verdict v);

/* Lost or cut short by the filesystem: empty, truncated, aborted, lost. */
bool fate_is_loss(const struct fate *f);

/* Who sent flush `ev` of `f`, relative to its creator: "its creator
 * (bash[12])", "another process (true), exiting (mm gone)"... */
void fate_describe_flusher(const struct fate *f, const struct flog_event *ev,
                           bool with_pids, char *buf, size_t cap);

/* The verdict and why, in one line ("empty: sealed with 0 bytes at a
 * close by its creator (bash) ...").  Without pids it is the same on every
 * run (the compatibility matrix). */
void fate_explain(const struct fate *f, const struct flog *log,
                  bool with_pids, char *buf, size_t cap);

#endif
