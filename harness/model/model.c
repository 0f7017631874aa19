/* model.c - the Linux process lifecycle of SPEC §2, step by step.
 *
 * Every statement validates first and mutates after, so a trace error leaves
 * the model untouched (model_sanitize relies on it).  Pools are fixed; see
 * limits.h.  "Slots" are task_struct memory: slot numbers play the role of
 * kernel pointers in the contexts given to the core.  A new task gets a
 * fresh slot unless its statement says `reuses X` (SPEC v2 §2).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model_internal.h"


struct model *model_new(void)
{
    struct model *m = calloc(1, sizeof *m);
    if (m) {
        m->hist.ev = m->ev;
        m->hist.cap = MAX_EVENTS;
    }
    return m;
}

void model_free(struct model *m)
{
    free(m);
}

const struct history *model_history(const struct model *m)
{
    return &m->hist;
}

void model_reset(struct model *m, const struct program *prog,
                 enum policy policy)
{
    m->policy = policy;
    m->prog = prog;
    m->step = 0;
    m->overflow = false;
    m->quiet = false;
    memset(m->task, 0, prog->ntasks * sizeof m->task[0]);
    memset(m->file, 0, prog->nfiles * sizeof m->file[0]);
    m->nprocs = 0;
    m->ctmap = (struct closetracker_map){CLOSETRACKER_MAP_DEFAULT, 0};
    m->nslots = 0;
    m->nmms = m->nmm_free = 0;
    m->nfdts = m->nfdt_free = 0;
    m->hist.len = 0;
}

/* ---------------------------------------------------------------- errors */

