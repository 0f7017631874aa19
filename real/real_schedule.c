/* real_schedule.c - the schedule the kernel took in a real run (SPEC v2
 * §3), learnt statement by statement, and the written exit order forced
 * with ptrace (see real_run.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "expect_gen.h"
#include "real_run.h"

static const char *const sched_kind_names[REAL_SCHED_KINDS] = {
    "spawn", "fork", "vfork", "thread", "kill", "exit_group", "exec",
    "end of trace",
};

const char *real_sched_kind_name(unsigned kind)
{
    return kind < REAL_SCHED_KINDS ? sched_kind_names[kind] : "?";
}

void real_sched_add(struct real_sched_tally *t, const struct real_outcome *o)
{
    for (unsigned k = 0; k < REAL_SCHED_KINDS; k++) {
        t->followed[k] += o->followed[k];
        t->taken[k] += o->taken[k];
        t->unobserved[k] += o->unobserved[k];
    }
    t->forced += o->forced;
    t->not_forced += o->not_forced;
    o->schedule_differs ? t->by_taken++ : t->as_written++;
}

void real_sched_print(FILE *f, const struct real_sched_tally *t)
{
    fprintf(f, "schedules: %u run%s judged as written, %u by the schedule "
               "the kernel took\n",
            t->as_written, t->as_written == 1 ? "" : "s", t->by_taken);
    fprintf(f, "  %-13s %9s %9s %11s\n", "statement", "followed", "took other",
            "not seen");
    for (unsigned k = 0; k < REAL_SCHED_KINDS; k++)
        if (t->followed[k] + t->taken[k] + t->unobserved[k])
            fprintf(f, "  %-13s %9u %9u %11u\n", sched_kind_names[k],
                    t->followed[k], t->taken[k], t->unobserved[k]);
    fprintf(f, "  exit order forced with ptrace: %u statement%s, %u could "
               "not be\n",
            t->forced, t->forced == 1 ? "" : "s", t->not_forced);
}

/* The schedule kind of a statement, or -1 when it has no schedule option. */
static int sched_kind(uint8_t op)
{
    switch (op) {
    case OP_SPAWN: return REAL_SCHED_SPAWN;
    case OP_FORK: return REAL_SCHED_FORK;
    case OP_VFORK: return REAL_SCHED_VFORK;
    case OP_THREAD: return REAL_SCHED_THREAD;
    case OP_KILL: return REAL_SCHED_KILL;
    case OP_EXIT_GROUP: return REAL_SCHED_EXIT_GROUP;
    case OP_EXEC: return REAL_SCHED_EXEC;
    default: return -1;
    }
}

/* The task_struct pointer the kernel gave thread `tid` (ternrig fs with BPF
 * contexts records it at copy_process and answers user.ternrig.task.TID on
 * its root); 0 when it cannot say. */
static uint64_t task_ptr(const struct run *r, pid_t tid)
{
    char name[48], val[32];
    if (!r->mount || tid <= 0)
        return 0;
    snprintf(name, sizeof name, "user.ternrig.task.%d", (int)tid);
    ssize_t n = getxattr(r->mount, name, val, sizeof val - 1);
    if (n <= 0)
        return 0;
    val[n] = 0;
    return strtoull(val, NULL, 16);
}

/* Statement i made task n: learn its task_struct and set `reuses` on the
 * working copy as the kernel did: the task whose memory it got (of those
 * with that pointer, the last made: the one whose memory it was), or none
 * (fresh memory). */
