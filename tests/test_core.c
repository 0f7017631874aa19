/* test_core.c - the policies of SPEC §4, branch by branch, on plain
 * contexts (no model): the decision is a few pure lines over structs; and
 * the policy descriptor, whose kernel facts are checked against the
 * decisions. */
#include "check.h"
#include "core.h"

/* A live user task: process (tgid 10, start 1), leader slot 100, mm 7. */
static struct task_ctx creator(void)
{
    return (struct task_ctx){
        .proc = {10, 1}, .task = 100, .leader = 100, .mm = 7,
        .leader_mm = 7, .kthread = false, .other_thread_has_mm = false};
}

static struct file_record created(enum policy p, struct task_ctx c)
{
    struct file_record r;
    CHECK_EQ_INT(classify_create(p, &c, &r), 0);
    return r;
}

static enum flush_decision flush_in(enum policy p, const struct file_record *r,
                                    struct task_ctx c, struct flush_inputs in)
{
    return classify_flush(p, r, &c, &in);
}

static enum flush_decision flush(enum policy p, const struct file_record *r,
                                 struct task_ctx c, uint64_t owner_mm_now)
{
    return flush_in(p, r, c, (struct flush_inputs){.owner_mm_now = owner_mm_now});
}

TEST(create_records_owner_leader_and_leader_mm)
{
    struct task_ctx c = creator();
    c.task = 101; /* a non-leader thread creates */
    struct file_record r = created(POLICY_KMOD, c);
    CHECK_EQ_INT(r.owner, 100);
    CHECK_EQ_INT(r.owner_mm, 7);
    CHECK_EQ_INT(r.creator.tgid, 10);
    CHECK_EQ_INT(r.creator.start_time, 1);
    CHECK_EQ_INT(r.close_count, 0);
    CHECK(!r.errored);
}

TEST(kmod_refuses_create_when_leader_mm_is_null)
{
    struct task_ctx c = creator();
    c.leader_mm = 0; /* zombie leader, or a kernel thread */
    struct file_record r;
    CHECK_EQ_INT(classify_create(POLICY_KMOD, &c, &r), CORE_EIO);
    CHECK_EQ_INT(classify_create(POLICY_KMOD_2024, &c, &r), CORE_EIO);
    CHECK_EQ_INT(classify_create(POLICY_REFERENCE, &c, &r), 0);
    CHECK_EQ_INT(classify_create(POLICY_FUSE_NAIVE, &c, &r), 0);
    CHECK_EQ_INT(classify_create(POLICY_FUSE_CLOSETRACKER, &c, &r), 0);
}

TEST(kthread_create_allowed_except_kmod)
{
    struct task_ctx k = {.proc = {20, 5}, .task = 50, .leader = 50, .mm = 0,
                         .leader_mm = 0, .kthread = true};
    struct file_record r;
    for (int p = 0; p < POLICY_COUNT; p++) {
        int want = (p == POLICY_KMOD || p == POLICY_KMOD_2024) ? CORE_EIO : 0;
        CHECK_EQ_INT(classify_create((enum policy)p, &k, &r), want);
    }
}

TEST(reference_ignores_other_process)
{
    struct file_record r = created(POLICY_REFERENCE, creator());
    struct task_ctx other = creator();
    other.proc.tgid = 11;
    CHECK_EQ_INT(flush(POLICY_REFERENCE, &r, other, 7), FLUSH_IGNORE);
    /* same tgid, different start time: a recycled pid is not the creator */
    other = creator();
    other.proc.start_time = 2;
    CHECK_EQ_INT(flush(POLICY_REFERENCE, &r, other, 7), FLUSH_IGNORE);
}

TEST(reference_seals_creator_with_mm_even_after_exec)
{
    struct file_record r = created(POLICY_REFERENCE, creator());
    struct task_ctx c = creator();
    CHECK_EQ_INT(flush(POLICY_REFERENCE, &r, c, 7), FLUSH_SEAL);
    /* exec from a non-leader thread: new leader pointer, new mm, same
     * (tgid, start time) */
    c.task = c.leader = 300;
    c.mm = c.leader_mm = 9;
    CHECK_EQ_INT(flush(POLICY_REFERENCE, &r, c, 0), FLUSH_SEAL);
}

