/* ledger.h - the stress storm's crash-safe history: a shared, file-backed
 * ring of fixed-size records.
 *
 * Owns: the record format and the ring.  Every process of a storm (workers,
 * observer, supervisor) maps the same file and appends records; a global
 * sequence number orders them.  A record is written whole and its checksum
 * last, so a SIGKILL at any instant leaves either a valid record or one
 * the reader rejects (as if never written).  Writers append an intent
 * before each operation and a result after it: an intent without a result
 * is an operation whose outcome is unknown.
 */
#ifndef TERNRIG_LEDGER_H
#define TERNRIG_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ledger_kind {
    LR_BEGIN = 1,  /* a scenario starts: a = generator seed, b = steps,
                      result = programs interleaved in it              */
    LR_INTENT,     /* step `step` of `scen` is about to run              */
    LR_RESULT,     /* it returned `result` (pid: the acting process;
                      a: the op, and the acting thread's tid << 32;
                      b: the process of its second task, e.g. fork's
                      child, or 0)                                       */
    LR_KILL,       /* the worker SIGKILLs task `a` (trace index) of scen
                      during step `step`, whose outcome is then unknown
                      if b = 1 (the acting task died with it)            */
    LR_END,        /* scen's processes are all gone: result 0 ran to the
                      end, <0 the run failed (then it is not judged), N>0
                      it stopped after statement N-1 (an open whose real
                      outcome the model did not have: real_outcome's
                      stopped_at)                                        */
    LR_OBSERVE,    /* file `step` of scen seen visible: a = size,
                      b = start of the look (ns), result 1 = content is
                      the written pattern, 0 = it is not              */
    LR_WORKER_KILL,/* the supervisor SIGKILLs worker `pid`              */
    LR_WORKER_START,/* worker `a` started as `pid`                       */
    LR_UNSEEN,     /* file `step` of scen looked for and not visible:
                      b = start of the look (ns); a worker's look after
                      a statement that closed fds, on a foreign mount    */
    LR_INODE,      /* file `step` of scen, a tmpfile (statement `result`
                      made it), is inode `a`: its flush-log lines have
                      no name until it is linked                             */
};

struct ledger_rec {
    uint64_t seq;      /* global order, from 1 */
    uint64_t t_ns;     /* CLOCK_REALTIME, as ternrig fs's flush log    */
    uint64_t a, b;
    uint32_t scen;     /* scenario id: worker << 20 | number           */
    uint16_t kind;     /* enum ledger_kind */
    uint16_t step;
    int32_t result;
    int32_t pid;
    uint32_t worker;
    uint32_t sum;      /* checksum of everything above                 */
};

struct ledger;

/* Create (truncate) the ledger file `path` with room for `capacity`
 * records (rounded up to a power of two) and map it.  NULL with `why`. */
struct ledger *ledger_create(const char *path, uint32_t capacity, char *why,
                             size_t cap);
/* Map an existing ledger file read-only (after a crash, for inspection). */
struct ledger *ledger_open(const char *path, char *why, size_t cap);
void ledger_close(struct ledger *l);

/* Append a record (seq, time and checksum are filled in); returns its
 * sequence number.  Safe from any process that inherited the mapping. */
uint64_t ledger_append(struct ledger *l, struct ledger_rec *r);

/* Records with seq > *after, in order, into `out` (at most `max`); sets
 * *after to the last one read.  Records overwritten before they were read
 * are counted in *lost; torn records (a writer killed mid-record) in
 * *torn.  A record still being written stops the read there (it is read
 * next time) unless `final` (every writer is gone) or it stays unwritten
 * for 200 ms (its writer was killed).  Returns how many were read. */
size_t ledger_read(struct ledger *l, uint64_t *after, struct ledger_rec *out,
                   size_t max, uint64_t *lost, uint64_t *torn, bool final);

/* The sequence number the next record will get. */
uint64_t ledger_next_seq(const struct ledger *l);

uint64_t ledger_now_ns(void);

#endif