static void take_reuse(struct run *r, uint32_t i)
{
    struct step *s = &r->p->steps[i];
    uint16_t n = s->op == OP_SPAWN ? s->task : s->task2;
    uint64_t ptr = task_ptr(r, r->tid[n]);
    r->born[n] = ++r->nborn;
    r->kptr[n] = ptr;
    /* a choice only once some task of the run is released */
    for (uint16_t t = 0; t < r->p->ntasks; t++) {
        struct task_view v = model_task(r->m, t);
        if (t != n && v.state != TASK_UNBORN && v.slot == 0)
            r->sched_seen[i] = SCHED_UNSEEN;
    }
    if (!ptr)
        return; /* the kernel did not say: as written */
    r->out->schedule_known = true;
    if (r->sched_seen[i])
        r->sched_seen[i] = SCHED_SEEN;
    int x = -1;
    for (uint16_t t = 0; t < r->p->ntasks; t++)
        if (t != n && r->kptr[t] == ptr &&
            (x < 0 || r->born[t] > r->born[x]))
            x = t;
    if (x < 0) {
        s->flags &= (uint8_t)~STEP_REUSES;
        s->reuses = 0;
    } else {
        s->flags |= STEP_REUSES;
        s->reuses = (uint16_t)x;
    }
}

/* The threads that die in statement s (kill, exit_group, exec), in
 * creation order, and the group's leader; before the model runs it. */
static unsigned dying_threads(const struct run *r, const struct step *s,
                              uint16_t *out, uint16_t *leader)
{
    struct task_view av = model_task(r->m, s->task);
    unsigned n = 0;
    *leader = av.leader;
    if (av.kthread)
        return 0;
    for (uint16_t t = 0; t < r->p->ntasks; t++) {
        struct task_view v = model_task(r->m, t);
        if (v.state != TASK_ALIVE || v.proc != av.proc)
            continue;
        if (s->op == OP_EXEC && t == s->task)
            continue;
        out[n++] = t;
    }
    return n;
}

/* The order statement s (as written) gives its n dying threads: its list,
 * else creation order with the leader first (version 1's schedule: every
 * exit_mm first, so every teardown flush sees the leader's mm gone). */
void sched_written_order(const struct run *r, const struct step *s,
                         const uint16_t *dying, unsigned n, uint16_t leader,
                         uint16_t *out)
{
    if (s->flags & STEP_ORDER && s->norder == n) {
        memcpy(out, step_order(r->written, s), n * sizeof *out);
        return;
    }
    unsigned k = 0;
    for (unsigned a = 0; a < n; a++)
        if (dying[a] == leader)
            out[k++] = leader;
    for (unsigned a = 0; a < n; a++)
        if (dying[a] != leader)
            out[k++] = dying[a];
}

/* Statement i (kill, exit_group, exec) ran for real and its flushes are
 * read: set `order` on the working copy as the kernel took it.  A thread
 * t's teardown flush (its mm gone) that saw the leader's mm still set
 * means t exited before the leader; one that saw it gone, after.  Where
 * that agrees with the written schedule, it stays as written; else the
 * order is the written (or version 1's) with each observed thread moved to
 * its side of the leader, and the unobserved ones left where they were. */
/* What this step's flushes showed of the order of the n dying threads:
 * rel[t] -1 when t exited before the leader, 1 after, 0 not seen.  Whether
 * anything was seen.  `step` is for a difference (a thread that saw the
 * leader's mm both set and gone). */
static bool observe_order(struct run *r, uint32_t step, const uint16_t *dying,
                          unsigned n, uint16_t leader, int8_t *rel)
{
    bool leader_dies = false, seen = false;
    for (unsigned a = 0; a < n; a++)
        leader_dies |= dying[a] == leader;
    if (!leader_dies || n < 2)
        return false; /* nothing a flush can show */
    for (unsigned a = 0; a < n; a++) {
        uint16_t t = dying[a];
        if (t == leader)
            continue;
        bool set = false, gone = false;
        for (unsigned k = 0; k < r->nobs; k++)
            if (r->obs[k].tid == r->tid[t] && !r->obs[k].mm) {
                if (!rel[t])
                    rel[t] = r->obs[k].leader_mm ? -1 : 1;
                r->obs[k].leader_mm ? (set = true) : (gone = true);
                seen = true;
            }
        if (set && gone) /* the first flush places it; the rest differ */
            run_differ(r, step,
                       "%s's teardown flushes saw the leader's mm set, "
                       "then gone: the leader's exit_mm came in the "
                       "middle of %s's exit_files, which no `order` says",
                       r->p->task_names[t], r->p->task_names[t]);
    }
    return seen;
}

