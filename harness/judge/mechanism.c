/* mechanism.c - a finding's root cause, read off its history (mechanism.h). */
#include <stdarg.h>
#include <stdio.h>
#include "mechanism.h"

struct text {
    char *buf;
    size_t cap, len;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->len < t->cap ? t->buf + t->len : NULL,
                      t->len < t->cap ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

/* The process that created `file` (its first create that may have
 * succeeded), or EV_NONE. */
static uint16_t creator_of(const struct history *h, uint16_t file)
{
    for (uint32_t i = 0; i < h->len; i++)
        if (h->ev[i].type == EV_CREATE && h->ev[i].file == file &&
            (h->ev[i].result == 0 || h->ev[i].result == RESULT_UNKNOWN))
            return h->ev[i].proc;
    return EV_NONE;
}

/* The event at or before `from` that made `file` `type` (EV_SEAL or
 * EV_ABORT), or -1. */
static int64_t last_before(const struct history *h, uint32_t from,
                           uint16_t file, uint8_t type)
{
    for (int64_t i = from < h->len ? from : (int64_t)h->len - 1; i >= 0; i--)
        if (h->ev[i].type == type && h->ev[i].file == file)
            return i;
    return -1;
}

/* The flush or link that a seal or abort at `at` came from, or -1. */
static int64_t decider_of(const struct history *h, int64_t at)
{
    uint16_t file = h->ev[at].file;
    for (int64_t i = at - 1; i >= 0 && at - i < 4; i--) {
        const struct event *e = &h->ev[i];
        if (e->file == file && (e->type == EV_FLUSH || e->type == EV_LINK))
            return i;
    }
    return -1;
}

/* Who flushed, how (a close of any kind, or the teardown of an fd table),
 * and the facts the policy read.  Which close call it was (close(2),
 * io_uring, close_range, dup2, close-on-exec) is left out, unless the
 * policy tells them apart (the close tracker counts close(2) only): it is
 * the same mechanism whichever the program used. */
static void put_flush(struct text *t, const struct event *e, uint16_t creator,
                      enum policy policy)
{
    if (e->type == EV_LINK) {
        put(t, "link by %s", e->proc == creator ? "the creator process"
                                                 : "another process");
        return;
    }
    bool teardown = e->cause == CLOSE_TEARDOWN;
    put(t, "%s by %s", teardown ? "teardown" : "a close",
        e->kthread            ? "a kernel thread"
        : e->proc == creator ? "the creator process"
                             : "another process");
    if (e->rdonly)
        put(t, ", a read-only fd");
    if (!e->ctx_mm && !e->kthread && !teardown)
        put(t, ", mm gone");
    if (policy_needs(policy, POLICY_FACT_TASK_PTRS)) {
        bool match = e->ctx_leader == e->file_owner;
        if (match && e->proc != creator)
            put(t, ", a reused task_struct matched the owner pointer");
        else if (!match && e->proc == creator)
            put(t, ", stale owner pointer (the leader changed)");
    }
    if (policy_needs(policy, POLICY_FACT_MM_PTRS) &&
        e->ctx_leader == e->file_owner)
        put(t, ", owner->mm %s the file's",
            e->owner_mm_now == e->file_mm ? "still" : "no longer");
    if (policy_needs(policy, POLICY_FACT_CLOSE_COUNT) &&
        e->decision == FLUSH_IGNORE)
        put(t, "%s", e->kthread ? ", a kernel thread's close is no syscall"
                     : e->cause == CLOSE_SYSCALL
                         ? ", close(2) not counted (the map was full)"
                         : ", not a close(2): nothing counted");
}

/* The decision that made the file `type` before `at`, described. */
static void put_earlier(struct text *t, const struct history *h, uint32_t at,
                        uint16_t file, uint8_t type, uint16_t creator,
                        enum policy policy)
{
    int64_t s = last_before(h, at, file, type);
    int64_t d = s >= 0 ? decider_of(h, s) : -1;
    put(t, "%s earlier", type == EV_SEAL ? "sealed" : "aborted");
    if (d >= 0) {
        put(t, " (");
        put_flush(t, &h->ev[d], creator, policy);
        put(t, ")");
    }
}

static const char *decision_word(uint8_t d)
{
    switch (d) {
    case FLUSH_SEAL: return "sealed";
    case FLUSH_ABORT: return "aborted";
    case FLUSH_FAIL: return "failed";
    case FLUSH_IGNORE: return "ignored";
    default: return "no decision";
    }
}

/* lost-file: what became of the close's (or link's) flush. */
static void put_lost(struct text *t, const struct history *h,
                     const struct finding *f, uint16_t creator,
                     enum policy policy)
{
    const struct event *at = &h->ev[f->index];
    if (at->type == EV_LINK) {
        if (at->result == -ERR_EPERM) {
            put(t, "link refused: ");
            /* the owner the kmod compares is the one recorded at create */
            put(t, "%s", policy_needs(policy, POLICY_FACT_TASK_PTRS)
                             ? "stale owner pointer (the leader changed)"
                             : "not the creator process");
        } else if (f->state == OUTCOME_ABORTED) {
            put(t, "link of a discarded tmpfile: ");
            put_earlier(t, h, f->index, f->file, EV_ABORT, creator, policy);
        } else {
            put(t, "link left it %s",
                outcome_name((enum outcome)f->state));
        }
        return;
    }
    if (f->at_exit) /* a normal exit (DONE_CLEAN_EXIT): no flush of its own */
        put(t, "at a normal exit: ");
    /* the close's own flush follows it */
    for (uint32_t i = f->index + 1; !f->at_exit && i < h->len &&
                                    i < f->index + 3; i++) {
        const struct event *e = &h->ev[i];
        if (e->type != EV_FLUSH || e->file != f->file)
            continue;
        if (e->decision <= FLUSH_FAIL) {
            put(t, "%s: ", decision_word(e->decision));
            put_flush(t, e, creator, policy);
            return;
        }
        break; /* not transient at the close: decided earlier */
    }
    if (f->state == OUTCOME_ABORTED)
        put_earlier(t, h, f->index, f->file, EV_ABORT, creator, policy);
    else if (f->state == OUTCOME_SEALED)
        put_earlier(t, h, f->index, f->file, EV_SEAL, creator, policy);
    else
        put(t, "left %s", outcome_name((enum outcome)f->state));
}

size_t finding_mechanism(const struct history *h, const struct finding *f,
                         enum policy policy, char *buf, size_t cap)
{
    struct text t = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    if (f->index >= h->len) {
        put(&t, "?");
        return t.len;
    }
    uint16_t creator = creator_of(h, f->file);
    switch ((enum finding_kind)f->kind) {
    case FIND_EARLY_SEAL:
    case FIND_VISIBLE_AFTER_ABORT: {
        int64_t seal = h->ev[f->index].type == EV_SEAL
                           ? (int64_t)f->index
                           : last_before(h, f->cause, f->file, EV_SEAL);
        int64_t d = seal >= 0 ? decider_of(h, seal) : -1;
        put(&t, "sealed: ");
        if (d >= 0)
            put_flush(&t, &h->ev[d], creator, policy);
        else
            put(&t, "seen visible");
        break;
    }
    case FIND_LOST_FILE:
        put_lost(&t, h, f, creator, policy);
        break;
    case FIND_CREATE_FAILED:
        put(&t, "create refused (errno %d)%s", (int)f->err,
            policy_needs(policy, POLICY_FACT_TASK_PTRS) && f->err == ERR_EIO
                ? ": the group leader's mm is gone"
                : "");
        break;
    case FIND_MUTATED_AFTER_SEAL:
        put(&t, f->by_write ? "a write succeeded after the seal"
                            : "the content changed after the seal");
        break;
    default:
        put(&t, "%s", finding_kind_name((enum finding_kind)f->kind));
        break;
    }
    return t.len;
}

bool program_mechanism(struct judge *j, const struct program *p,
                       enum policy policy, enum finding_kind kind, char *buf,
                       size_t cap)
{
    struct judgement out;
    if (judge_run(j, p, policy, &out) < 0 || out.trace_error)
        return false;
    for (uint32_t i = 0; i < out.verdict.nfindings; i++)
        if (out.verdict.findings[i].kind == kind) {
            finding_mechanism(model_history(j->model),
                              &out.verdict.findings[i], policy, buf, cap);
            return true;
        }
    return false;
}
