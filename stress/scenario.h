/* scenario.h - one stress scenario as the ledger, the flush log and the
 * observer recorded it, and its judgement.
 *
 * Owns: rebuilding the history of a scenario that really ran (possibly
 * killed in the middle) and judging it with the oracle.  Pure: no I/O
 * beyond the caller's buffers.  The program is regenerated from its seed;
 * the statements the ledger shows as run are replayed on the model for
 * the bookkeeping (processes, closes, deaths); the decisions come from the
 * filesystem (its flush log) and what the observer saw, placed by time.
 * Nothing the timing does not prove is reported: an observation counts
 * from the first statement that started after the look ended, and a
 * statement whose outcome is unknown allows either outcome.
 */
#ifndef TERNRIG_SCENARIO_H
#define TERNRIG_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include "judge.h"
#include "real_history.h"
#include "trace.h"

struct scen_step {
    uint64_t intent_t, result_t; /* ns, CLOCK_REALTIME; 0 = none */
    int32_t result;
    int32_t pid, pid2;  /* the acting task's process; its second task's
                           (fork's child...), or 0: who flushes what */
};

/* A look at one file from t0 to t1: visible with `size` bytes, or not
 * visible at all (a worker's look after a statement that closed fds). */
struct scen_obs {
    uint16_t file;
    bool content_ok;
    uint64_t size, t0, t1;
    bool visible;
};


struct scenario {
    uint32_t id, worker;
    uint64_t seed;
    uint32_t nsteps;          /* as generated */
    unsigned interleave;      /* programs merged into it */
    uint64_t begin_t;
    struct scen_step *step;   /* nsteps entries */
    bool killed, interrupted; /* a kill injected during statement kill_step */
    uint32_t kill_step;
    uint16_t kill_task;
    bool ended;               /* LR_END: result 0 ran, <0 the run failed */
    int32_t end_result;
    uint64_t end_t;
    bool cut;                 /* its worker was SIGKILLed mid-scenario */
    uint64_t cut_t;
    struct scen_obs *obs;
    size_t nobs, cap_obs;
    struct rh_decision *dec;
    size_t ndec, cap_dec;
};

/* One violation of a scenario, with its evidence in words. */
struct scen_finding {
    uint8_t kind;
    uint16_t file;
    char explain[256];
    char evidence[5][200];
    unsigned nevidence;
    /* lost-file right after a close(2) (not close_range, io_uring, dup2 or
     * exec): under fuse-closetracker one the close tracker counts, so a
     * lost file there means the count did not happen (a full map) */
    bool after_close_syscall;
};

struct scen_verdict {
    bool judged;              /* false: records missing, see why */
    bool nothing_ran;         /* cut before its first statement began: no
                                 history, nothing to judge (not judged) */
    char why[160];
    uint32_t sealed, aborted, uncertain;
    struct scen_finding f[8];
    unsigned nfound;          /* violations (hazards are not kept) */
    uint32_t nviolations;
};

/* Cut `p` (the scenario's program, from scenario_program) to the program as
 * it ran (cut at the kill, with the kill statement, or at the worker's
 * death; p needs room for one more statement) and judge it under `pol`;
 * `have_log`: decisions come from the flush log (else only observations).
 * `t_origin` is the storm's start, for times in the evidence. */
void scenario_judge(struct judge *j, struct program *p, enum policy pol,
                    const struct scenario *sc, bool have_log,
                    uint64_t t_origin, struct scen_verdict *out);

/* The program a scenario of `nsteps` statements runs, from its seed:
 * `interleave` independent generated programs (1..4) merged into one. */
void scenario_program(struct model *m, struct program *p, uint64_t seed,
                      uint32_t nsteps, unsigned interleave);

#endif