static void take_order(struct run *r, uint32_t i, const uint16_t *dying,
                       unsigned n, uint16_t leader)
{
    struct step *s = &r->p->steps[i];
    const struct step *w = &r->written->steps[i];
    int8_t rel[MAX_TASK_NAMES] = {0}; /* -1 before the leader, 1 after */
    if (n >= 2)
        r->sched_seen[i] = SCHED_UNSEEN;
    if (!observe_order(r, i, dying, n, leader, rel))
        return;
    r->sched_seen[i] = SCHED_SEEN;
    uint16_t base[MAX_TASK_NAMES], list[MAX_TASK_NAMES];
    sched_written_order(r, w, dying, n, leader, base);
    unsigned lpos = 0;
    for (unsigned a = 0; a < n; a++)
        if (base[a] == leader)
            lpos = a;
    bool agrees = true;
    for (unsigned a = 0; a < n; a++)
        if (rel[base[a]] && (rel[base[a]] < 0) != (a < lpos))
            agrees = false;
    if (agrees)
        return;
    unsigned k = 0;
    for (unsigned a = 0; a < n; a++) {
        uint16_t t = base[a];
        if (t != leader && (rel[t] < 0 || (rel[t] == 0 && a < lpos)))
            list[k++] = t;
    }
    list[k++] = leader;
    for (unsigned a = 0; a < n; a++) {
        uint16_t t = base[a];
        if (t != leader && !(rel[t] < 0 || (rel[t] == 0 && a < lpos)))
            list[k++] = t;
    }
    program_set_order(r->p, s, list, k);
}

/* The working copy's statement i back as written (its option was not valid
 * in the model). */
void sched_restore_written(struct run *r, uint32_t i)
{
    struct step *s = &r->p->steps[i];
    const struct step *w = &r->written->steps[i];
    s->flags = (uint8_t)((s->flags & ~(STEP_REUSES | STEP_ORDER)) |
                         (w->flags & (STEP_REUSES | STEP_ORDER)));
    s->reuses = w->reuses;
    if (w->flags & STEP_ORDER)
        program_set_order(r->p, s, step_order(r->written, w), w->norder);
    else
        s->norder = 0;
}

/* Whether the options of statement i differ between the two programs. */
bool sched_options_differ(const struct program *a, const struct program *b,
                          uint32_t i)
{
    const struct step *x = &a->steps[i], *y = &b->steps[i];
    uint8_t fx = x->flags & (STEP_REUSES | STEP_ORDER),
            fy = y->flags & (STEP_REUSES | STEP_ORDER);
    if (fx != fy)
        return true;
    if (fx & STEP_REUSES && x->reuses != y->reuses)
        return true;
    if (fx & STEP_ORDER &&
        (x->norder != y->norder ||
         memcmp(step_order(a, x), step_order(b, y),
                x->norder * sizeof(uint16_t))))
        return true;
    return false;
}

/* After the run: the counts per kind, and the schedule line: "as written"
 * or "schedule taken: " and every statement whose options differ. */
void sched_summary(struct run *r)
{
    struct real_outcome *o = r->out;
    const struct program *w = r->written;
    size_t len = 0;
    o->schedule_differs = 0;
    for (uint32_t i = 0; i < w->nsteps; i++) {
        int kind = sched_kind(w->steps[i].op);
        if (kind < 0)
            continue;
        bool differs = sched_options_differ(r->p, w, i);
        if (differs)
            o->taken[kind]++;
        else if (r->sched_seen[i] == SCHED_SEEN)
            o->followed[kind]++;
        else if (r->sched_seen[i] == SCHED_UNSEEN)
            o->unobserved[kind]++;
        if (!differs)
            continue;
        char stmt[200];
        trace_print_step(r->p, &r->p->steps[i], stmt, sizeof stmt);
        if (o->schedule_differs++ == 0)
            len = (size_t)snprintf(o->schedule, sizeof o->schedule,
                                   "schedule taken:");
        if (len < sizeof o->schedule)
            len += (size_t)snprintf(o->schedule + len,
                                    sizeof o->schedule - len, "%s line %u: %s",
                                    o->schedule_differs > 1 ? ";" : "",
                                    w->steps[i].line, stmt);
    }
    if (!o->schedule_differs)
        snprintf(o->schedule, sizeof o->schedule, "as written");
}

