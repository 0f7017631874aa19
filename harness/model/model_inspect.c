/* model_inspect.c - read-only views of the model for tests and timelines,
 * and the check of its bookkeeping (model_check_invariants). */
#include "model_internal.h"

uint16_t model_proc_name(const struct model *m, uint16_t proc)
{
    return proc < m->nprocs ? m->proc[proc].first : 0;
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

int model_fd_file(const struct model *m, uint16_t t, uint16_t d)
{
    const struct mtask *k = &m->task[t];
    if (k->state != TASK_ALIVE || k->fdt == NONE)
        return -1;
    int where = fd_find(&m->fdt[k->fdt], d);
    return where >= 0 ? m->fdt[k->fdt].ent[where].file : -1;
}

unsigned model_reusable_tasks(const struct model *m,
                              uint16_t out[MAX_TASK_NAMES])
{
    unsigned n = 0;
    for (uint16_t t = 0; t < m->prog->ntasks && t < MAX_TASK_NAMES; t++) {
        const struct mtask *k = &m->task[t];
        if (k->state != TASK_UNBORN && k->freed_slot && !k->reused)
            out[n++] = t;
    }
    return n;
}

bool model_released_still_named(const struct model *m, uint16_t t)
{
    const struct mtask *k = &m->task[t];
    if (t >= m->prog->ntasks || k->state == TASK_UNBORN || !k->freed_slot ||
        k->reused)
        return false;
    for (uint16_t f = 0; f < m->prog->nfiles; f++) {
        const struct mfile *fl = &m->file[f];
        if (fl->state != FILE_NONE && fl->refs && fl->rec.owner == k->freed_slot)
            return true;
    }
    return false;
}

unsigned model_dying_threads(const struct model *m, const struct step *s,
                             uint16_t out[MAX_TASK_NAMES])
{
    if ((s->op != OP_KILL && s->op != OP_EXIT_GROUP && s->op != OP_EXEC) ||
        s->task >= m->prog->ntasks || m->task[s->task].state == TASK_UNBORN)
        return 0;
    uint16_t pi = m->task[s->task].proc;
    const struct mproc *p = &m->proc[pi];
    if (p->kthread || !p->alive)
        return 0;
    uint16_t except = s->op == OP_EXEC ? s->task : NONE;
    unsigned n = 0;
    for (uint16_t t = p->head; t != NONE; t = m->task[t].next)
        if (dies_in(m, pi, t, except))
            out[n++] = t;
    return n;
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
    /* slots: every slot is held by one task, or released by one task and
     * not reused since */
    for (uint16_t t = 0; t < p->ntasks; t++) {
        const struct mtask *k = &m->task[t];
        if (k->state == TASK_UNBORN || !k->freed_slot || k->reused)
            continue;
        uint16_t sl = k->freed_slot;
        if (k->slot || sl > m->nslots || slot_owner[sl])
            return broken(why, cap, "slot %u of %s both released and held "
                                    "(or released twice)",
                          sl, tname(m, t));
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
