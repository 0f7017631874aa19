/* model.c - the Linux process lifecycle of SPEC §2, step by step.
 *
 * Every statement validates first and mutates after, so a trace error leaves
 * the model untouched (model_sanitize relies on it).  Pools are fixed; see
 * limits.h.  "Slots" are task_struct memory: slot numbers play the role of
 * kernel pointers in the contexts given to the core.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

#define NONE 0xffff
#define MAX_PROCS MAX_TASK_NAMES
/* Live mms: at most one per task plus one grabbed per file. */
#define MAX_MMS (MAX_TASK_NAMES + MAX_FILE_NAMES + 2)
#define DECISION_NONE 0xff /* a flush of a file that is not transient */
#define FDBITS (MAX_FDS / 64)

struct mtask {
    uint8_t state;     /* enum task_state                               */
    uint8_t kthread;
    uint8_t suspended; /* a vfork parent waiting for its child          */
    uint16_t proc;
    uint16_t slot;     /* 0 when freed                                  */
    uint16_t fdt;      /* NONE when it has no fd table                  */
    uint16_t waiter;   /* vfork: the parent waiting for this child      */
    uint16_t next;     /* next thread of the process, creation order    */
};

struct mproc {
    uint8_t alive;
    uint8_t kthread;
    uint16_t first;    /* its first thread: the name of the process     */
    uint16_t leader;   /* current group leader                           */
    uint16_t head, tail;
    uint16_t nlive;    /* threads in TASK_ALIVE                          */
    uint16_t nmm;      /* threads whose mm is not NULL                   */
    uint32_t start;    /* start time (identity with the tgid)            */
};

struct fdent {
    uint16_t name;
    uint16_t file;
    uint8_t cloexec;
};

struct fdtable {
    uint16_t refs;
    uint16_t nfailed;
    uint16_t nbound; /* real + failed: the limit counts both, so that
                        validity does not depend on the policy */
    uint64_t used[FDBITS];
    struct fdent ent[MAX_FDS];  /* by fd number - 3 */
    struct fdent fail[MAX_FDS]; /* names bound to a failed create */
};

struct mfile {
    uint8_t state; /* enum file_state */
    uint16_t refs; /* fds referring to its one open file */
    uint16_t grabbed_mm;
    uint64_t size;
    struct file_record rec;
};

struct model {
    enum policy policy;
    const struct program *prog;
    uint32_t step;
    bool overflow;

    struct mtask task[MAX_TASK_NAMES];
    struct mproc proc[MAX_PROCS];
    uint16_t nprocs;

    uint16_t slot_mm[MAX_TASK_NAMES + 1]; /* slot -> its task's mm field */
    uint16_t nslots;
    uint16_t slot_free[MAX_TASK_NAMES];
    uint16_t nslot_free;

    uint16_t mm_users[MAX_MMS + 1], mm_grabs[MAX_MMS + 1];
    uint16_t nmms;
    uint16_t mm_free[MAX_MMS];
    uint16_t nmm_free;

    struct fdtable fdt[MAX_TASK_NAMES];
    uint16_t nfdts;
    uint16_t fdt_free[MAX_TASK_NAMES];
    uint16_t nfdt_free;

    struct mfile file[MAX_FILE_NAMES];

    struct history hist;
    struct event spill; /* written when the history is full */
    struct event ev[MAX_EVENTS];
};

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
    memset(m->task, 0, prog->ntasks * sizeof m->task[0]);
    memset(m->file, 0, prog->nfiles * sizeof m->file[0]);
    m->nprocs = 0;
    m->nslots = m->nslot_free = 0;
    m->nmms = m->nmm_free = 0;
    m->nfdts = m->nfdt_free = 0;
    m->hist.len = 0;
}

/* ---------------------------------------------------------------- errors */