/* ---- making the kernel follow the written exit order (ptrace) ---- */

/* Wait (up to the step time limit) for a ptrace event of thread `tid`:
 * returns its status, or -1.  Signal-delivery stops are passed on. */
static int trace_wait(pid_t tid)
{
    for (int waited = 0; waited < STEP_TIMEOUT_MS * 10; waited++) {
        int st;
        pid_t got = waitpid(tid, &st, __WALL | WNOHANG);
        if (got == tid) {
            if (WIFSTOPPED(st) && st >> 8 != (SIGTRAP | PTRACE_EVENT_EXIT << 8)) {
                int sig = WSTOPSIG(st);
                ptrace(PTRACE_CONT, tid, 0,
                       (void *)(long)(sig == SIGTRAP || sig == SIGSTOP ? 0 : sig));
                continue;
            }
            return st;
        }
        if (got < 0 && errno != EINTR)
            return -1;
        usleep(100);
    }
    return -1;
}

/* Before statement i (kill, exit_group, exec) runs for real: seize its
 * dying threads with PTRACE_O_TRACEEXIT, so that each stops in do_exit
 * before exit_mm.  Returns whether it did (all of them). */
bool sched_force_begin(struct run *r, uint32_t i, pid_t pid,
                       struct forcing *f)
{
    const struct step *s = &r->p->steps[i];
    uint16_t dying[MAX_TASK_NAMES], leader;
    memset(f, 0, sizeof *f);
    if (!r->force_order)
        return false;
    f->n = dying_threads(r, s, dying, &leader);
    if (f->n < 2)
        return false;
    sched_written_order(r, &r->written->steps[i], dying, f->n, leader,
                        f->order);
    f->exec = s->op == OP_EXEC;
    return sched_force_threads(r, pid, f);
}

/* Seize the f->n threads of f->order (process `pid`). */
bool sched_force_threads(struct run *r, pid_t pid, struct forcing *f)
{
    f->pid = pid;
    for (unsigned a = 0; a < f->n; a++) {
        f->tid[a] = r->tid[f->order[a]];
        f->seized[a] = ptrace(PTRACE_SEIZE, f->tid[a], 0,
                              (void *)(long)PTRACE_O_TRACEEXIT) == 0;
        if (!f->seized[a]) {
            for (unsigned b = 0; b < a; b++)
                if (f->seized[b])
                    ptrace(PTRACE_DETACH, f->tid[b], 0, 0);
            r->out->not_forced++;
            return false;
        }
    }
    return true;
}

/* The statement's kill is on its way: wait for every dying thread to stop
 * at its exit, then let them go one at a time in the written order, each
 * gone (its flushes answered) before the next.  A non-leader thread is
 * reaped (it is ours to reap while traced); the leader stays a zombie
 * until its group is empty and is reaped, as tracer, after. */
bool sched_force_run(struct run *r, struct forcing *f)
{
    bool ok = true;
    for (unsigned a = 0; a < f->n; a++) {
        int st = trace_wait(f->tid[a]);
        if (st < 0 || !WIFSTOPPED(st))
            ok = false; /* gone already, or never stopped */
    }
    for (unsigned a = 0; a < f->n; a++) {
        pid_t tid = f->tid[a];
        if (ptrace(PTRACE_CONT, tid, 0, 0) < 0) {
            ok = false;
            continue;
        }
        if (tid == f->pid) { /* the leader: a zombie until the group dies */
            /* in an exec, the last one lets de_thread go on, which gives
             * its pid to the exec'ing thread: the exec's reply says */
            if (!(f->exec && a + 1 == f->n) &&
                !run_wait_thread_gone(f->pid, tid))
                ok = false;
            f->seized[a] = !f->exec;
            continue;
        }
        int st;
        for (int w = 0; w < STEP_TIMEOUT_MS * 10; w++) {
            pid_t got = waitpid(tid, &st, __WALL | WNOHANG);
            if (got == tid && WIFSTOPPED(st)) { /* not the exit yet */
                ptrace(PTRACE_CONT, tid, 0, 0);
                continue;
            }
            if (got == tid || (got < 0 && errno == ECHILD))
                break;
            usleep(100);
        }
        f->seized[a] = false; /* reaped */
    }
    ok ? r->out->forced++ : r->out->not_forced++;
    return ok;
}

