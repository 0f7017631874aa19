/* test_flush_context.c - flush_decide(), the one place the embedded
 * filesystem decides a flush: the core's decision on the facts a context
 * source gives, and ignore (never a seal on a guess) when the requester is
 * unknown or the source reports a fact missing.  A fake source stands in
 * for BPF and /proc: no FUSE, no BPF, no /proc needed. */
#include <string.h>
#include "check.h"
#include "flush_context.h"

struct fake {
    enum facts facts;
    struct task_ctx ctx;
    int calls;
};

static enum facts fake_flush_facts(struct context_source *src,
                                   enum policy policy, uint64_t ino,
                                   struct file_ctx *file,
                                   const struct requester *who,
                                   struct task_ctx *c, struct flush_inputs *in,
                                   struct flog_event *seen, const char **why)
{
    (void)policy;
    (void)ino;
    (void)file;
    (void)who;
    (void)in;
    struct fake *f = src->state;
    f->calls++;
    *c = f->ctx;
    seen->closes = 7;
    if (f->facts == FACTS_MISSING)
        *why = "no close count: the inode is not tracked";
    return f->facts;
}

static struct context_source fake_source(struct fake *f)
{
    struct context_source src;
    memset(&src, 0, sizeof src);
    src.name = "fake";
    src.state = f;
    src.flush_facts = fake_flush_facts;
    return src;
}

/* The creator itself, alive: every policy seals (closetracker with a
 * counted close). */
static struct file_ctx created_by(const struct task_ctx *c, enum policy pol)
{
    struct file_ctx file;
    file_ctx_init(&file);
    CHECK(classify_create(pol, c, &file.rec) == 0);
    file.creator = (pid_t)c->proc.tgid;
    return file;
}

static struct task_ctx creator(void)
{
    struct task_ctx c;
    memset(&c, 0, sizeof c);
    c.proc.tgid = 9;
    c.proc.start_time = 100;
    c.task = c.leader = 0xffff1000;
    c.mm = c.leader_mm = 0xffff2000;
    return c;
}

TEST(known_facts_get_the_cores_decision)
{
    struct fake f = {FACTS_KNOWN, creator(), 0};
    struct context_source src = fake_source(&f);
    struct requester who = {.known = true, .tid = 9, .tgid = 9};
    struct flog_event seen;
    for (int p = 0; p < POLICY_COUNT; p++) {
        if (p == POLICY_KMOD_2024)
            continue; /* decides on owner->mm read now (zero here) */
        struct file_ctx file = created_by(&f.ctx, (enum policy)p);
        file.rec.close_count = 1;
        flushlog_event_init(&seen, FLOG_FLUSH);
        const char *why = "";
        struct flush_inputs in = {0};
        enum flush_decision want =
            classify_flush((enum policy)p, &file.rec, &f.ctx, &in);
        CHECK_EQ_INT(flush_decide(&src, (enum policy)p, 2, &file, &who, &seen,
                                  &why),
                     want);
        CHECK_EQ_INT(want, FLUSH_SEAL);
        CHECK_EQ_INT(seen.closes, 7);          /* what the source read */
        CHECK_EQ_STR(why, "");
    }
    /* the creator dying (mm gone, no other thread): reference aborts */
    struct file_ctx file = created_by(&f.ctx, POLICY_REFERENCE);
    f.ctx.mm = 0;
    const char *why = "";
    CHECK_EQ_INT(flush_decide(&src, POLICY_REFERENCE, 2, &file, &who, &seen,
                              &why),
                 FLUSH_ABORT);
}

TEST(missing_facts_leave_the_file_transient)
{
    struct fake f = {FACTS_MISSING, creator(), 0};
    struct context_source src = fake_source(&f);
    struct requester who = {.known = true, .tid = 9, .tgid = 9};
    struct file_ctx file = created_by(&f.ctx, POLICY_FUSE_NAIVE);
    struct flog_event seen;
    flushlog_event_init(&seen, FLOG_FLUSH);
    const char *why = "";
    /* fuse-naive would seal on any flush: not on missing facts */
    CHECK_EQ_INT(flush_decide(&src, POLICY_FUSE_NAIVE, 2, &file, &who, &seen,
                              &why),
                 FLUSH_IGNORE);
    CHECK_EQ_STR(why, "no close count: the inode is not tracked");
    CHECK_EQ_INT(f.calls, 1);
}

TEST(an_unknown_requester_is_never_sealed_and_the_source_is_not_asked)
{
    struct fake f = {FACTS_KNOWN, creator(), 0};
    struct context_source src = fake_source(&f);
    struct requester who;
    memset(&who, 0, sizeof who);
    strcpy(who.why, "no BPF record of request 12");
    struct file_ctx file = created_by(&f.ctx, POLICY_FUSE_NAIVE);
    struct flog_event seen;
    flushlog_event_init(&seen, FLOG_FLUSH);
    const char *why = "";
    CHECK_EQ_INT(flush_decide(&src, POLICY_FUSE_NAIVE, 2, &file, &who, &seen,
                              &why),
                 FLUSH_IGNORE);
    CHECK_EQ_STR(why, "no BPF record of request 12");
    CHECK_EQ_INT(f.calls, 0);
    CHECK_EQ_INT(seen.closes, -1); /* nothing read */
}

int main(void)
{
    return run_tests();
}
