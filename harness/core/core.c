/* core.c - the flush policies of SPEC §4 and their descriptor.
 * Freestanding: see core.h. */
#include "core.h"

static bool same_process(struct proc_identity a, struct proc_identity b)
{
    return a.tgid == b.tgid && a.start_time == b.start_time;
}

int classify_create(enum policy policy, const struct task_ctx *ctx,
                    struct file_record *rec)
{
    switch (policy) {
    case POLICY_KMOD:
    case POLICY_KMOD_2024:
        /* TernFS kmod: owner = group_leader, mm = group_leader->mm; a
         * kernel thread or a process whose leader already exited has none. */
        if (ctx->leader_mm == 0)
            return CORE_EIO;
        break;
    case POLICY_REFERENCE:
    case POLICY_FUSE_NAIVE:
    case POLICY_FUSE_CLOSETRACKER:
    case POLICY_LAST_FD:
    case POLICY_CLEAN_EXIT:
    case POLICY_LAST_FD_CLEAN_EXIT:
    case POLICY_COUNT:
        break;
    }
    rec->creator = ctx->proc;
    rec->owner = ctx->leader;
    rec->owner_mm = ctx->leader_mm;
    rec->errored = false;
    rec->tmpfile = false;
    rec->counted = false;
    rec->close_count = 0;
    return 0;
}

int classify_tmpfile(enum policy policy, const struct task_ctx *ctx,
                     struct file_record *rec)
{
    if (policy == POLICY_KMOD_2024)
        return CORE_EOPNOTSUPP; /* TernFS had no tmpfiles before 2025-12 */
    int err = classify_create(policy, ctx, rec);
    if (!err)
        rec->tmpfile = true;
    return err;
}

int classify_link(enum policy policy, const struct file_record *rec,
                  const struct task_ctx *ctx)
{
    switch (policy) {
    case POLICY_REFERENCE:
    case POLICY_LAST_FD:
    case POLICY_CLEAN_EXIT:
    case POLICY_LAST_FD_CLEAN_EXIT:
        return same_process(rec->creator, ctx->proc) ? 0 : CORE_EPERM;
    case POLICY_KMOD:
    case POLICY_KMOD_2024:
        return rec->owner == ctx->leader ? 0 : CORE_EPERM;
    case POLICY_FUSE_NAIVE:
    case POLICY_FUSE_CLOSETRACKER:
    case POLICY_COUNT:
        break;
    }
    return 0; /* the FUSE client links a tmpfile for any caller */
}

static enum flush_decision reference_flush(const struct file_record *rec,
                                           const struct task_ctx *ctx)
{
    if (!same_process(rec->creator, ctx->proc))
        return FLUSH_IGNORE;
    if (ctx->kthread)
        return FLUSH_SEAL;
    if (ctx->mm == 0)
        return ctx->other_thread_has_mm ? FLUSH_IGNORE : FLUSH_ABORT;
    return FLUSH_SEAL;
}

/* The candidates (issue 17): reference, with its seal of a close held back
 * while the flusher's table holds another fd of the file (last-fd), and/or
 * its abort at the creator's death turned into a seal when the death is a
 * normal exit (clean-exit; a tmpfile is never linked by an exit, so it
 * still goes).  Teardown flushes have no table (table_fds 0), so last-fd
 * changes nothing there. */
static enum flush_decision candidate_flush(const struct file_record *rec,
                                           const struct task_ctx *ctx,
                                           const struct flush_inputs *in,
                                           bool last_fd, bool clean_exit)
{
    enum flush_decision d = reference_flush(rec, ctx);
    if (d == FLUSH_SEAL && last_fd && in->table_fds > 0)
        return FLUSH_IGNORE;
    if (d == FLUSH_ABORT && clean_exit && in->exit_clean && !rec->tmpfile)
        return FLUSH_SEAL;
    return d;
}

static enum flush_decision kmod_flush(const struct file_record *rec,
                                      const struct task_ctx *ctx,
                                      bool dying)
{
    if (rec->owner != ctx->leader)
        return FLUSH_IGNORE;
    if (rec->errored)
        return FLUSH_FAIL;
    return dying ? FLUSH_ABORT : FLUSH_SEAL;
}

/* A transient regular file's flush. */
static enum flush_decision regular_flush(enum policy policy,
                                         const struct file_record *rec,
                                         const struct task_ctx *ctx,
                                         const struct flush_inputs *in)
{
    switch (policy) {
    case POLICY_REFERENCE:
        return reference_flush(rec, ctx);
    case POLICY_KMOD:
        return kmod_flush(rec, ctx, ctx->mm == 0);
    case POLICY_KMOD_2024:
        return kmod_flush(rec, ctx, in->owner_mm_now != rec->owner_mm);
    case POLICY_FUSE_NAIVE:
        return FLUSH_SEAL;
    case POLICY_FUSE_CLOSETRACKER:
        return rec->close_count > 0 ? FLUSH_SEAL : FLUSH_IGNORE;
    case POLICY_LAST_FD:
        return candidate_flush(rec, ctx, in, true, false);
    case POLICY_CLEAN_EXIT:
        return candidate_flush(rec, ctx, in, false, true);
    case POLICY_LAST_FD_CLEAN_EXIT:
        return candidate_flush(rec, ctx, in, true, true);
    case POLICY_COUNT:
        break;
    }
    return FLUSH_IGNORE;
}