TEST(reference_aborts_dying_process_ignores_exiting_thread)
{
    struct file_record r = created(POLICY_REFERENCE, creator());
    struct task_ctx c = creator();
    c.mm = 0;
    c.other_thread_has_mm = false;
    CHECK_EQ_INT(flush(POLICY_REFERENCE, &r, c, 0), FLUSH_ABORT);
    c.other_thread_has_mm = true; /* a thread with a private table exits */
    CHECK_EQ_INT(flush(POLICY_REFERENCE, &r, c, 0), FLUSH_IGNORE);
}

TEST(reference_kthread_flush_seals)
{
    struct task_ctx k = {.proc = {20, 5}, .task = 50, .leader = 50,
                         .kthread = true};
    struct file_record r = created(POLICY_REFERENCE, k);
    CHECK_EQ_INT(flush(POLICY_REFERENCE, &r, k, 0), FLUSH_SEAL);
}

TEST(kmod_compares_group_leader_pointers)
{
    struct file_record r = created(POLICY_KMOD, creator());
    struct task_ctx c = creator();
    CHECK_EQ_INT(flush(POLICY_KMOD, &r, c, 7), FLUSH_SEAL);
    c.mm = 0;
    CHECK_EQ_INT(flush(POLICY_KMOD, &r, c, 0), FLUSH_ABORT);
    /* another process whose leader reuses the owner's task_struct: the
     * pointer matches, the process does not */
    struct task_ctx stranger = {.proc = {99, 42}, .task = 100, .leader = 100,
                                .mm = 55, .leader_mm = 55};
    CHECK_EQ_INT(flush(POLICY_KMOD, &r, stranger, 55), FLUSH_SEAL);
    /* the creator after a non-leader exec: a different leader pointer */
    c = creator();
    c.leader = 300;
    CHECK_EQ_INT(flush(POLICY_KMOD, &r, c, 0), FLUSH_IGNORE);
}

TEST(kmod_errored_file_fails)
{
    struct file_record r = created(POLICY_KMOD, creator());
    r.errored = true;
    CHECK_EQ_INT(flush(POLICY_KMOD, &r, creator(), 7), FLUSH_FAIL);
    CHECK_EQ_INT(flush(POLICY_KMOD_2024, &r, creator(), 7), FLUSH_FAIL);
    struct task_ctx other = creator();
    other.leader = 1;
    CHECK_EQ_INT(flush(POLICY_KMOD, &r, other, 7), FLUSH_IGNORE);
}

TEST(kmod_2024_reads_mm_through_owner_pointer)
{
    struct file_record r = created(POLICY_KMOD_2024, creator());
    struct task_ctx c = creator();
    CHECK_EQ_INT(flush(POLICY_KMOD_2024, &r, c, 7), FLUSH_SEAL);
    /* the creator exec'd: owner->mm is the new mm, not the one at create */
    CHECK_EQ_INT(flush(POLICY_KMOD_2024, &r, c, 9), FLUSH_ABORT);
    /* it does not test current->mm at all */
    c.mm = 0;
    CHECK_EQ_INT(flush(POLICY_KMOD_2024, &r, c, 7), FLUSH_SEAL);
    CHECK_EQ_INT(flush(POLICY_KMOD, &r, c, 7), FLUSH_ABORT);
}

TEST(fuse_naive_seals_every_flush)
{
    struct file_record r = created(POLICY_FUSE_NAIVE, creator());
    struct task_ctx anyone = {.proc = {77, 3}, .task = 5, .leader = 5};
    CHECK_EQ_INT(flush(POLICY_FUSE_NAIVE, &r, anyone, 0), FLUSH_SEAL);
    CHECK_EQ_INT(flush(POLICY_FUSE_NAIVE, &r, creator(), 0), FLUSH_SEAL);
}