/* After the statement: reap the traced leader (its exit is reported to
 * the tracer first) or detach from what is left. */
void sched_force_end(struct forcing *f)
{
    for (unsigned a = 0; a < f->n; a++) {
        if (!f->seized[a])
            continue;
        int st;
        pid_t got = 0;
        for (int w = 0; w < 2000 && got == 0; w++) {
            got = waitpid(f->tid[a], &st, __WALL | WNOHANG);
            if (got == 0)
                usleep(500);
        }
        if (got == 0)
            ptrace(PTRACE_DETACH, f->tid[a], 0, 0);
        f->seized[a] = false;
    }
}


/* Statement i ran for real (result `res`), the model has not run it yet:
 * set its schedule option on the working copy as the kernel took it. */
void sched_take(struct run *r, uint32_t i, int res)
{
    const struct step *s = &r->p->steps[i];
    switch (s->op) {
    case OP_SPAWN: case OP_FORK: case OP_VFORK: case OP_THREAD:
        if (res >= 0)
            take_reuse(r, i);
        break;
    case OP_KILL: case OP_EXIT_GROUP: case OP_EXEC: {
        uint16_t dying[MAX_TASK_NAMES], leader;
        unsigned n = dying_threads(r, s, dying, &leader);
        run_read_log(r); /* its flushes, before the model decides its order */
        r->log_early = true;
        take_order(r, i, dying, n, leader);
        break;
    }
    default:
        break;
    }
}

/* A process killed at the end of the trace (its n live threads, creation
 * order): the model kills it in version 1's schedule, which no option can
 * change, so a flush that shows another order is a difference. */
void sched_end_order(struct run *r, const uint16_t *dying, unsigned n,
                     uint16_t leader)
{
    int8_t rel[MAX_TASK_NAMES] = {0};
    if (n < 2)
        return;
    struct real_outcome *o = r->out;
    if (!observe_order(r, r->p->nsteps, dying, n, leader, rel)) {
        o->unobserved[REAL_SCHED_END]++;
        return;
    }
    for (unsigned a = 0; a < n; a++)
        if (rel[dying[a]] < 0) {
            o->taken[REAL_SCHED_END]++;
            run_differ(r, r->p->nsteps,
                       "%s exited before its leader %s (its flush saw the "
                       "leader's mm), which the end of a trace does not say",
                       r->p->task_names[dying[a]], r->p->task_names[leader]);
            return;
        }
    o->followed[REAL_SCHED_END]++;
}

/* The schedule taken (the working copy) with the model's expectations under
 * it, for `pol`, in place of the trace's own; NULL when it cannot be made
 * (out of memory, or too long to print).  Uses the judge's model. */
const struct program *sched_taken_expectations(struct judge *j,
                                               const struct program *taken,
                                               enum policy pol)
{
    static struct program *q;
    static char *text;
    const size_t cap = 1 << 20;
    if (!q && !(q = malloc(sizeof *q)))
        return NULL;
    if (!text && !(text = malloc(cap)))
        return NULL;
    *q = *taken;
    for (uint32_t i = q->nsteps; i-- > 0;)
        if (q->steps[i].op == OP_EXPECT)
            program_remove_step(q, i);
    size_t len = trace_print(q, text, cap);
    if (len >= cap)
        return NULL;
    size_t more = expectations_text_for(j, q, pol, text + len, cap - len);
    if (more == 0 || len + more >= cap)
        return NULL;
    struct trace_error err;
    if (trace_parse(text, len + more, q, &err) < 0)
        return NULL;
    return q;
}