/* A transient tmpfile's flush: closing it without a link discards it. */
static enum flush_decision tmpfile_flush(enum policy policy,
                                         const struct file_record *rec,
                                         const struct task_ctx *ctx,
                                         const struct flush_inputs *in)
{
    switch (policy) {
    case POLICY_REFERENCE:
    case POLICY_LAST_FD:
    case POLICY_CLEAN_EXIT:
    case POLICY_LAST_FD_CLEAN_EXIT: {
        /* where the regular file would seal, the unlinked tmpfile goes */
        enum flush_decision d = regular_flush(policy, rec, ctx, in);
        return d == FLUSH_SEAL ? FLUSH_ABORT : d;
    }
    case POLICY_KMOD:
    case POLICY_KMOD_2024:
        return kmod_flush(rec, ctx, true);
    case POLICY_FUSE_NAIVE:
    case POLICY_FUSE_CLOSETRACKER:
    case POLICY_COUNT:
        break;
    }
    return FLUSH_IGNORE;
}

enum flush_decision classify_flush(enum policy policy,
                                   const struct file_record *rec,
                                   const struct task_ctx *ctx,
                                   const struct flush_inputs *in)
{
    return rec->tmpfile ? tmpfile_flush(policy, rec, ctx, in)
                        : regular_flush(policy, rec, ctx, in);
}

void note_aborted(enum policy policy, struct file_record *rec)
{
    if (policy == POLICY_KMOD || policy == POLICY_KMOD_2024)
        rec->errored = true;
}

void note_close_syscall(struct closetracker_map *map, struct file_record *rec)
{
    if (!rec->counted) {
        if (map->entries >= map->capacity)
            return; /* the map is full: this close is not counted */
        rec->counted = true;
        rec->close_count = 0;
        map->entries++;
    }
    rec->close_count++;
}

void note_sealed(struct closetracker_map *map, struct file_record *rec)
{
    if (rec->tmpfile || !rec->counted)
        return;
    rec->counted = false;
    rec->close_count = 0;
    map->entries--;
}

static const struct policy_desc policy_descs[POLICY_COUNT] = {
#define POLICY_ENTRY(id, name, models, facts, summary, done)                   \
    [POLICY_##id] = {name, models, facts, summary, done},
#include "policies.h"
#undef POLICY_ENTRY
};

const struct policy_desc *policy_desc(enum policy policy)
{
    return (unsigned)policy < POLICY_COUNT ? &policy_descs[policy] : NULL;
}

unsigned policy_done_rule(enum policy policy)
{
    const struct policy_desc *d = policy_desc(policy);
    return d ? d->done : DONE_FIRST_CLOSE;
}

const char *done_rule_name(unsigned rule)
{
    switch (rule) {
    case DONE_FIRST_CLOSE: return "first-close";
    case DONE_LAST_FD: return "last-fd-closed";
    case DONE_CLEAN_EXIT: return "first-close-or-clean-exit";
    case DONE_LAST_FD | DONE_CLEAN_EXIT: return "last-fd-closed-or-clean-exit";
    }
    return "?";
}

bool policy_needs(enum policy policy, unsigned facts)
{
    const struct policy_desc *d = policy_desc(policy);
    return d && (d->facts & facts);
}

bool policy_needs_kernel_facts(enum policy policy)
{
    return policy_needs(policy, POLICY_FACTS_KERNEL_ONLY);
}

const char *policy_fact_name(enum policy_fact f)
{
    switch (f) {
    case POLICY_FACT_PROCESS: return "process-identity";
    case POLICY_FACT_TASK_PTRS: return "task-pointers";
    case POLICY_FACT_MM_NULL: return "mm-null";
    case POLICY_FACT_MM_PTRS: return "mm-pointers";
    case POLICY_FACT_GROUP_EXIT: return "group-exit";
    case POLICY_FACT_CLOSE_COUNT: return "close-count";
    case POLICY_FACT_FD_COUNT: return "fd-count";
    case POLICY_FACT_EXIT_CODE: return "exit-code";
    }
    return "?";
}

const char *policy_name(enum policy policy)
{
    return (unsigned)policy < POLICY_COUNT ? policy_descs[policy].name : "?";
}

static size_t put(char *buf, size_t cap, size_t at, const char *s)
{
    for (; *s; s++, at++)
        if (at + 1 < cap)
            buf[at] = *s;
    return at;
}

size_t policy_names_joined(char *buf, size_t cap, const char *sep)
{
    size_t n = 0;
    for (int p = 0; p < POLICY_COUNT; p++) {
        if (p)
            n = put(buf, cap, n, sep);
        n = put(buf, cap, n, policy_descs[p].name);
    }
    if (cap)
        buf[n < cap ? n : cap - 1] = 0;
    return n;
}

bool policy_from_name(const char *name, size_t len, enum policy *out)
{
    for (int p = 0; p < POLICY_COUNT; p++) {
        const char *s = policy_descs[p].name;
        size_t i = 0;
        while (i < len && s[i] && s[i] == name[i])
            i++;
        if (i == len && s[i] == 0) {
            *out = (enum policy)p;
            return true;
        }
    }
    return false;
}

const char *flush_decision_name(enum flush_decision d)
{
    switch (d) {
    case FLUSH_IGNORE: return "ignore";
    case FLUSH_SEAL: return "seal";
    case FLUSH_ABORT: return "abort";
    case FLUSH_FAIL: return "fail";
    case FLUSH_DECISION_COUNT: break;
    }
    return "?";
}