TEST(fuse_closetracker_needs_a_counted_close)
{
    struct file_record r = created(POLICY_FUSE_CLOSETRACKER, creator());
    struct task_ctx anyone = {.proc = {77, 3}, .task = 5, .leader = 5};
    CHECK_EQ_INT(flush(POLICY_FUSE_CLOSETRACKER, &r, creator(), 7),
                 FLUSH_IGNORE);
    struct closetracker_map map = {CLOSETRACKER_MAP_DEFAULT, 0};
    note_close_syscall(&map, &r); /* by any process */
    CHECK_EQ_INT(r.close_count, 1);
    CHECK_EQ_INT(map.entries, 1);
    CHECK_EQ_INT(flush(POLICY_FUSE_CLOSETRACKER, &r, anyone, 0), FLUSH_SEAL);
    note_sealed(&map, &r); /* a seal consumes the count and its entry */
    CHECK_EQ_INT(r.close_count, 0);
    CHECK_EQ_INT(map.entries, 0);
    CHECK_EQ_INT(flush(POLICY_FUSE_CLOSETRACKER, &r, anyone, 0),
                 FLUSH_IGNORE);
}

/* TernFS's map: one entry per inode, never deleted but by the seal of a
 * transient regular file; once full, no new file's close is counted. */
TEST(fuse_closetracker_map_full_counts_no_new_file)
{
    struct closetracker_map map = {2, 0};
    struct file_record a = created(POLICY_FUSE_CLOSETRACKER, creator());
    struct file_record b = a, c = a, t = a;
    t.tmpfile = true;
    note_close_syscall(&map, &a);
    note_close_syscall(&map, &t); /* a tmpfile's entry stays for good */
    note_sealed(&map, &t);
    CHECK_EQ_INT(map.entries, 2);
    note_close_syscall(&map, &b); /* full: not counted */
    CHECK_EQ_INT(b.close_count, 0);
    CHECK_EQ_INT(flush(POLICY_FUSE_CLOSETRACKER, &b, creator(), 0),
                 FLUSH_IGNORE);
    note_close_syscall(&map, &a); /* an existing entry still counts */
    CHECK_EQ_INT(a.close_count, 2);
    note_sealed(&map, &a); /* a's seal frees its entry ... */
    CHECK_EQ_INT(map.entries, 1);
    note_close_syscall(&map, &c); /* ... for the next file */
    CHECK_EQ_INT(c.close_count, 1);
}

TEST(tmpfile_link_and_flush_by_policy)
{
    struct task_ctx other = {.proc = {77, 3}, .task = 5, .leader = 5,
                             .mm = 6, .leader_mm = 6};
    struct file_record r;
    CHECK_EQ_INT(classify_tmpfile(POLICY_KMOD_2024, &(struct task_ctx){0}, &r),
                 CORE_EOPNOTSUPP); /* before the kthread's EIO */
    for (int p = 0; p < POLICY_COUNT; p++) {
        struct task_ctx c = creator();
        if (p == POLICY_KMOD_2024) {
            CHECK_EQ_INT(classify_tmpfile(p, &c, &r), CORE_EOPNOTSUPP);
            continue;
        }
        REQUIRE(classify_tmpfile(p, &c, &r) == 0);
        CHECK(r.tmpfile);
        bool any = p == POLICY_FUSE_NAIVE || p == POLICY_FUSE_CLOSETRACKER;
        CHECK_EQ_INT(classify_link(p, &r, &c), 0);
        CHECK_EQ_INT(classify_link(p, &r, &other), any ? 0 : CORE_EPERM);
        /* the creator's close without a link discards it; the FUSE client
         * ignores a tmpfile's flushes */
        CHECK_EQ_INT(flush(p, &r, c, 0), any ? FLUSH_IGNORE : FLUSH_ABORT);
        CHECK_EQ_INT(flush(p, &r, other, 0), FLUSH_IGNORE);
    }
}

TEST(kmod_abort_errors_the_file_for_its_owner)
{
    for (int p = POLICY_KMOD; p <= POLICY_KMOD_2024; p++) {
        struct file_record r = created(p, creator());
        struct task_ctx dying = creator();
        dying.mm = 0;
        CHECK_EQ_INT(flush(p, &r, dying, 0), FLUSH_ABORT);
        note_aborted(p, &r);
        CHECK(r.errored);
        CHECK_EQ_INT(flush(p, &r, creator(), 0), FLUSH_FAIL);
        struct task_ctx other = {.proc = {77, 3}, .task = 5, .leader = 5};
        CHECK_EQ_INT(flush(p, &r, other, 0), FLUSH_IGNORE);
    }
    struct file_record r = created(POLICY_REFERENCE, creator());
    note_aborted(POLICY_REFERENCE, &r);
    CHECK(!r.errored);
}

