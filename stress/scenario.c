/* scenario.c - rebuild and judge one stress scenario (see scenario.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"
#include "scenario.h"

/* Several independent scenarios in one program: each generated with its
 * own names (indices offset past the previous ones), their statements
 * interleaved at random, each keeping its order.  Statements of different
 * scenarios never share a name, so every interleaving is as valid as its
 * parts; the model checks it anyway (and the first part alone is used if
 * the names do not fit).
 *
 * Scenarios carry no schedule (`order`, `reuses`: gen_program_user leaves
 * them out).  The storm runs them on a real kernel, which picks its own
 * exit order and task_struct reuse whatever a statement says (the real
 * executor cannot make it follow a written one), and the judge replays
 * the scenario on the model as written.  Under a policy whose outcome
 * the schedule can change (one that reads task_struct or mm pointers,
 * POLICY_FACTS_POINTERS: the kmod policies, on the embedded fs with BPF
 * contexts or on a real kmod mount) a written schedule the kernel did not
 * take would be judged as if it had been, and its findings would be the
 * judge's mistakes; under the others no outcome depends on it (a dying
 * group's flushes all run with mm NULL in a dead process, an exec's with
 * the exec'ing thread still holding its mm, whatever the order), so it
 * would add nothing that the kernel's own schedules do not already
 * exercise.  The storm also rebuilds each scenario from its seed with no
 * policy at hand (judging.c), so scenarios cannot depend on the policy
 * either.  Judging a run by the schedule the kernel took is issue 14's
 * item 4. */
/* The storm's weighting: the statement table's weights (gen.c), with
 * fork, vfork and exec made several times likelier.  A storm is there to
 * race process creation and death against closes and flushes, and most
 * of its time went to statements that create no process (an eighth of
 * them forked); the other statements keep their relative weights, so
 * every kind still comes.  A proposal of op O is kept with probability
 * storm_boost[O] / STORM_BOOST_MAX (rejection), so the draw stays a pure
 * function of the seed: the judge rebuilds it from the ledger's seed. */
#define STORM_BOOST_MAX 6u
static unsigned storm_boost(uint8_t op)
{
    switch (op) {
    case OP_FORK: return 6;
    case OP_VFORK: return 5;
    case OP_EXEC: return 5;
    case OP_CREATE: return 2; /* files for the forks to share */
    default: return 1;
    }
}

/* The weighting as gen_program_user_kept's hook (every statement is
 * still checked on the model, user-space statements only, no schedule
 * options), from the second statement on: the first is the first spawn. */
static bool storm_keep(uint8_t op, uint64_t *rng, const struct gen_names *n)
{
    return !n->tasks || gen_next(rng) % STORM_BOOST_MAX < storm_boost(op);
}

