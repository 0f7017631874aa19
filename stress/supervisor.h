/* supervisor.h - the storm supervisor's state, shared by its parts.
 *
 * Owns: `struct sup`, everything the supervisor process knows during a
 * storm: its options and result, the workers' and observer's pids, the
 * ledger and the flush log with the scenarios they describe so far, the
 * judge and the reproducers' counts; and the clock and fork helpers the
 * parts share.  Internal to stress/: the parts are records.c (ledger into
 * scenarios), logtail.c (flush-log decisions into scenarios), judging.c,
 * reproducer.c, stressng.c (--load) and supervisor.c (processes, kills,
 * restarts, cleanup, progress, stress_run).
 */
#ifndef TERNRIG_SUPERVISOR_H
#define TERNRIG_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "judge.h"
#include "ledger.h"
#include "real_mount.h"
#include "scenario.h"
#include "stress.h"
#include "worker.h"

#define MAX_ORPHANS 65536   /* flush-log lines ahead of the ledger */
#define STORM_INODES 4096   /* tmpfiles known by inode (struct sup)  */

struct sup {
    const struct stress_options *o;
    struct stress_result *r;
    struct ledger *ledger;
    struct storm_shared *sh;
    pid_t worker_pid[MAX_WORKERS];
    uint64_t worker_cut_t[MAX_WORKERS];
    pid_t observer;
    pid_t load_pid;
    char state_dir[256];
    char storm_dir[4096];
    char log[300];
    FILE *logf;
    long log_off;
    struct real_mount rm;
    bool mounted;
    struct scenario **pend;
    size_t npend, cap_pend;
    uint64_t after_seq;
    uint64_t t_origin;
    double t0;
    struct judge j;
    struct program *prog;
    unsigned repro_count[FIND_KIND_COUNT];
    struct {
        uint32_t scen;
        struct rh_decision d;
    } orphan[MAX_ORPHANS];
    uint32_t norphans;
    /* the storm's tmpfiles by inode (LR_INODE), for their flush-log lines,
     * unnamed until linked: slot ino % STORM_INODES, the latest wins */
    struct storm_inode {
        uint64_t ino;
        uint32_t scen;
        uint16_t file;
    } inode[STORM_INODES];
    char why[200];
};

/* CLOCK_MONOTONIC in seconds. */
double now_mono(void);

/* fork a child that dies with us (PR_SET_PDEATHSIG). */
pid_t fork_tied(void);

#endif