TEST(policy_names_round_trip)
{
    for (int p = 0; p < POLICY_COUNT; p++) {
        const char *n = policy_name((enum policy)p);
        enum policy back;
        CHECK(policy_from_name(n, strlen(n), &back));
        CHECK_EQ_INT(back, p);
    }
    enum policy x;
    CHECK(!policy_from_name("kmod-", 5, &x));
    CHECK(!policy_from_name("kmo", 3, &x));
    CHECK(!policy_from_name("", 0, &x));
    CHECK(policy_from_name("kmodX", 4, &x) && x == POLICY_KMOD);
    CHECK_EQ_STR(flush_decision_name(FLUSH_ABORT), "abort");
}

TEST(policy_names_joined_lists_all_and_truncates)
{
    char all[256], cut[8];
    size_t n = policy_names_joined(all, sizeof all, ", ");
    CHECK_EQ_INT(n, strlen(all));
    CHECK(!strncmp(all, "reference, ", 11));
    for (int p = 0; p < POLICY_COUNT; p++)
        CHECK(strstr(all, policy_name((enum policy)p)) != NULL);
    CHECK_EQ_INT(policy_names_joined(cut, sizeof cut, ", "), n);
    CHECK_EQ_STR(cut, "referen");
    CHECK_EQ_INT(policy_names_joined(NULL, 0, "\n"), n - (POLICY_COUNT - 1));
}

/* The candidates (issue 17) on the two facts they add to reference. */
TEST(candidates_last_fd_and_clean_exit)
{
    struct task_ctx live = creator(), dying = creator();
    dying.mm = 0; /* the creator's teardown flush, its process dying */
    struct flush_inputs other_fd = {.table_fds = 1}, last = {0};
    struct flush_inputs clean = {.exit_clean = true};
    for (int p = POLICY_LAST_FD; p <= POLICY_LAST_FD_CLEAN_EXIT; p++) {
        enum policy pol = (enum policy)p;
        bool lf = policy_needs(pol, POLICY_FACT_FD_COUNT);
        bool ce = policy_needs(pol, POLICY_FACT_EXIT_CODE);
        struct file_record r = created(pol, live);
        CHECK_EQ_INT(flush_in(pol, &r, live, other_fd),
                     lf ? FLUSH_IGNORE : FLUSH_SEAL);
        CHECK_EQ_INT(flush_in(pol, &r, live, last), FLUSH_SEAL);
        CHECK_EQ_INT(flush_in(pol, &r, dying, clean),
                     ce ? FLUSH_SEAL : FLUSH_ABORT);
        CHECK_EQ_INT(flush_in(pol, &r, dying, last), FLUSH_ABORT); /* killed */
        r.tmpfile = true; /* an exit links no tmpfile: it goes */
        CHECK_EQ_INT(flush_in(pol, &r, dying, clean), FLUSH_ABORT);
        CHECK_EQ_INT(flush_in(pol, &r, live, other_fd),
                     lf ? FLUSH_IGNORE : FLUSH_ABORT);
    }
    CHECK_EQ_INT(policy_done_rule(POLICY_LAST_FD), DONE_LAST_FD);
    CHECK_EQ_INT(policy_done_rule(POLICY_CLEAN_EXIT), DONE_CLEAN_EXIT);
    CHECK_EQ_INT(policy_done_rule(POLICY_LAST_FD_CLEAN_EXIT), DONE_RULE_ALL);
}