void scenario_program(struct model *m, struct program *p, uint64_t seed,
                      uint32_t nsteps, unsigned interleave)
{
    uint64_t rng = seed ? seed : 1;
    if (interleave < 2) {
        gen_program_user_kept(m, p, nsteps, &rng, storm_keep);
        return;
    }
    if (interleave > 4)
        interleave = 4;
    static struct program part[4], merged;
    uint16_t toff = 0, foff = 0, doff = 0;
    uint32_t total = 0;
    unsigned k = 0;
    for (; k < interleave; k++) {
        gen_program_user_kept(m, &part[k], nsteps / interleave, &rng,
                              storm_keep);
        struct program *q = &part[k];
        uint16_t nt = 0, nf = 0, nd = 0;
        for (uint32_t i = 0; i < q->nsteps; i++) {
            const struct step *s = &q->steps[i];
            nt = (uint16_t)(s->task + 1 > nt ? s->task + 1 : nt);
            nt = (uint16_t)(s->task2 + 1 > nt ? s->task2 + 1 : nt);
            nf = (uint16_t)(s->file + 1 > nf ? s->file + 1 : nf);
            nd = (uint16_t)(s->fd + 1 > nd ? s->fd + 1 : nd);
            nd = (uint16_t)(s->fd2 + 1 > nd ? s->fd2 + 1 : nd);
        }
        if (toff + nt > MAX_TASK_NAMES || foff + nf > MAX_FILE_NAMES ||
            doff + nd > MAX_FD_NAMES)
            break;
        for (uint32_t i = 0; i < q->nsteps; i++) {
            struct step *s = &q->steps[i];
            s->task = (uint16_t)(s->task + toff);
            s->task2 = (uint16_t)(s->task2 + toff);
            s->file = (uint16_t)(s->file + foff);
            s->fd = (uint16_t)(s->fd + doff);
            s->fd2 = (uint16_t)(s->fd2 + doff);
        }
        toff = (uint16_t)(toff + nt);
        foff = (uint16_t)(foff + nf);
        doff = (uint16_t)(doff + nd);
        total += q->nsteps;
    }
    program_init(&merged);
    gen_name_all(&merged);
    uint32_t next[4] = {0};
    for (uint32_t i = 0; i < total && i < MAX_STEPS; i++) {
        uint32_t left = 0;
        for (unsigned x = 0; x < k; x++)
            left += part[x].nsteps - next[x];
        uint32_t r = (uint32_t)(gen_next(&rng) % left);
        unsigned x = 0;
        while (r >= part[x].nsteps - next[x]) {
            r -= part[x].nsteps - next[x];
            x++;
        }
        merged.steps[i] = part[x].steps[next[x]++];
        merged.steps[i].line = i + 1;
        merged.nsteps = i + 1;
    }
    merged.ntasks = toff ? toff : 1;
    merged.nfiles = foff ? foff : 1;
    merged.nfds = doff ? doff : 1;
    struct trace_error err;
    if (k >= 1 && model_check(m, &merged, &err) == 0) {
        /* the statements there are, not all MAX_STEPS of them: every page
         * a worker writes is a copy-on-write fault after each spawn */
        memcpy(p, &merged, offsetof(struct program, steps) +
                               merged.nsteps * sizeof merged.steps[0]);
        return;
    }
    rng = seed ? seed : 1; /* cannot happen by construction: fall back */
    gen_program_user_kept(m, p, nsteps, &rng, storm_keep);
}

static double rel(uint64_t t, uint64_t origin)
{
    return t >= origin ? (double)(t - origin) / 1e9 : 0.0;
}

/* The statements of the program as it ran, and when each started: the
 * kill runs in the window of the statement it interrupted. */
static bool shape(struct program *p, const struct scenario *sc,
                  uint64_t *start, char *why, size_t cap)
{
    uint32_t n = 0;
    if (sc->killed) {
        n = sc->kill_step + 1;
    } else if (sc->ended && sc->end_result == 0) {
        n = p->nsteps < sc->nsteps ? p->nsteps : sc->nsteps;
    } else if (sc->ended && sc->end_result > 0) { /* stopped early */
        n = (uint32_t)sc->end_result;
        if (n > sc->nsteps)
            n = sc->nsteps;
    } else if (sc->cut) {
        for (uint32_t i = 0; i < sc->nsteps; i++)
            if (sc->step[i].intent_t)
                n = i + 1;
    } else {
        snprintf(why, cap, "the run failed (%d)", (int)sc->end_result);
        return false;
    }
    if (n > p->nsteps) {
        snprintf(why, cap, "the ledger shows more statements than generated");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        bool last = i + 1 == n;
        if (!sc->step[i].intent_t ||
            (!sc->step[i].result_t && !(last && (sc->interrupted || sc->cut)))) {
            snprintf(why, cap, "statement %u: ledger records missing", i);
            return false;
        }
        start[i] = sc->step[i].intent_t;
    }
    p->nsteps = n;
    if (sc->killed) {
        struct step *k = &p->steps[n];
        memset(k, 0, sizeof *k);
        k->op = OP_KILL;
        k->task = sc->kill_task;
        k->line = p->steps[n - 1].line + 1;
        start[n] = start[n - 1];
        p->nsteps = n + 1;
    }
    return true;
}

