/* worker.h - a storm's worker process: scenario after scenario through the
 * real executor.
 *
 * Owns: the worker's loop (each scenario's program generated from a seed
 * drawn from the worker's generator, run by real_run in the worker's
 * directory, its files unlinked after), the ledger hooks around every
 * statement (LR_BEGIN, LR_INTENT, LR_RESULT, LR_KILL, LR_END, and on a
 * foreign mount a look at every file after each statement), the SIGKILL
 * injected into the next statement on SIGUSR1, the counters every process
 * of the storm adds to, and the traces of runs the executor could not
 * finish (OUT/failed-runs).  The supervisor forks the worker and reads the
 * counters and the ledger; nothing here judges.
 */
#ifndef TERNRIG_WORKER_H
#define TERNRIG_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "ledger.h"
#include "stress.h"
#include "trace.h"

#define MAX_WORKERS 64

/* Counters every process of the storm adds to (shared, atomic). */
struct storm_shared {
    uint64_t scenarios, steps, forks, execs, kills, failed_runs;
    uint32_t next_scen[MAX_WORKERS]; /* each worker's next scenario number */
    volatile int stop;
};

struct worker_ctx {
    const struct stress_options *o;
    struct ledger *ledger; /* NULL: no records (overhead benchmark) */
    struct storm_shared *sh;
    unsigned index;
    const char *storm_dir;
    char dir[4096];
    char prefix[32];
    uint32_t scen;
    struct program *p;
    uint64_t rng;
    bool foreign;           /* not the embedded fs: observe after steps */
    bool killed_this_run;   /* a kill was injected into the current run */
};

/* In the worker's process: SIGTERM ends the loop after the scenario
 * running, SIGUSR1 kills a process of the next statement. */
void worker_signals(void);

/* The worker's loop, until SIGTERM; returns its exit status. */
int worker_main(struct worker_ctx *w);

#endif