TEST(descriptor_is_complete)
{
    CHECK(POLICY_COUNT <= 8); /* a policy set is 8 bits in binary traces */
    CHECK(policy_desc(POLICY_COUNT) == NULL);
    CHECK_EQ_STR(policy_name(POLICY_REFERENCE), policy_desc(0)->name);
    for (int p = 0; p < POLICY_COUNT; p++) {
        const struct policy_desc *d = policy_desc((enum policy)p);
        REQUIRE(d && d->name && d->models && d->summary);
        CHECK(*d->name && *d->models && *d->summary);
        CHECK(strlen(d->summary) <= 70); /* one line in `ternrig policies` */
        for (const char *c = d->name; *c; c++) /* a word in traces, file
                                                 names and target names */
            CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                  (*c == '-' && c != d->name));
        for (int q = 0; q < p; q++)
            CHECK(strcmp(d->name, policy_name((enum policy)q)) != 0);
    }
}

/* One decision, create and flush, with one kind of kernel fact perturbed:
 * returns a number that differs when the decision does. */
static int decide(enum policy p, int base, unsigned perturb)
{
    struct task_ctx c = creator();
    if (perturb & POLICY_FACT_MM_NULL)
        c.leader_mm = 0;
    struct file_record r;
    int created_rc = classify_create(p, &c, &r);
    if (created_rc != 0)
        return 100 + created_rc;
    struct task_ctx f = creator();
    if (base == 1) { /* the creator dying */
        f.mm = 0;
        f.other_thread_has_mm = false;
    } else if (base == 2) { /* another process, its own leader */
        f.proc = (struct proc_identity){20, 2};
        f.task = f.leader = 200;
        f.mm = f.leader_mm = 9;
    }
    struct flush_inputs in = {.owner_mm_now = r.owner_mm};
    if (perturb & POLICY_FACT_PROCESS)
        f.proc = (struct proc_identity){30, 3};
    if (perturb & POLICY_FACT_TASK_PTRS)
        f.task = f.leader = 300;
    if (perturb & POLICY_FACT_MM_NULL)
        f.mm = f.mm ? 0 : 11;
    if (perturb & POLICY_FACT_MM_PTRS)
        in.owner_mm_now = 12;
    if (perturb & POLICY_FACT_FD_COUNT)
        in.table_fds = 1;
    if (perturb & POLICY_FACT_EXIT_CODE)
        in.exit_clean = true;
    if (perturb & POLICY_FACT_GROUP_EXIT)
        f.other_thread_has_mm = !f.other_thread_has_mm;
    if (perturb & POLICY_FACT_CLOSE_COUNT) {
        struct closetracker_map map = {CLOSETRACKER_MAP_DEFAULT, 0};
        note_close_syscall(&map, &r);
    }
    return (int)flush_in(p, &r, f, in);
}

/* A policy's decisions depend on exactly the facts its descriptor names:
 * what a context source must supply for it (policy_needs_kernel_facts). */
TEST(descriptor_facts_are_what_the_decisions_read)
{
    for (int p = 0; p < POLICY_COUNT; p++) {
        const struct policy_desc *d = policy_desc((enum policy)p);
        for (unsigned fact = 1; fact <= POLICY_FACT_LAST; fact <<= 1) {
            CHECK(strcmp(policy_fact_name((enum policy_fact)fact), "?") != 0);
            bool matters = false;
            for (int base = 0; base < 3; base++)
                if (decide((enum policy)p, base, fact) !=
                    decide((enum policy)p, base, 0))
                    matters = true;
            if (matters != !!(d->facts & fact))
                fprintf(stderr, "%s: fact 0x%x %s\n", d->name, fact,
                        matters ? "read but not declared"
                                : "declared but never read");
            CHECK_EQ_INT(matters, !!(d->facts & fact));
            CHECK_EQ_INT(policy_needs((enum policy)p, fact),
                         !!(d->facts & fact));
        }
        CHECK(!policy_needs((enum policy)p, 0));
        CHECK_EQ_INT(policy_needs_kernel_facts((enum policy)p),
                     !!(d->facts & POLICY_FACTS_KERNEL_ONLY));
    }
    CHECK(!policy_needs_kernel_facts(POLICY_REFERENCE));
    CHECK(!policy_needs(POLICY_COUNT, ~0u));
    CHECK_EQ_STR(policy_fact_name((enum policy_fact)(POLICY_FACT_LAST << 1)),
                 "?");
}

int main(void)
{
    return run_tests();
}