/* The result a statement's events get: the real one, or unknown. */
static void patch_result(struct event *e, const struct scenario *sc,
                         uint32_t stmt, bool unknown)
{
    if (e->type != EV_CREATE && e->type != EV_WRITE && e->type != EV_CLOSE &&
        e->type != EV_OP && e->type != EV_LINK)
        return;
    if (unknown) {
        e->result = RESULT_UNKNOWN;
        return;
    }
    if (stmt >= sc->nsteps || e->type == EV_CLOSE)
        return;
    int32_t r = sc->step[stmt].result;
    if (e->type == EV_WRITE && r >= 0) {
        if ((uint64_t)r < e->bytes)
            e->bytes = (uint64_t)r; /* a short write */
        e->result = 0;
    } else if (e->type == EV_CREATE || e->type == EV_WRITE ||
               e->type == EV_LINK || (e->type == EV_OP && e->op == OP_OPEN)) {
        e->result = r < 0 ? r : 0; /* tmpfile is an EV_CREATE too */
    }
}

/* The bytes successfully written to `file` so far in history `b`, through
 * its writable fds. */
static uint64_t written_so_far(const struct real_history *b, uint16_t file)
{
    uint64_t n = 0;
    for (uint32_t x = 0; x < b->n; x++)
        if (b->ev[x].type == EV_WRITE && b->ev[x].file == file &&
            b->ev[x].result == 0 && !b->ev[x].rdonly)
            n += b->ev[x].bytes;
    return n;
}