static int terr(struct model *m, struct trace_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int terr(struct model *m, struct trace_error *err, const char *fmt, ...)
{
    err->line = m->prog->steps[m->step].line;
    if (m->quiet) { /* model_sanitize drops the statement, unread */
        err->msg[0] = 0;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->line = m->prog->steps[m->step].line;
    return -1;
}


static const char *dname(const struct model *m, uint16_t d)
{
    return m->prog->fd_names[d];
}

/* A task that may run a statement now. */
static int need_running(struct model *m, uint16_t t, struct trace_error *err)
{
    const struct mtask *k = &m->task[t];
    switch (k->state) {
    case TASK_UNBORN:
        return terr(m, err, "unknown task '%s' (not created yet)",
                    tname(m, t));
    case TASK_ZOMBIE:
    case TASK_DEAD:
        return terr(m, err, "task '%s' is dead", tname(m, t));
    }
    if (k->suspended)
        return terr(m, err,
                    "task '%s' is suspended in vfork until its child execs "
                    "or exits",
                    tname(m, t));
    return 0;
}

static int need_user(struct model *m, uint16_t t, const char *what,
                     struct trace_error *err)
{
    if (need_running(m, t, err) < 0)
        return -1;
    if (m->task[t].kthread)
        return terr(m, err, "kernel thread '%s' cannot %s", tname(m, t),
                    what);
    return 0;
}

static int need_new_name(struct model *m, uint16_t t, struct trace_error *err)
{
    if (m->task[t].state != TASK_UNBORN)
        return terr(m, err, "task name '%s' is already used", tname(m, t));
    if (m->nprocs >= MAX_PROCS)
        return terr(m, err, "too many processes (at most %d)", MAX_PROCS);
    return 0;
}

/* `reuses X` (when given) names a task whose task_struct is released and
 * not yet reused. */
static int need_reusable(struct model *m, const struct step *s,
                         struct trace_error *err)
{
    if (!(s->flags & STEP_REUSES))
        return 0;
    const struct mtask *x = &m->task[s->reuses];
    if (x->state == TASK_UNBORN)
        return terr(m, err, "reuses '%s': unknown task (not created yet)",
                    tname(m, s->reuses));
    if (!x->freed_slot)
        return terr(m, err,
                    "reuses '%s': its task_struct is not released (the "
                    "task is %s)",
                    tname(m, s->reuses),
                    x->state == TASK_ALIVE ? "alive"
                                           : "a zombie leader of a live "
                                             "process");
    if (x->reused)
        return terr(m, err,
                    "reuses '%s': its task_struct is already reused by '%s'",
                    tname(m, s->reuses), tname(m, x->reused_by));
    return 0;
}

/* ---------------------------------------------------------------- events */

static struct event *emit(struct model *m, enum event_type type, uint16_t t)
{
    struct event *e;
    if (m->hist.len < m->hist.cap) {
        e = &m->hist.ev[m->hist.len++];
    } else {
        m->overflow = true;
        e = &m->spill;
    }
    memset(e, 0, sizeof *e);
    e->type = (uint8_t)type;
    e->step = m->step;
    e->task = t;
    e->proc = t == NONE ? EV_NONE : m->task[t].proc;
    e->kthread = t == NONE ? 0 : m->task[t].kthread;
    e->file = EV_NONE;
    e->fd = -1;
    return e;
}

/* ------------------------------------------------------------ slots, mms */

/* The slot of new task `t` made by statement `s`: fresh memory, or the
 * released slot of the task that `reuses` names (checked by
 * need_reusable). */
static uint16_t slot_alloc(struct model *m, const struct step *s, uint16_t t)
{
    if (!(s->flags & STEP_REUSES))
        return ++m->nslots;
    struct mtask *x = &m->task[s->reuses];
    x->reused = 1;
    x->reused_by = t;
    return x->freed_slot;
}

/* The task is gone for good: its task_struct is released.  Its memory
 * keeps what it held (mm NULL) until a `reuses` takes it. */
static void slot_release(struct model *m, uint16_t t)
{
    struct mtask *k = &m->task[t];
    if (k->slot) {
        k->freed_slot = k->slot;
        k->slot = 0;
    }
}

static uint16_t mm_alloc(struct model *m)
{
    uint16_t id = m->nmm_free ? m->mm_free[--m->nmm_free] : ++m->nmms;
    m->mm_users[id] = 1;
    m->mm_grabs[id] = 0;
    return id;
}

static void mm_maybe_free(struct model *m, uint16_t id)
{
    if (id && m->mm_users[id] == 0 && m->mm_grabs[id] == 0)
        m->mm_free[m->nmm_free++] = id;
}

static void mm_put(struct model *m, uint16_t id)
{
    if (!id)
        return;
    m->mm_users[id]--;
    mm_maybe_free(m, id);
}

/* -------------------------------------------------------------- fd tables */

static uint16_t fdt_alloc(struct model *m)
{
    uint16_t i = m->nfdt_free ? m->fdt_free[--m->nfdt_free] : m->nfdts++;
    struct fdtable *tb = &m->fdt[i];
    tb->refs = 1;
    tb->nfailed = tb->nbound = 0;
    memset(tb->used, 0, sizeof tb->used);
    return i;
}

static int fd_lowest_free(const struct fdtable *tb)
{
    for (int w = 0; w < FDBITS; w++)
        if (~tb->used[w])
            return w * 64 + __builtin_ctzll(~tb->used[w]);
    return -1;
}


static void fd_bind(struct model *m, struct fdtable *tb, int idx,
                    uint16_t name, uint16_t file, bool cloexec, bool rdonly)
{
    tb->used[idx / 64] |= 1ull << (idx % 64);
    tb->ent[idx] = (struct fdent){name, file, cloexec, 0, rdonly};
    tb->nbound++;
    m->file[file].refs++;
}

static void fd_bind_failed(struct fdtable *tb, uint16_t name, uint16_t file,
                           bool cloexec)
{
    tb->fail[tb->nfailed++] = (struct fdent){name, file, cloexec, 0, 0};
    tb->nbound++;
}

static struct fdent fd_unbind(struct fdtable *tb, int where)
{
    struct fdent e;
    if (where >= 0) {
        e = tb->ent[where];
        tb->used[where / 64] &= ~(1ull << (where % 64));
    } else {
        int i = -2 - where;
        e = tb->fail[i];
        tb->fail[i] = tb->fail[--tb->nfailed];
    }
    tb->nbound--;
    return e;
}

static uint16_t fdt_copy(struct model *m, uint16_t src)
{
    uint16_t i = fdt_alloc(m);
    struct fdtable *to = &m->fdt[i], *from = &m->fdt[src];
    memcpy(to->used, from->used, sizeof to->used);
    for (int w = 0; w < FDBITS; w++) {
        uint64_t bits = from->used[w];
        while (bits) {
            int idx = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            to->ent[idx] = from->ent[idx];
            m->file[from->ent[idx].file].refs++;
        }
    }
    memcpy(to->fail, from->fail, from->nfailed * sizeof from->fail[0]);
    to->nfailed = from->nfailed;
    to->nbound = from->nbound;
    return i;
}

/* ----------------------------------------------------------------- flush */

static struct task_ctx ctx_of(const struct model *m, uint16_t t)
{
    const struct mtask *k = &m->task[t];
    const struct mproc *p = &m->proc[k->proc];
    const struct mtask *leader = &m->task[p->leader];
    struct task_ctx c;
    c.proc.tgid = 100u + k->proc;
    c.proc.start_time = p->start;
    c.task = k->slot;
    c.leader = leader->slot;
    c.mm = m->slot_mm[k->slot];
    c.leader_mm = m->slot_mm[leader->slot];
    c.kthread = k->kthread;
    /* a group death has begun: the process is dead for every flush of it
     * (SPEC §3), whichever of its threads still has its mm */
    c.other_thread_has_mm = p->alive && p->nmm > (c.mm ? 1u : 0u);
    return c;
}

static void file_release(struct model *m, uint16_t f)
{
    struct mfile *fl = &m->file[f];
    if (--fl->refs == 0 && fl->grabbed_mm) {
        m->mm_grabs[fl->grabbed_mm]--;
        mm_maybe_free(m, fl->grabbed_mm);
        fl->grabbed_mm = 0;
    }
}

/* The fds of task t's table that refer to the open file of `ent` (the
 * file's writable one, or its read-only opens, which the model does not
 * tell apart: they only ever flush a sealed file): the core's table_fds.
 * A task without a table (exit_files cleared it) has none. */
static uint16_t table_fds_of(const struct model *m, uint16_t t,
                             struct fdent ent)
{
    if (m->task[t].fdt == NONE)
        return 0;
    const struct fdtable *tb = &m->fdt[m->task[t].fdt];
    uint16_t n = 0;
    for (int w = 0; w < FDBITS; w++)
        for (uint64_t bits = tb->used[w]; bits; bits &= bits - 1) {
            const struct fdent *x = &tb->ent[w * 64 + __builtin_ctzll(bits)];
            n += x->file == ent.file && x->rdonly == ent.rdonly;
        }
    return n;
}

/* One fd `ent` (of its file), number idx+3, closed by task t: flush it.
 * Returns what close(2) returns: 0, or -EIO when the flush fails. */
static int close_fd(struct model *m, uint16_t t, struct fdent ent, int idx,
                    enum close_cause cause)
{
    uint16_t f = ent.file;
    struct mfile *fl = &m->file[f];
    struct event *e = emit(m, EV_CLOSE, t);
    e->file = f;
    e->fd = (int16_t)(idx + 3);
    e->cause = (uint8_t)cause;
    e->rdonly = ent.rdonly;
    uint16_t table_fds = table_fds_of(m, t, ent);
    e->table_fds = table_fds;
    if (cause == CLOSE_SYSCALL && !m->task[t].kthread)
        note_close_syscall(&m->ctmap, &fl->rec); /* any fd, any state */

    struct task_ctx c = ctx_of(m, t);
    e = emit(m, EV_FLUSH, t);
    e->file = f;
    e->fd = (int16_t)(idx + 3);
    e->cause = (uint8_t)cause;
    e->rdonly = ent.rdonly;
    e->table_fds = table_fds;
    /* an exiting task's exit code: a status unless a signal kills it */
    e->clean_exit = c.mm == 0 && !c.kthread && !m->task[t].killed;
    e->ctx_leader = (uint32_t)c.leader;
    e->ctx_mm = (uint32_t)c.mm;
    e->file_owner = (uint32_t)fl->rec.owner;
    e->owner_recycled = fl->rec.owner != 0 &&
                        m->task[fl->owner_task].slot != fl->rec.owner;
    e->decision = DECISION_NONE;
    int result = 0;
    if (fl->state == FILE_TRANSIENT ||
        (fl->state == FILE_ABORTED && fl->rec.errored)) {
        uint64_t owner = fl->rec.owner;
        struct flush_inputs in = {
            .owner_mm_now = owner <= MAX_TASK_NAMES ? m->slot_mm[owner] : 0,
            .table_fds = table_fds,
            .exit_clean = e->clean_exit,
        };
        e->file_mm = (uint32_t)fl->rec.owner_mm;
        e->owner_mm_now = (uint32_t)in.owner_mm_now;
        enum flush_decision d = classify_flush(m->policy, &fl->rec, &c, &in);
        if (fl->state != FILE_TRANSIENT && d != FLUSH_FAIL)
            d = FLUSH_IGNORE; /* an aborted file: nothing but `fail` */
        e->decision = (uint8_t)d;
        if (d == FLUSH_SEAL) {
            fl->state = FILE_SEALED;
            note_sealed(&m->ctmap, &fl->rec);
            struct event *s = emit(m, EV_SEAL, t);
            s->file = f;
            s->bytes = fl->size;
        } else if (d == FLUSH_ABORT) {
            fl->state = FILE_ABORTED;
            note_aborted(m->policy, &fl->rec);
            emit(m, EV_ABORT, t)->file = f;
        } else if (d == FLUSH_FAIL) {
            e->result = result = -ERR_EIO;
        }
    }
    file_release(m, f);
    return result;
}

/* Close the fds of a table in ascending order (only the close-on-exec ones
 * when `cloexec_only`), flushing each in task t's context. */
static void close_all(struct model *m, uint16_t t, uint16_t tbi,
                      enum close_cause cause, bool cloexec_only)
{
    struct fdtable *tb = &m->fdt[tbi];
    for (int w = 0; w < FDBITS; w++) {
        uint64_t bits = tb->used[w];
        while (bits) {
            int idx = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            if (cloexec_only && !tb->ent[idx].cloexec)
                continue;
            struct fdent e = fd_unbind(tb, idx);
            close_fd(m, t, e, idx, cause);
            if (cloexec_only && e.name_stays)
                fd_bind_failed(tb, e.name, e.file, false);
        }
    }
    for (int i = tb->nfailed - 1; i >= 0; i--)
        if (!cloexec_only || tb->fail[i].cloexec)
            fd_unbind(tb, -2 - i);
}

/* Drop task t's reference to its fd table; the last one closes every fd. */
static void exit_files(struct model *m, uint16_t t)
{
    uint16_t tbi = m->task[t].fdt;
    if (tbi == NONE)
        return;
    m->task[t].fdt = NONE;
    if (--m->fdt[tbi].refs == 0) {
        close_all(m, t, tbi, CLOSE_TEARDOWN, false);
        m->fdt_free[m->nfdt_free++] = tbi;
    }
}

/* exit_mm: the task's mm becomes NULL; a vfork parent waiting on it goes on. */
static void exit_mm(struct model *m, uint16_t t)
{
    struct mtask *k = &m->task[t];
    emit(m, EV_EXIT, t);
    uint16_t mm = m->slot_mm[k->slot];
    if (mm) {
        m->slot_mm[k->slot] = 0;
        m->proc[k->proc].nmm--;
        mm_put(m, mm);
    }
    if (k->waiter != NONE) {
        m->task[k->waiter].suspended = 0;
        k->waiter = NONE;
    }
}

/* ------------------------------------------------------------- processes */

static uint16_t new_process(struct model *m, const struct step *s,
                            uint16_t t, bool kthread)
{
    uint16_t pi = m->nprocs++;
    struct mproc *p = &m->proc[pi];
    memset(p, 0, sizeof *p);
    p->alive = 1;
    p->kthread = kthread;
    p->first = p->leader = p->head = p->tail = t;
    p->nlive = 1;
    p->start = m->step + 1;
    struct mtask *k = &m->task[t];
    k->state = TASK_ALIVE;
    k->kthread = kthread;
    k->proc = pi;
    k->slot = slot_alloc(m, s, t);
    k->waiter = NONE;
    k->next = NONE;
    return pi;
}

static void set_mm(struct model *m, uint16_t t, uint16_t mm)
{
    m->slot_mm[m->task[t].slot] = mm;
    if (mm)
        m->proc[m->task[t].proc].nmm++;
}

/* `order T...` (when given) lists every thread that dies in the statement
 * exactly once (SPEC v2 §3). */
static int need_order(struct model *m, const struct step *s, uint16_t pi,
                      uint16_t except, struct trace_error *err)
{
    if (!(s->flags & STEP_ORDER))
        return 0;
    const uint16_t *list = step_order(m->prog, s);
    uint64_t seen = 0;
    bool kthread = m->proc[pi].kthread;
    for (unsigned i = 0; i < s->norder; i++) {
        uint16_t t = list[i];
        if (kthread || !dies_in(m, pi, t, except))
            return terr(m, err,
                        "order lists '%s', which does not die in this "
                        "statement",
                        tname(m, t));
        if (seen & (1ull << t))
            return terr(m, err, "order lists '%s' twice", tname(m, t));
        seen |= 1ull << t;
    }
    for (uint16_t t = m->proc[pi].head; !kthread && t != NONE;
         t = m->task[t].next)
        if (dies_in(m, pi, t, except) && !(seen & (1ull << t)))
            return terr(m, err,
                        "order leaves out '%s', which dies in this "
                        "statement",
                        tname(m, t));
    return 0;
}

/* The dying threads of process pi exit (all but `except`): in the order
 * `s` lists, each running exit_mm then exit_files before the next; without
 * a list, every exit_mm in creation order, then every exit_files. */
static void threads_exit(struct model *m, const struct step *s, uint16_t pi,
                         uint16_t except)
{
    struct mproc *p = &m->proc[pi];
    if (s && (s->flags & STEP_ORDER)) {
        const uint16_t *list = step_order(m->prog, s);
        for (unsigned i = 0; i < s->norder; i++) {
            exit_mm(m, list[i]);
            exit_files(m, list[i]);
        }
        return;
    }
    for (uint16_t t = p->head; t != NONE; t = m->task[t].next)
        if (t != except && m->task[t].state == TASK_ALIVE)
            exit_mm(m, t);
    for (uint16_t t = p->head; t != NONE; t = m->task[t].next)
        if (t != except && m->task[t].state == TASK_ALIVE)
            exit_files(m, t);
}

/* The whole thread group dies (exit_group, SIGKILL, end of trace): its
 * threads exit in the schedule of statement `s` (NULL: version 1's);
 * non-leader slots are freed in creation order, the leader's last. */
static void group_death(struct model *m, uint16_t pi, const struct step *s,
                        bool killed)
{
    struct mproc *p = &m->proc[pi];
    if (!p->alive)
        return;
    p->alive = 0;
    struct event *d = emit(m, EV_DEATH, p->first);
    d->proc = pi;
    d->clean_exit = !killed;
    /* a fatal signal sets every dying thread's exit code to its number
     * (do_group_exit: signal->group_exit_code); exit_group's status too */
    for (uint16_t t = p->head; t != NONE; t = m->task[t].next)
        m->task[t].killed = killed;
    threads_exit(m, s, pi, NONE);
    for (uint16_t t = p->head; t != NONE; t = m->task[t].next) {
        if (m->task[t].state == TASK_DEAD)
            continue;
        m->task[t].state = TASK_DEAD;
        m->task[t].suspended = 0; /* a killed vfork parent waits no more */
        if (t != p->leader)
            slot_release(m, t);
    }
    slot_release(m, p->leader);
    p->nlive = 0;
}

/* ------------------------------------------------------------ statements */

#define TRY(x)                                                                 \
    do {                                                                       \
        if ((x) < 0)                                                           \
            return -1;                                                         \
    } while (0)

static struct fdtable *table_of(struct model *m, uint16_t t)
{
    return &m->fdt[m->task[t].fdt];
}

static int need_fd(struct model *m, uint16_t t, uint16_t d, int *where,
                   struct trace_error *err)
{
    *where = fd_find(table_of(m, t), d);
    if (*where == -1)
        return terr(m, err, "fd '%s' is not open in the fd table of '%s'",
                    dname(m, d), tname(m, t));
    return 0;
}

static int need_unbound(struct model *m, uint16_t t, uint16_t d,
                        struct trace_error *err)
{
    const struct fdtable *tb = table_of(m, t);
    if (fd_find(tb, d) != -1)
        return terr(m, err, "fd name '%s' is already open in the fd table "
                            "of '%s'",
                    dname(m, d), tname(m, t));
    if (tb->nbound >= MAX_FDS)
        return terr(m, err, "the fd table of '%s' is full (at most %d fds)",
                    tname(m, t), MAX_FDS);
    return 0;
}

static struct event *op_event(struct model *m, const struct step *s)
{
    struct event *e = emit(m, EV_OP, s->task);
    e->op = s->op;
    return e;
}

static int do_spawn(struct model *m, const struct step *s, bool kthread,
                    struct trace_error *err)
{
    TRY(need_new_name(m, s->task, err));
    TRY(need_reusable(m, s, err));
    new_process(m, s, s->task, kthread);
    set_mm(m, s->task, kthread ? 0 : mm_alloc(m));
    m->task[s->task].fdt = fdt_alloc(m);
    op_event(m, s);
    return 0;
}

static int do_fork(struct model *m, const struct step *s, bool vfork,
                   struct trace_error *err)
{
    TRY(need_user(m, s->task, vfork ? "vfork" : "fork", err));
    TRY(need_new_name(m, s->task2, err));
    TRY(need_reusable(m, s, err));
    op_event(m, s);
    uint16_t parent = s->task, child = s->task2;
    uint16_t ptab = m->task[parent].fdt;
    new_process(m, s, child, false);
    if (vfork) {
        uint16_t mm = m->slot_mm[m->task[parent].slot];
        m->mm_users[mm]++;
        set_mm(m, child, mm);
        m->task[parent].suspended = 1;
        m->task[child].waiter = parent;
    } else {
        set_mm(m, child, mm_alloc(m));
    }
    m->task[child].fdt = fdt_copy(m, ptab);
    return 0;
}

static int do_thread(struct model *m, const struct step *s,
                     struct trace_error *err)
{
    TRY(need_user(m, s->task, "create threads", err));
    TRY(need_new_name(m, s->task2, err));
    TRY(need_reusable(m, s, err));
    op_event(m, s);
    struct mtask *k = &m->task[s->task], *n = &m->task[s->task2];
    struct mproc *p = &m->proc[k->proc];
    n->state = TASK_ALIVE;
    n->proc = k->proc;
    n->slot = slot_alloc(m, s, s->task2);
    n->waiter = NONE;
    n->next = NONE;
    n->fdt = k->fdt;
    m->fdt[k->fdt].refs++;
    uint16_t mm = m->slot_mm[k->slot];
    m->mm_users[mm]++;
    set_mm(m, s->task2, mm);
    m->task[p->tail].next = s->task2;
    p->tail = s->task2;
    p->nlive++;
    return 0;
}

static int do_unshare(struct model *m, const struct step *s,
                      struct trace_error *err)
{
    TRY(need_user(m, s->task, "unshare", err));
    op_event(m, s);
    struct mtask *k = &m->task[s->task];
    if (m->fdt[k->fdt].refs > 1) {
        uint16_t old = k->fdt;
        k->fdt = fdt_copy(m, old);
        m->fdt[old].refs--;
    }
    return 0;
}

/* create F (regular) and tmpfile F: the same but for the name rules, the
 * core's question and the record's kind. */
static int do_create(struct model *m, const struct step *s, bool tmpfile,
                     struct trace_error *err)
{
    TRY(need_running(m, s->task, err));
    TRY(need_unbound(m, s->task, s->fd, err));
    struct mfile *fl = &m->file[s->file];
    if (tmpfile && fl->named != NAMED_NONE)
        return terr(m, err,
                    "tmpfile '%s': the name is already used by an earlier "
                    "create or tmpfile",
                    m->prog->file_names[s->file]);
    if (!tmpfile && fl->named == NAMED_TMPFILE)
        return terr(m, err,
                    "create '%s': the name is a tmpfile's (an earlier "
                    "tmpfile used it)",
                    m->prog->file_names[s->file]);
    struct fdtable *tb = table_of(m, s->task);
    bool cloexec = s->flags & STEP_CLOEXEC;
    struct event *e = emit(m, EV_CREATE, s->task);
    e->file = s->file;
    e->tmpfile = tmpfile;
    if (fl->named == NAMED_NONE)
        fl->named = tmpfile ? NAMED_TMPFILE : NAMED_CREATE;
    if (fl->state != FILE_NONE) {
        e->result = -ERR_EEXIST;
    } else {
        struct task_ctx c = ctx_of(m, s->task);
        int rc = tmpfile ? classify_tmpfile(m->policy, &c, &fl->rec)
                         : classify_create(m->policy, &c, &fl->rec);
        if (rc)
            e->result = -rc;
    }
    if (e->result) {
        fd_bind_failed(tb, s->fd, s->file, cloexec);
        return 0;
    }
    fl->state = FILE_TRANSIENT;
    fl->size = 0;
    fl->owner_task = m->proc[m->task[s->task].proc].leader;
    fl->grabbed_mm = (uint16_t)fl->rec.owner_mm;
    if (fl->grabbed_mm)
        m->mm_grabs[fl->grabbed_mm]++; /* mmgrab: never reused while held */
    int idx = fd_lowest_free(tb);
    fd_bind(m, tb, idx, s->fd, s->file, cloexec, false);
    e->fd = (int16_t)(idx + 3);
    return 0;
}

/* linkat(D, "", dir, F, AT_EMPTY_PATH): a transient tmpfile becomes
 * visible, if the policy lets this task. */
static int do_link(struct model *m, const struct step *s,
                   struct trace_error *err)
{
    int where;
    TRY(need_running(m, s->task, err));
    TRY(need_fd(m, s->task, s->fd, &where, err));
    struct event *e = emit(m, EV_LINK, s->task);
    if (where < 0) {
        e->result = -ERR_EBADF; /* a failed fd links no file */
        return 0;
    }
    const struct fdent *ent = &table_of(m, s->task)->ent[where];
    struct mfile *fl = &m->file[ent->file];
    e->file = ent->file;
    e->fd = (int16_t)(where + 3);
    e->rdonly = ent->rdonly;
    if (!fl->rec.tmpfile || fl->state != FILE_TRANSIENT) {
        e->result = -ERR_EINVAL;
        return 0;
    }
    struct task_ctx c = ctx_of(m, s->task);
    int rc = classify_link(m->policy, &fl->rec, &c);
    if (rc) {
        e->result = -rc;
        return 0;
    }
    fl->state = FILE_SEALED;
    struct event *sealed = emit(m, EV_SEAL, s->task);
    sealed->file = ent->file;
    sealed->bytes = fl->size;
    return 0;
}

/* open(F, O_RDONLY): a read-only fd of the visible file F; ENOENT (a failed
 * fd) when F is not visible. */
static int do_open(struct model *m, const struct step *s,
                   struct trace_error *err)
{
    TRY(need_running(m, s->task, err));
    TRY(need_unbound(m, s->task, s->fd, err));
    struct mfile *fl = &m->file[s->file];
    if (fl->named == NAMED_NONE)
        return terr(m, err,
                    "open '%s': no earlier create or tmpfile uses the name",
                    m->prog->file_names[s->file]);
    struct fdtable *tb = table_of(m, s->task);
    struct event *e = op_event(m, s);
    e->file = s->file;
    if (fl->state != FILE_SEALED) {
        e->result = -ERR_ENOENT;
        fd_bind_failed(tb, s->fd, s->file, false);
        return 0;
    }
    int idx = fd_lowest_free(tb);
    fd_bind(m, tb, idx, s->fd, s->file, false, true);
    e->fd = (int16_t)(idx + 3);
    e->rdonly = 1;
    return 0;
}

/* closetracker_map N: the close tracker's capacity, before anything. */
static int do_closetracker_map(struct model *m, const struct step *s,
                               struct trace_error *err)
{
    if (m->step != 0)
        return terr(m, err, "closetracker_map must come before any other "
                            "statement");
    m->ctmap.capacity = s->n;
    op_event(m, s);
    return 0;
}

static int do_write(struct model *m, const struct step *s,
                    struct trace_error *err)
{
    int where;
    TRY(need_running(m, s->task, err));
    TRY(need_fd(m, s->task, s->fd, &where, err));
    struct event *e = emit(m, EV_WRITE, s->task);
    e->bytes = s->n;
    if (where < 0) {
        e->result = -ERR_EBADF;
        return 0;
    }
    struct fdent *ent = &table_of(m, s->task)->ent[where];
    struct mfile *fl = &m->file[ent->file];
    e->file = ent->file;
    e->fd = (int16_t)(where + 3);
    e->rdonly = ent->rdonly;
    if (ent->rdonly)
        e->result = -ERR_EBADF; /* not open for writing */
    else if (fl->state == FILE_TRANSIENT)
        fl->size += s->n;
    else
        e->result = fl->state == FILE_SEALED ? -ERR_EROFS : -ERR_EIO;
    return 0;
}

static int do_close(struct model *m, const struct step *s,
                    enum close_cause cause, struct trace_error *err)
{
    int where;
    TRY(need_running(m, s->task, err));
    TRY(need_fd(m, s->task, s->fd, &where, err));
    struct event *e = op_event(m, s);
    struct fdent ent = fd_unbind(table_of(m, s->task), where);
    if (where < 0)
        e->result = -ERR_EBADF;
    else
        e->result = close_fd(m, s->task, ent, where, cause);
    return 0;
}

static int do_close_range(struct model *m, const struct step *s,
                          struct trace_error *err)
{
    TRY(need_running(m, s->task, err));
    op_event(m, s);
    close_all(m, s->task, m->task[s->task].fdt, CLOSE_RANGE, false);
    return 0;
}

static int do_dup(struct model *m, const struct step *s,
                  struct trace_error *err)
{
    int where;
    TRY(need_running(m, s->task, err));
    TRY(need_fd(m, s->task, s->fd, &where, err));
    TRY(need_unbound(m, s->task, s->fd2, err));
    struct event *e = op_event(m, s);
    struct fdtable *tb = table_of(m, s->task);
    if (where < 0) {
        e->result = -ERR_EBADF;
        fd_bind_failed(tb, s->fd2, tb->fail[-2 - where].file, false);
        return 0;
    }
    int idx = fd_lowest_free(tb);
    fd_bind(m, tb, idx, s->fd2, tb->ent[where].file, false,
            tb->ent[where].rdonly);
    e->fd = (int16_t)(idx + 3);
    return 0;
}

/* dup2 installs the new file at D2's number first, then closes what D2
 * referred to (do_dup2 in fs/file.c).  From a failed fd D it fails with
 * EBADF and leaves D2 as it was (SPEC v2 §3); so that validity never
 * depends on the policy, the name D2 is bound after it all the same,
 * without close-on-exec: an unbound D2 becomes a failed fd, and an open D2
 * that keeps its close-on-exec flag stays bound, failed, when exec closes
 * it. */
static int do_dup2(struct model *m, const struct step *s,
                   struct trace_error *err)
{
    int where, old;
    TRY(need_running(m, s->task, err));
    TRY(need_fd(m, s->task, s->fd, &where, err));
    struct fdtable *tb = table_of(m, s->task);
    old = s->fd == s->fd2 ? where : fd_find(tb, s->fd2);
    if (old == -1 && tb->nbound >= MAX_FDS)
        return terr(m, err, "the fd table of '%s' is full (at most %d fds)",
                    tname(m, s->task), MAX_FDS);
    struct event *e = op_event(m, s);
    if (s->fd == s->fd2) { /* dup2(fd, fd) does nothing */
        e->result = where < 0 ? -ERR_EBADF : 0;
        return 0;
    }
    if (where < 0) {
        e->result = -ERR_EBADF;
        if (old == -1)
            fd_bind_failed(tb, s->fd2, tb->fail[-2 - where].file, false);
        else if (old < -1)
            tb->fail[-2 - old].cloexec = 0;
        else if (tb->ent[old].cloexec)
            tb->ent[old].name_stays = 1;
        return 0;
    }
    struct fdent src = tb->ent[where];
    struct fdent gone = {0, 0, 0, 0, 0};
    if (old != -1)
        gone = fd_unbind(tb, old);
    int idx = old >= 0 ? old : fd_lowest_free(tb);
    fd_bind(m, tb, idx, s->fd2, src.file, false, src.rdonly);
    e->fd = (int16_t)(idx + 3);
    if (old >= 0)
        close_fd(m, s->task, gone, old, CLOSE_DUP2);
    return 0;
}

static int do_send(struct model *m, const struct step *s,
                   struct trace_error *err)
{
    int where;
    TRY(need_running(m, s->task, err));
    TRY(need_fd(m, s->task, s->fd, &where, err));
    TRY(need_running(m, s->task2, err)); /* a live, not suspended task */
    TRY(need_unbound(m, s->task2, s->fd2, err));
    struct event *e = op_event(m, s);
    struct fdtable *from = table_of(m, s->task), *to = table_of(m, s->task2);
    if (where < 0) {
        e->result = -ERR_EBADF;
        fd_bind_failed(to, s->fd2, from->fail[-2 - where].file, false);
        return 0;
    }
    int idx = fd_lowest_free(to);
    fd_bind(m, to, idx, s->fd2, from->ent[where].file, false,
            from->ent[where].rdonly);
    e->fd = (int16_t)(idx + 3);
    return 0;
}

/* Thread exit.  The last live thread takes the whole process with it. */
static int do_exit(struct model *m, const struct step *s,
                   struct trace_error *err)
{
    uint16_t t = s->task;
    TRY(need_user(m, t, "exit", err));
    op_event(m, s);
    struct mtask *k = &m->task[t];
    struct mproc *p = &m->proc[k->proc];
    bool last = p->nlive == 1;
    if (last) { /* a normal exit of the process: its status */
        p->alive = 0;
        struct event *d = emit(m, EV_DEATH, p->first);
        d->proc = k->proc;
        d->clean_exit = 1;
    }
    exit_mm(m, t);
    exit_files(m, t);
    p->nlive--;
    if (last) {
        k->state = TASK_DEAD;
        if (t != p->leader)
            slot_release(m, t);
        m->task[p->leader].state = TASK_DEAD; /* reaped at once */
        slot_release(m, p->leader);
    } else if (t == p->leader) {
        k->state = TASK_ZOMBIE; /* stays group_leader, mm NULL */
    } else {
        k->state = TASK_DEAD;
        slot_release(m, t);
    }
    return 0;
}

/* execve: de_thread, leader takeover, new mm, close-on-exec. */
static int do_exec(struct model *m, const struct step *s,
                   struct trace_error *err)
{
    uint16_t t = s->task;
    TRY(need_user(m, t, "exec", err));
    TRY(need_order(m, s, m->task[t].proc, t, err));
    op_event(m, s);
    struct mtask *k = &m->task[t];
    struct mproc *p = &m->proc[k->proc];
    uint16_t old_leader = p->leader;
    threads_exit(m, s, k->proc, t);
    for (uint16_t o = p->head; o != NONE; o = m->task[o].next) {
        if (o == t || m->task[o].state == TASK_DEAD)
            continue;
        m->task[o].state = TASK_DEAD;
        m->task[o].suspended = 0;
        if (o != old_leader)
            slot_release(m, o);
    }
    if (old_leader != t) {
        slot_release(m, old_leader); /* the old leader is released last */
        p->leader = t;
    }
    p->nlive = 1;
    if (m->fdt[k->fdt].refs > 1) { /* unshare_files() in begin_new_exec */
        uint16_t old = k->fdt;
        k->fdt = fdt_copy(m, old);
        m->fdt[old].refs--;
    }
    uint16_t old_mm = m->slot_mm[k->slot];
    m->slot_mm[k->slot] = mm_alloc(m);
    mm_put(m, old_mm);
    if (k->waiter != NONE) {
        m->task[k->waiter].suspended = 0;
        k->waiter = NONE;
    }
    close_all(m, t, k->fdt, CLOSE_CLOEXEC, true);
    return 0;
}

static int do_exit_group(struct model *m, const struct step *s,
                         struct trace_error *err)
{
    TRY(need_user(m, s->task, "exit", err));
    TRY(need_order(m, s, m->task[s->task].proc, NONE, err));
    op_event(m, s);
    group_death(m, m->task[s->task].proc, s, false);
    return 0;
}

static int do_kill(struct model *m, const struct step *s,
                   struct trace_error *err)
{
    const struct mtask *k = &m->task[s->task];
    if (k->state == TASK_UNBORN)
        return terr(m, err, "unknown task '%s' (not created yet)",
                    tname(m, s->task));
    const struct mproc *p = &m->proc[k->proc];
    /* A live task, or a name that holds the pid of a live process: its
     * first thread, or a zombie leader (which may be a thread that exec'd
     * and took the pid over, then exited). */
    bool names_process = k->state == TASK_ALIVE ||
                         (p->alive && (p->first == s->task ||
                                       p->leader == s->task));
    if (!names_process)
        return terr(m, err,
                    "kill of '%s': the task is dead and names no live "
                    "process",
                    tname(m, s->task));
    TRY(need_order(m, s, k->proc, NONE, err));
    op_event(m, s);
    if (!p->kthread) /* SIGKILL to a kernel thread is ignored */
        group_death(m, k->proc, s, true);
    return 0;
}

int model_step(struct model *m, uint32_t i, struct trace_error *err)
{
    const struct step *s = &m->prog->steps[i];
    m->step = i;
    int rc;
    switch (s->op) {
    case OP_SPAWN: rc = do_spawn(m, s, false, err); break;
    case OP_KTHREAD: rc = do_spawn(m, s, true, err); break;
    case OP_CREATE: rc = do_create(m, s, false, err); break;
    case OP_TMPFILE: rc = do_create(m, s, true, err); break;
    case OP_LINK: rc = do_link(m, s, err); break;
    case OP_OPEN: rc = do_open(m, s, err); break;
    case OP_CLOSETRACKER_MAP: rc = do_closetracker_map(m, s, err); break;
    case OP_WRITE: rc = do_write(m, s, err); break;
    case OP_CLOSE: rc = do_close(m, s, CLOSE_SYSCALL, err); break;
    case OP_URING_CLOSE: rc = do_close(m, s, CLOSE_URING, err); break;
    case OP_CLOSE_RANGE: rc = do_close_range(m, s, err); break;
    case OP_DUP: rc = do_dup(m, s, err); break;
    case OP_DUP2: rc = do_dup2(m, s, err); break;
    case OP_FORK: rc = do_fork(m, s, false, err); break;
    case OP_VFORK: rc = do_fork(m, s, true, err); break;
    case OP_THREAD: rc = do_thread(m, s, err); break;
    case OP_UNSHARE_FILES: rc = do_unshare(m, s, err); break;
    case OP_EXEC: rc = do_exec(m, s, err); break;
    case OP_EXIT: rc = do_exit(m, s, err); break;
    case OP_EXIT_GROUP: rc = do_exit_group(m, s, err); break;
    case OP_KILL: rc = do_kill(m, s, err); break;
    case OP_SEND: rc = do_send(m, s, err); break;
    case OP_EXPECT: rc = 0; break;
    default: rc = terr(m, err, "bad statement code %u", s->op); break;
    }
    if (rc == 0 && m->overflow)
        return terr(m, err, "history too long (at most %d events)",
                    MAX_EVENTS);
    return rc;
}

void model_finish(struct model *m)
{
    m->step = m->prog->nsteps;
    for (uint16_t pi = 0; pi < m->nprocs; pi++) {
        if (!m->proc[pi].alive || m->proc[pi].kthread)
            continue;
        struct event *e = emit(m, EV_OP, m->proc[pi].first);
        e->op = OP_KILL;
        e->proc = pi;
        group_death(m, pi, NULL, true);
    }
}
