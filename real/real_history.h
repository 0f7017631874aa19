/* real_history.h - the history of a run that really happened, and its
 * judgement.
 *
 * Owns: building "the model's skeleton plus what the real system did" in
 * one way for every real executor: the lockstep replay (real_exec.c,
 * statement by statement) and the storm's scenario judge
 * (stress/scenario.c, by time windows).  The skeleton is the model's
 * statements, closes, deaths and flushes (with the real results where the
 * run knows them); the decisions are the filesystem's (its flush log),
 * each matched to the model's flush of the same file by the process that
 * flushed; the looks are what a directory listing showed (EV_OBSERVE) or
 * did not (EV_UNSEEN).  Each event keeps where it came from, for the
 * evidence.  One call judges the whole with the oracle: a history without
 * a flush log is judged on its looks alone (history.looks_only).  Pure: no
 * I/O.
 */
#ifndef TERNRIG_REAL_HISTORY_H
#define TERNRIG_REAL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "oracle.h"

/* Where an event came from. */
enum rh_source {
    RH_MODEL,  /* the model's skeleton                              */
    RH_LOG,    /* the filesystem's flush log                        */
    RH_LOOK,   /* a look that saw the file visible                  */
    RH_UNSEEN, /* a look that did not find the file                 */
};

struct rh_origin {
    uint8_t src;     /* enum rh_source */
    uint32_t stmt;   /* the statement it belongs to                 */
    uint64_t t0, t1; /* when (ns, CLOCK_REALTIME), 0 when not known */
};

/* One decision the filesystem logged. */
struct rh_decision {
    uint16_t file;
    uint8_t type;    /* EV_SEAL, EV_ABORT, or EV_FLUSH (ignored)    */
    bool mm_alive;   /* the flusher's mm                            */
    int32_t tgid;    /* the process that flushed                    */
    uint64_t t;      /* ns, CLOCK_REALTIME                          */
    uint64_t size;   /* the file's size when decided (seal: final)  */
    int32_t tid;     /* the thread that flushed (0: not known)      */
    bool group_exit; /* its process was being killed or exiting     */
};

struct real_history {
    struct event *ev;
    struct rh_origin *org;
    uint32_t n, cap;
    bool growable;   /* storage is the history's own (rh_init)      */
    bool overflow;   /* an event was dropped: storage full          */
    bool looks_only; /* no flush log: see event.h                   */
};

/* A history with storage of its own, grown as needed (rh_free). */
void rh_init(struct real_history *h, bool looks_only);
/* A history in the caller's storage of `cap` events. */
void rh_init_fixed(struct real_history *h, struct event *ev,
                   struct rh_origin *org, uint32_t cap, bool looks_only);
void rh_free(struct real_history *h);

/* Append an event; returns its index, or -1 (storage full: `overflow`). */
int32_t rh_put(struct real_history *h, const struct event *e, uint8_t src,
               uint32_t stmt, uint64_t t0, uint64_t t1);
/* Append what the real system did (event_real): a decision or a look. */
int32_t rh_put_real(struct real_history *h, uint8_t type, uint16_t file,
                    uint64_t bytes, uint32_t stmt, uint8_t src, uint64_t t0,
                    uint64_t t1);

/* The decision that answers the model's flush of `file` by process
 * `flusher` (0: not known) whose mm was `mm_alive` (1, 0, or -1: not
 * known), among the `n` in `d` not yet `used`, logged in [lo, hi) (hi 0:
 * at any time): that process's with that mm state, else that process's.
 * A process can flush one file twice in a statement (an io-wq worker
 * dropping, mm gone, the fd table it kept after an unshare; then the
 * exec's close-on-exec with the new mm).  Thread ids do not tell them
 * apart: a non-leader exec takes over the leader's.  Without one,
 * `fallback` takes the first on the file (the caller then reports the
 * difference), else none.  Returns its index, or -1. */
int rh_pick_decision(const struct rh_decision *d, size_t n, const bool *used,
                     uint16_t file, int32_t flusher, int mm_alive,
                     uint64_t lo, uint64_t hi, bool fallback);

/* Judge the history with the oracle by done rule `done` (the policy's
 * policy_done_rule()): 0 with `v` filled, or -1 with *bad the malformed
 * event (as oracle_judge). */
int rh_judge(struct oracle *o, const struct real_history *h, uint32_t nfiles,
             unsigned done, struct verdict *v, uint32_t *bad);

#endif