static void evidence(struct scen_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void evidence(struct scen_finding *f, const char *fmt, ...)
{
    if (f->nevidence >= sizeof f->evidence / sizeof f->evidence[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->evidence[f->nevidence++], sizeof f->evidence[0], fmt, ap);
    va_end(ap);
}

/* One evidence line for history event `x`: where it came from and when. */
static void describe(struct scen_finding *sf, const struct program *p,
                     const struct scenario *sc, const struct real_history *b,
                     uint32_t x, const uint64_t *start, uint32_t n,
                     uint64_t t_origin)
{
    const struct rh_origin *o = &b->org[x];
    const struct event *e = &b->ev[x];
    char line[160];
    trace_print_step(p, &p->steps[o->stmt < n ? o->stmt : n - 1], line,
                     sizeof line);
    uint64_t last_done = sc->step[n - 1 < sc->nsteps ? n - 1 : 0].result_t;
    if (o->src == RH_LOG && last_done && o->t0 > last_done && !sc->killed &&
        o->stmt + 1 >= n)
        evidence(sf, "flush log: %s %s at +%.6f s, after the last "
                     "statement, as the end of the scenario SIGKILLed "
                     "its processes",
                 e->type == EV_SEAL ? "sealed" : "aborted",
                 p->file_names[e->file], rel(o->t0, t_origin));
    else if (o->src == RH_LOG)
        evidence(sf, "flush log: %s %s at +%.6f s, in the window of "
                     "statement %u (`%s`, started +%.6f s)",
                 e->type == EV_SEAL ? "sealed" : "aborted",
                 p->file_names[e->file], rel(o->t0, t_origin), o->stmt + 1,
                 line, rel(start[o->stmt], t_origin));
    else if (o->src == RH_LOOK)
        evidence(sf, "look: %s visible with %llu bytes, looked "
                     "+%.6f..+%.6f s, before statement %u started",
                 p->file_names[e->file], (unsigned long long)e->bytes,
                 rel(o->t0, t_origin), rel(o->t1, t_origin), o->stmt + 2);
    else if (o->src == RH_UNSEEN)
        evidence(sf, "look: %s not visible, looked +%.6f..+%.6f s, after "
                     "statement %u `%s` ended",
                 p->file_names[e->file], rel(o->t0, t_origin),
                 rel(o->t1, t_origin), o->stmt + 1, line);
    else
        evidence(sf, "statement %u `%s` at +%.6f s", o->stmt + 1, line,
                 rel(start[o->stmt], t_origin));
}

void scenario_judge(struct judge *j, struct program *p, enum policy pol,
                    const struct scenario *sc, bool have_log,
                    uint64_t t_origin, struct scen_verdict *out)
{
    memset(out, 0, sizeof *out);
    static uint64_t start[MAX_STEPS + 1];
    if (!shape(p, sc, start, out->why, sizeof out->why))
        return;
    uint32_t n = p->nsteps;
    if (n == 0) { /* its worker was stopped before its first statement */
        out->nothing_ran = true;
        snprintf(out->why, sizeof out->why, "cut before its first statement");
        return;
    }
    bool unknown_last = sc->interrupted || (sc->cut && !sc->step[sc->killed ? sc->kill_step : n - 1].result_t);
    uint32_t unknown_stmt = sc->killed ? sc->kill_step : n - 1;

    /* the model, statement by statement: where each one's events begin */
    static uint32_t begin[MAX_STEPS + 2];
    struct trace_error err;
    model_reset(j->model, p, pol);
    for (uint32_t i = 0; i < n; i++) {
        begin[i] = model_history(j->model)->len;
        if (model_step(j->model, i, &err) < 0) {
            snprintf(out->why, sizeof out->why,
                     "statement %u does not run on the model: %.100s", i,
                     err.msg);
            return;
        }
    }
    begin[n] = model_history(j->model)->len;
    model_finish(j->model);
    const struct history *mh = model_history(j->model);
    begin[n + 1] = mh->len;

    static struct event ev[MAX_EVENTS];
    static struct rh_origin org[MAX_EVENTS];
    struct real_history b;
    rh_init_fixed(&b, ev, org, MAX_EVENTS, !have_log);
    static bool used_dec[4096];
    uint32_t ndec = sc->ndec < 4096 ? sc->ndec : 4096;
    memset(used_dec, 0, ndec);
    static bool used_obs[4096];
    uint32_t nobs = sc->nobs < 4096 ? sc->nobs : 4096;
    memset(used_obs, 0, nobs);

    /* who is who: the process of each task name, as the ledger says */
    static int32_t pid_of[MAX_TASK_NAMES];
    memset(pid_of, 0, sizeof pid_of);
    uint32_t real_n = sc->killed ? n - 1 : n; /* statements that ran */
    for (uint32_t x = 0; x < real_n && x < sc->nsteps; x++) {
        const struct step *s = &p->steps[x];
        if (!sc->step[x].result_t)
            continue;
        if (s->task < MAX_TASK_NAMES && sc->step[x].pid > 0)
            pid_of[s->task] = sc->step[x].pid;
        if (s->task2 < MAX_TASK_NAMES && sc->step[x].pid2 > 0)
            pid_of[s->task2] = sc->step[x].pid2;
    }

    /* where a look that found a file not visible goes: after the last
     * statement such that it and every earlier one ended before the look
     * started (a seal is final: "not visible then" proves "not sealed at
     * the end of each of them"); a look with no such statement proves
     * nothing and is left out */
    static uint32_t unseen_after[4096];
    for (uint32_t o = 0; o < nobs; o++) {
        const struct scen_obs *so = &sc->obs[o];
        unseen_after[o] = UINT32_MAX;
        if (so->visible)
            continue;
        for (uint32_t x = 0; x < n; x++) {
            /* the injected kill ended when its statement's result came */
            uint32_t y = sc->killed && x == n - 1 ? sc->kill_step : x;
            if (y >= sc->nsteps || !sc->step[y].result_t ||
                sc->step[y].result_t >= so->t0)
                break;
            unseen_after[o] = x;
        }
    }

    /* windows of statements that started at the same time (a kill and the
     * statement it interrupted) */
    for (uint32_t i = 0; i < n;) {
        uint32_t k = i + 1;
        while (k < n && start[k] == start[i])
            k++;
        uint64_t lo = start[i], hi = k < n ? start[k] : UINT64_MAX;
        uint32_t ev_end = k < n ? begin[k] : begin[n + 1];
        for (uint32_t x = begin[i]; x < ev_end; x++) {
            struct event e = mh->ev[x];
            uint32_t stmt = e.step < n ? e.step : n - 1;
            if (e.type == EV_SEAL || e.type == EV_ABORT)
                continue; /* the model's decisions: the real ones count */
            if (e.type == EV_FLUSH) {
                rh_put(&b, &e, RH_MODEL, stmt, 0, 0);
                if (!have_log || e.decision == 0xff)
                    continue;
                /* the filesystem's decision on this file here, by the
                 * process that flushed (several may flush one file in one
                 * window: a kill landing during another process's close) */
                uint16_t name = model_proc_name(j->model, e.proc);
                int32_t want = name < MAX_TASK_NAMES ? pid_of[name] : 0;
                if (!want && e.task < MAX_TASK_NAMES)
                    want = pid_of[e.task];
                int d = rh_pick_decision(sc->dec, ndec, used_dec, e.file, want,
                                         e.ctx_mm != 0, lo, hi, false);
                if (d >= 0) {
                    const struct rh_decision *sd = &sc->dec[d];
                    used_dec[d] = true;
                    if (sd->type == EV_SEAL || sd->type == EV_ABORT)
                        rh_put_real(&b, sd->type, sd->file, sd->size, stmt,
                                    RH_LOG, sd->t, sd->t);
                }
                continue;
            }
            patch_result(&e, sc, e.step, unknown_last && e.step == unknown_stmt &&
                                             x < begin[n]);
            rh_put(&b, &e, RH_MODEL, stmt, 0, 0);
            /* a link that succeeded for real made its tmpfile visible:
             * sealed, with what was written (the model's seal, left out
             * above, is the model's; the looks check the content) */
            if (e.type == EV_LINK && e.result == 0 && e.file < p->nfiles) {
                uint64_t t = e.step < sc->nsteps ? sc->step[e.step].result_t
                                                 : 0;
                rh_put_real(&b, EV_SEAL, e.file, written_so_far(&b, e.file),
                            stmt, RH_MODEL, t, t);
            }
        }
        /* decisions in this window no modelled flush explains: still the
         * filesystem's, recorded where they happened */
        for (uint32_t d = 0; have_log && d < ndec; d++) {
            const struct rh_decision *sd = &sc->dec[d];
            if (used_dec[d] || sd->t < lo || sd->t >= hi ||
                (sd->type != EV_SEAL && sd->type != EV_ABORT))
                continue;
            used_dec[d] = true;
            rh_put_real(&b, sd->type, sd->file, sd->size, k - 1, RH_LOG, sd->t,
                        sd->t);
        }
        /* what was seen before the next statement started */
        for (uint32_t o = 0; o < nobs; o++) {
            const struct scen_obs *so = &sc->obs[o];
            if (used_obs[o] || !so->visible || so->t1 >= hi ||
                so->file >= p->nfiles)
                continue;
            used_obs[o] = true;
            rh_put_real(&b, EV_OBSERVE, so->file, so->size, k - 1, RH_LOOK,
                        so->t0, so->t1);
        }
        /* what was not seen after this window's statements ended */
        for (uint32_t o = 0; o < nobs; o++) {
            const struct scen_obs *so = &sc->obs[o];
            if (used_obs[o] || so->visible || so->file >= p->nfiles ||
                unseen_after[o] == UINT32_MAX || unseen_after[o] < i ||
                unseen_after[o] >= k)
                continue;
            used_obs[o] = true;
            rh_put_real(&b, EV_UNSEEN, so->file, 0, k - 1, RH_UNSEEN, so->t0,
                        so->t1);
        }
        i = k;
    }

    struct verdict v;
    uint32_t bad;
    if (rh_judge(j->oracle, &b, p->nfiles, policy_done_rule(pol), &v,
                 &bad) < 0) {
        snprintf(out->why, sizeof out->why, "history event %u malformed", bad);
        return;
    }
    out->judged = true;
    for (uint32_t f = 0; f < v.nfiles; f++) {
        if (!v.files[f].created)
            continue;
        if (v.files[f].state == OUTCOME_SEALED)
            out->sealed++;
        else if (v.files[f].state == OUTCOME_ABORTED)
            out->aborted++;
    }
    if (unknown_last)
        out->uncertain++;
    for (uint32_t x = 0; x < v.nfindings; x++) {
        const struct finding *fd = &v.findings[x];
        if (finding_is_hazard((enum finding_kind)fd->kind))
            continue;
        out->nviolations++;
        if (out->nfound >= sizeof out->f / sizeof out->f[0])
            continue;
        struct scen_finding *sf = &out->f[out->nfound++];
        memset(sf, 0, sizeof *sf);
        sf->kind = fd->kind;
        sf->file = fd->file;
        finding_explain(fd, p->file_names[fd->file], sf->explain,
                        sizeof sf->explain);
        sf->after_close_syscall = fd->kind == FIND_LOST_FILE &&
                                  fd->index < b.n &&
                                  b.ev[fd->index].type == EV_CLOSE &&
                                  b.ev[fd->index].cause == CLOSE_SYSCALL;
        char line[160];
        describe(sf, p, sc, &b, fd->index, start, n, t_origin);
        if (fd->cause != fd->index &&
            fd->cause < b.n)
            describe(sf, p, sc, &b, fd->cause, start, n, t_origin);
        /* a seal from a process with its mm while it was being killed:
         * not a close(2) but a fork cut by SIGKILL, whose cleanup closes
         * the child's copy of the fd table in the forking thread's own
         * context (test_bpf_context, fork_killed_midway...) */
        for (size_t k = 0; k < sc->ndec; k++) {
            const struct rh_decision *d = &sc->dec[k];
            if (d->file == fd->file && d->type == EV_SEAL && d->mm_alive &&
                d->group_exit) {
                evidence(sf, "sealed by process %d's own flush with its mm "
                             "while it was being killed (+%.6f s): a fork cut "
                             "by SIGKILL closes the child's fds as the "
                             "forker, which reference and kmod take for a "
                             "close",
                         (int)d->tgid, rel(d->t, t_origin));
                break;
            }
        }
        /* the creator's first conscious close, if any, and when */
        for (uint32_t x2 = 0; fd->kind != FIND_LOST_FILE && x2 < b.n; x2++)
            if (b.ev[x2].type == EV_CLOSE && b.ev[x2].file == fd->file &&
                b.org[x2].src == RH_MODEL && close_cause_is_explicit(
                                          (enum close_cause)b.ev[x2].cause)) {
                trace_print_step(p, &p->steps[b.org[x2].stmt], line,
                                 sizeof line);
                evidence(sf, "first explicit close of %s: statement %u `%s`, "
                             "started +%.6f s",
                         p->file_names[fd->file], b.org[x2].stmt + 1, line,
                         rel(start[b.org[x2].stmt], t_origin));
                break;
            }
        if (sc->killed)
            evidence(sf, "SIGKILL of %s's process injected during statement "
                         "%u%s",
                     p->task_names[sc->kill_task], sc->kill_step + 1,
                     sc->interrupted ? " (which it interrupted)" : "");
        if (sc->cut)
            evidence(sf, "its worker was SIGKILLed at +%.6f s",
                     rel(sc->cut_t, t_origin));
    }
}