static int terr(struct model *m, struct trace_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int terr(struct model *m, struct trace_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->line = m->prog->steps[m->step].line;
    return -1;
}

static const char *tname(const struct model *m, uint16_t t)
{
    return m->prog->task_names[t];
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

static uint16_t slot_alloc(struct model *m)
{
    if (m->nslot_free)
        return m->slot_free[--m->nslot_free]; /* LIFO: last freed first */
    return ++m->nslots;
}

static void slot_release(struct model *m, uint16_t t)
{
    struct mtask *k = &m->task[t];
    if (k->slot) {
        m->slot_free[m->nslot_free++] = k->slot;
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

/* Find fd name `name`: returns the fd index (>= 0) of a real fd, or
 * -2 - i for failed binding i, or -1 when not bound. */
static int fd_find(const struct fdtable *tb, uint16_t name)
{
    for (int w = 0; w < FDBITS; w++) {
        uint64_t bits = tb->used[w];
        while (bits) {
            int idx = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            if (tb->ent[idx].name == name)
                return idx;
        }
    }
    for (int i = 0; i < tb->nfailed; i++)
        if (tb->fail[i].name == name)
            return -2 - i;
    return -1;
}

static void fd_bind(struct model *m, struct fdtable *tb, int idx,
                    uint16_t name, uint16_t file, bool cloexec)
{
    tb->used[idx / 64] |= 1ull << (idx % 64);
    tb->ent[idx] = (struct fdent){name, file, cloexec};
    tb->nbound++;
    m->file[file].refs++;
}

static void fd_bind_failed(struct fdtable *tb, uint16_t name, uint16_t file,
                           bool cloexec)
{
    tb->fail[tb->nfailed++] = (struct fdent){name, file, cloexec};
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
    c.other_thread_has_mm = p->nmm > (c.mm ? 1u : 0u);
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

/* One fd of file f, number idx+3, closed by task t: flush it. */
static void close_fd(struct model *m, uint16_t t, uint16_t f, int idx,
                     enum close_cause cause)
{
    struct mfile *fl = &m->file[f];
    struct event *e = emit(m, EV_CLOSE, t);
    e->file = f;
    e->fd = (int16_t)(idx + 3);
    e->cause = (uint8_t)cause;
    if (cause == CLOSE_SYSCALL)
        note_close_syscall(&fl->rec);

    struct task_ctx c = ctx_of(m, t);
    e = emit(m, EV_FLUSH, t);
    e->file = f;
    e->fd = (int16_t)(idx + 3);
    e->cause = (uint8_t)cause;
    e->ctx_leader = (uint32_t)c.leader;
    e->ctx_mm = (uint32_t)c.mm;
    e->file_owner = (uint32_t)fl->rec.owner;
    e->decision = DECISION_NONE;
    if (fl->state == FILE_TRANSIENT) {
        uint64_t owner = fl->rec.owner;
        struct flush_inputs in = {
            .owner_mm_now = owner <= MAX_TASK_NAMES ? m->slot_mm[owner] : 0,
        };
        e->file_mm = (uint32_t)fl->rec.owner_mm;
        e->owner_mm_now = (uint32_t)in.owner_mm_now;
        enum flush_decision d = classify_flush(m->policy, &fl->rec, &c, &in);
        e->decision = (uint8_t)d;
        if (d == FLUSH_SEAL) {
            fl->state = FILE_SEALED;
            note_sealed(&fl->rec);
            struct event *s = emit(m, EV_SEAL, t);
            s->file = f;
            s->bytes = fl->size;
        } else if (d == FLUSH_ABORT) {
            fl->state = FILE_ABORTED;
            emit(m, EV_ABORT, t)->file = f;
        } else if (d == FLUSH_FAIL) {
            e->result = -ERR_EIO;
        }
    }
    file_release(m, f);
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
            close_fd(m, t, e.file, idx, cause);
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

static uint16_t new_process(struct model *m, uint16_t t, bool kthread)
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
    k->slot = slot_alloc(m);
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

/* The whole thread group dies (exit_group, SIGKILL, end of trace): every
 * thread runs exit_mm first, then exit_files in creation order; non-leader
 * slots are freed in creation order, the leader's last. */
static void group_death(struct model *m, uint16_t pi)
{
    struct mproc *p = &m->proc[pi];
    if (!p->alive)
        return;
    p->alive = 0;
    struct event *d = emit(m, EV_DEATH, p->first);
    d->proc = pi;
    for (uint16_t t = p->head; t != NONE; t = m->task[t].next)
        if (m->task[t].state == TASK_ALIVE)
            exit_mm(m, t);
    for (uint16_t t = p->head; t != NONE; t = m->task[t].next)
        if (m->task[t].state == TASK_ALIVE)
            exit_files(m, t);
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
    new_process(m, s->task, kthread);
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
    op_event(m, s);
    uint16_t parent = s->task, child = s->task2;
    uint16_t ptab = m->task[parent].fdt;
    new_process(m, child, false);
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
    op_event(m, s);
    struct mtask *k = &m->task[s->task], *n = &m->task[s->task2];
    struct mproc *p = &m->proc[k->proc];
    n->state = TASK_ALIVE;
    n->proc = k->proc;
    n->slot = slot_alloc(m);
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

static int do_create(struct model *m, const struct step *s,
                     struct trace_error *err)
{
    TRY(need_running(m, s->task, err));
    TRY(need_unbound(m, s->task, s->fd, err));
    struct mfile *fl = &m->file[s->file];
    struct fdtable *tb = table_of(m, s->task);
    bool cloexec = s->flags & STEP_CLOEXEC;
    struct event *e = emit(m, EV_CREATE, s->task);
    e->file = s->file;
    if (fl->state != FILE_NONE) {
        e->result = -ERR_EEXIST;
    } else {
        struct task_ctx c = ctx_of(m, s->task);
        int rc = classify_create(m->policy, &c, &fl->rec);
        if (rc)
            e->result = -rc;
    }
    if (e->result) {
        fd_bind_failed(tb, s->fd, s->file, cloexec);
        return 0;
    }
    fl->state = FILE_TRANSIENT;
    fl->size = 0;
    fl->grabbed_mm = (uint16_t)fl->rec.owner_mm;
    if (fl->grabbed_mm)
        m->mm_grabs[fl->grabbed_mm]++; /* mmgrab: never reused while held */
    int idx = fd_lowest_free(tb);
    fd_bind(m, tb, idx, s->fd, s->file, cloexec);
    e->fd = (int16_t)(idx + 3);
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
    if (fl->state == FILE_TRANSIENT)
        fl->size += s->n;
    else
        e->result = fl->state == FILE_SEALED ? -ERR_EPERM : -ERR_EIO;
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
        close_fd(m, s->task, ent.file, where, cause);
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
    fd_bind(m, tb, idx, s->fd2, tb->ent[where].file, false);
    e->fd = (int16_t)(idx + 3);
    return 0;
}

/* dup2 installs the new file at D2's number first, then closes what D2
 * referred to (do_dup2 in fs/file.c).  From a failed fd D, SPEC §3 makes D2
 * a failed fd and still closes an open D2 first ("closing D2 first if
 * open"); real dup2(-1, n) would fail with EBADF and leave n open, so a real
 * executor must close D2 itself to produce the same history. */
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
    struct fdent src = where >= 0 ? tb->ent[where] : tb->fail[-2 - where];
    struct fdent gone = {0, 0, 0};
    if (old != -1)
        gone = fd_unbind(tb, old);
    if (where < 0) {
        e->result = -ERR_EBADF;
        fd_bind_failed(tb, s->fd2, src.file, false);
    } else {
        int idx = old >= 0 ? old : fd_lowest_free(tb);
        fd_bind(m, tb, idx, s->fd2, src.file, false);
        e->fd = (int16_t)(idx + 3);
    }
    if (old >= 0)
        close_fd(m, s->task, gone.file, old, CLOSE_DUP2);
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
    fd_bind(m, to, idx, s->fd2, from->ent[where].file, false);
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
    if (last) {
        p->alive = 0;
        emit(m, EV_DEATH, p->first)->proc = k->proc;
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
    op_event(m, s);
    struct mtask *k = &m->task[t];
    struct mproc *p = &m->proc[k->proc];
    uint16_t old_leader = p->leader;
    for (uint16_t o = p->head; o != NONE; o = m->task[o].next)
        if (o != t && m->task[o].state == TASK_ALIVE)
            exit_mm(m, o);
    for (uint16_t o = p->head; o != NONE; o = m->task[o].next)
        if (o != t && m->task[o].state == TASK_ALIVE)
            exit_files(m, o);
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
    op_event(m, s);
    group_death(m, m->task[s->task].proc);
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
    op_event(m, s);
    if (!p->kthread) /* SIGKILL to a kernel thread is ignored */
        group_death(m, k->proc);
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
    case OP_CREATE: rc = do_create(m, s, err); break;
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
        group_death(m, pi);
    }
}

int model_run(struct model *m, const struct program *prog, enum policy policy,
              struct trace_error *err)
{
    model_reset(m, prog, policy);
    for (uint32_t i = 0; i < prog->nsteps; i++)
        if (model_step(m, i, err) < 0)
            return -1;
    model_finish(m);
    if (m->overflow) {
        err->line = 0;
        snprintf(err->msg, sizeof err->msg,
                 "history too long (at most %d events)", MAX_EVENTS);
        return -1;
    }
    return 0;
}

int model_check(struct model *m, const struct program *prog,
                struct trace_error *err)
{
    return model_run(m, prog, POLICY_REFERENCE, err);
}

void model_sanitize_run(struct model *m, struct program *prog,
                        enum policy policy)
{
    struct trace_error err;
    model_reset(m, prog, policy);
    for (uint32_t i = 0; i < prog->nsteps;) {
        uint32_t before = m->hist.len;
        if (model_step(m, i, &err) < 0) {
            m->hist.len = before;
            m->overflow = false;
            program_remove_step(prog, i);
        } else {
            i++;
        }
    }
    bool created[MAX_FILE_NAMES] = {0};
    for (uint32_t i = 0; i < prog->nsteps; i++)
        if (prog->steps[i].op == OP_CREATE)
            created[prog->steps[i].file] = true;
    uint32_t removed_before_end = 0;
    for (uint32_t i = 0; i < prog->nsteps;) {
        const struct step *s = &prog->steps[i];
        if (s->op == OP_EXPECT && s->xkind != EXPECT_CLEAN &&
            !created[s->file]) {
            program_remove_step(prog, i);
            removed_before_end++;
        } else {
            i++;
        }
    }
    /* Expects emit no events, so the history stays that of the program;
     * only the step indices of later events would shift.  Renumber. */
    if (removed_before_end) {
        model_run(m, prog, policy, &err);
        return;
    }
    model_finish(m);
}

void model_sanitize(struct model *m, struct program *prog)
{
    model_sanitize_run(m, prog, POLICY_REFERENCE);
}

uint16_t model_proc_name(const struct model *m, uint16_t proc)
{
    return proc < m->nprocs ? m->proc[proc].first : 0;
}

uint16_t model_proc_count(const struct model *m)
{
    return m->nprocs;
}

struct task_view model_task(const struct model *m, uint16_t t)
{
    struct task_view v = {0};
    const struct mtask *k = &m->task[t];
    v.state = (enum task_state)k->state;
    v.fd_table = -1;
    if (k->state == TASK_UNBORN)
        return v;
    v.kthread = k->kthread;
    v.suspended = k->suspended;
    v.proc = k->proc;
    v.leader = m->proc[k->proc].leader;
    v.slot = k->slot;
    v.mm = k->slot ? m->slot_mm[k->slot] : 0;
    if (k->fdt != NONE && k->state == TASK_ALIVE) {
        v.fd_table = k->fdt;
        v.fd_table_refs = m->fdt[k->fdt].refs;
        v.nfds = m->fdt[k->fdt].nbound;
    }
    return v;
}

struct file_view model_file(const struct model *m, uint16_t f)
{
    const struct mfile *fl = &m->file[f];
    return (struct file_view){(enum file_state)fl->state, fl->size, fl->refs,
                              (uint32_t)fl->rec.owner,
                              (uint32_t)fl->rec.owner_mm};
}

void model_mm_holders(const struct model *m, uint32_t mm, uint32_t *users,
                      uint32_t *grabs)
{
    *users = mm && mm <= m->nmms ? m->mm_users[mm] : 0;
    *grabs = mm && mm <= m->nmms ? m->mm_grabs[mm] : 0;
}

bool model_fd_bound(const struct model *m, uint16_t t, uint16_t d)
{
    const struct mtask *k = &m->task[t];
    return k->state == TASK_ALIVE && fd_find(&m->fdt[k->fdt], d) != -1;
}

bool model_task_runnable(const struct model *m, uint16_t t)
{
    return m->task[t].state == TASK_ALIVE && !m->task[t].suspended;
}

int model_fd_number(const struct model *m, uint16_t t, uint16_t d)
{
    const struct mtask *k = &m->task[t];
    if (k->state != TASK_ALIVE || k->fdt == NONE)
        return -1;
    int where = fd_find(&m->fdt[k->fdt], d);
    return where >= 0 ? where + 3 : -1;
}

/* ------------------------------------------------------------ invariants */

static int broken(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int broken(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

int model_check_invariants(const struct model *m, char *why, size_t cap)
{
    const struct program *p = m->prog;
    uint32_t file_refs[MAX_FILE_NAMES] = {0};
    uint32_t table_refs[MAX_TASK_NAMES] = {0};
    uint32_t mm_users[MAX_MMS + 1] = {0}, mm_grabs[MAX_MMS + 1] = {0};
    uint8_t slot_owner[MAX_TASK_NAMES + 1] = {0};
    bool table_free[MAX_TASK_NAMES] = {0};

    for (uint16_t i = 0; i < m->nfdt_free; i++) {
        if (m->fdt_free[i] >= m->nfdts || table_free[m->fdt_free[i]])
            return broken(why, cap, "fd table free list corrupt");
        table_free[m->fdt_free[i]] = true;
    }
    /* tasks: slots, tables, mms */
    for (uint16_t t = 0; t < p->ntasks; t++) {
        const struct mtask *k = &m->task[t];
        if (k->state == TASK_UNBORN)
            continue;
        bool holds_slot = k->state == TASK_ALIVE || k->state == TASK_ZOMBIE;
        if (holds_slot != (k->slot != 0))
            return broken(why, cap, "task %s: slot %u in state %u",
                          tname(m, t), k->slot, k->state);
        if (k->slot) {
            if (k->slot > m->nslots || slot_owner[k->slot])
                return broken(why, cap, "task %s: slot %u shared or bad",
                              tname(m, t), k->slot);
            slot_owner[k->slot] = 1;
            uint16_t mm = m->slot_mm[k->slot];
            if (mm > m->nmms)
                return broken(why, cap, "task %s: bad mm %u", tname(m, t),
                              mm);
            if (k->state == TASK_ZOMBIE && mm)
                return broken(why, cap, "zombie %s still has mm %u",
                              tname(m, t), mm);
            if (k->kthread && mm)
                return broken(why, cap, "kthread %s has mm %u", tname(m, t),
                              mm);
            mm_users[mm]++;
        }
        if ((k->state == TASK_ALIVE) != (k->fdt != NONE))
            return broken(why, cap, "task %s: fd table %u in state %u",
                          tname(m, t), k->fdt, k->state);
        if (k->fdt != NONE) {
            if (k->fdt >= m->nfdts || table_free[k->fdt])
                return broken(why, cap, "task %s uses a freed fd table",
                              tname(m, t));
            table_refs[k->fdt]++;
        }
        if (k->suspended && k->state != TASK_ALIVE)
            return broken(why, cap, "dead task %s suspended", tname(m, t));
    }
    /* slots: every slot is held by one task or on the free stack, once */
    for (uint16_t i = 0; i < m->nslot_free; i++) {
        uint16_t sl = m->slot_free[i];
        if (sl == 0 || sl > m->nslots || slot_owner[sl])
            return broken(why, cap, "slot %u both free and held (or twice "
                                    "free)",
                          sl);
        slot_owner[sl] = 2;
    }
    for (uint16_t sl = 1; sl <= m->nslots; sl++)
        if (!slot_owner[sl])
            return broken(why, cap, "slot %u neither held nor free", sl);
    /* fd tables: references and bound fds */
    for (uint16_t tb = 0; tb < m->nfdts; tb++) {
        if (table_free[tb])
            continue;
        const struct fdtable *t = &m->fdt[tb];
        if (t->refs != table_refs[tb])
            return broken(why, cap, "fd table %u: refs %u, %u tasks use it",
                          tb, t->refs, table_refs[tb]);
        uint32_t real = 0;
        for (int w = 0; w < FDBITS; w++) {
            uint64_t bits = t->used[w];
            while (bits) {
                int idx = w * 64 + __builtin_ctzll(bits);
                bits &= bits - 1;
                real++;
                uint16_t f = t->ent[idx].file;
                if (f >= p->nfiles || m->file[f].state == FILE_NONE)
                    return broken(why, cap, "fd %d refers to no file",
                                  idx + 3);
                file_refs[f]++;
            }
        }
        if (t->nbound != real + t->nfailed)
            return broken(why, cap, "fd table %u: %u bound, %u real + %u "
                                    "failed",
                          tb, t->nbound, real, t->nfailed);
    }
    /* files: open-file references, mm grabs */
    for (uint16_t f = 0; f < p->nfiles; f++) {
        const struct mfile *fl = &m->file[f];
        if (fl->refs != file_refs[f])
            return broken(why, cap, "file %s: %u refs, %u fds",
                          p->file_names[f], fl->refs, file_refs[f]);
        if (fl->grabbed_mm) {
            if (fl->refs == 0)
                return broken(why, cap, "released file %s still grabs mm",
                              p->file_names[f]);
            mm_grabs[fl->grabbed_mm]++;
        }
    }
    bool mm_free[MAX_MMS + 1] = {0};
    for (uint16_t i = 0; i < m->nmm_free; i++) {
        uint16_t id = m->mm_free[i];
        if (id == 0 || id > m->nmms || mm_free[id])
            return broken(why, cap, "mm free list corrupt at %u", id);
        mm_free[id] = true;
    }
    for (uint16_t id = 1; id <= m->nmms; id++) {
        if (mm_free[id]) {
            if (mm_users[id] || mm_grabs[id])
                return broken(why, cap, "freed mm %u still in use", id);
            continue;
        }
        if (m->mm_users[id] != mm_users[id] || m->mm_grabs[id] != mm_grabs[id])
            return broken(why, cap, "mm %u: users %u/%u grabs %u/%u", id,
                          m->mm_users[id], mm_users[id], m->mm_grabs[id],
                          mm_grabs[id]);
        if (!mm_users[id] && !mm_grabs[id])
            return broken(why, cap, "mm %u unused but not freed", id);
    }
    /* processes: live threads, threads with an mm, the leader */
    for (uint16_t pi = 0; pi < m->nprocs; pi++) {
        const struct mproc *pr = &m->proc[pi];
        uint16_t nlive = 0, nmm = 0;
        bool leader_in = false;
        for (uint16_t t = pr->head; t != NONE; t = m->task[t].next) {
            const struct mtask *k = &m->task[t];
            if (k->proc != pi)
                return broken(why, cap, "thread %s in the wrong process",
                              tname(m, t));
            leader_in |= t == pr->leader;
            if (k->state == TASK_ALIVE) {
                nlive++;
                nmm += m->slot_mm[k->slot] != 0;
            }
        }
        if (!leader_in || nlive != pr->nlive || nmm != pr->nmm ||
            (nlive > 0) != (pr->alive != 0))
            return broken(why, cap, "process %s: %u/%u live, %u/%u with mm, "
                                    "alive %u",
                          tname(m, pr->first), pr->nlive, nlive, pr->nmm, nmm,
                          pr->alive);
        if (pr->alive && m->task[pr->leader].state == TASK_DEAD)
            return broken(why, cap, "process %s: dead leader",
                          tname(m, pr->first));
    }
    return 0;
}
