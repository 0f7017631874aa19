/* test_oracle.c - SPEC §5 on hand-built histories (as a real mount's ledger
 * would give them, unknown outcomes included) and on model histories. */
#include "check.h"
#include "judge.h"
#include "oracle.h"

#define F 0 /* the file */
#define A 0 /* the creator process */
#define B 1 /* another process */

static struct event evs[64];
static struct history hist = {evs, 0, 64, false};

static struct event *add(enum event_type t, uint16_t proc, uint16_t file)
{
    struct event *e = &evs[hist.len++];
    memset(e, 0, sizeof *e);
    e->type = (uint8_t)t;
    e->proc = proc;
    e->task = proc;
    e->file = file;
    e->fd = 3;
    return e;
}

static void create(uint16_t proc, int32_t result)
{
    add(EV_CREATE, proc, F)->result = result;
}

static void write_(uint16_t proc, uint64_t n, int32_t result)
{
    struct event *e = add(EV_WRITE, proc, F);
    e->bytes = n;
    e->result = result;
}

static void close_(uint16_t proc, enum close_cause c, int32_t result)
{
    struct event *e = add(EV_CLOSE, proc, F);
    e->cause = (uint8_t)c;
    e->result = result;
}

static void seal(uint64_t n)
{
    add(EV_SEAL, EV_NONE, F)->bytes = n;
}

static void death(uint16_t proc)
{
    add(EV_DEATH, proc, EV_NONE);
}

static struct oracle *o;
static struct verdict v;
static unsigned done_rule = DONE_FIRST_CLOSE; /* the rule judge() judges by */

static void judge(void)
{
    uint32_t bad = 0;
    if (!o)
        o = oracle_new(4, 4);
    REQUIRE(o);
    CHECK_EQ_INT(oracle_judge(o, &hist, 1, done_rule, &v, &bad), 0);
}

static int count(enum finding_kind k)
{
    int n = 0;
    for (uint32_t i = 0; i < v.nfindings; i++)
        n += v.findings[i].kind == k;
    return n;
}

static const struct finding *first(enum finding_kind k)
{
    for (uint32_t i = 0; i < v.nfindings; i++)
        if (v.findings[i].kind == k)
            return &v.findings[i];
    return NULL;
}

static void look(uint64_t visible_bytes, bool visible)
{
    if (visible)
        add(EV_OBSERVE, EV_NONE, F)->bytes = visible_bytes;
    else
        add(EV_UNSEEN, EV_NONE, F);
}

/* A history of looks alone (a mount without a flush log): what a look
 * after the close proves, and nothing more. */
static void looks_only_close(void)
{
    hist.len = 0;
    hist.looks_only = true;
    create(A, 0);
    write_(A, 10, 0);
    close_(A, CLOSE_SYSCALL, 0);
}

TEST(looks_only_no_look_after_the_close_proves_nothing)
{
    looks_only_close();
    close_(B, CLOSE_TEARDOWN, 0); /* other events of the file follow */
    death(A);
    judge();
    hist.looks_only = false;
    CHECK_EQ_INT(v.nfindings, 0);
    CHECK(v.looks_only);
    CHECK(v.files[F].unseen); /* transient or aborted: not told apart */
}

TEST(looks_only_not_visible_after_the_close_is_a_lost_file)
{
    looks_only_close();
    close_(B, CLOSE_TEARDOWN, 0);
    look(0, false);
    judge();
    hist.looks_only = false;
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    const struct finding *f = first(FIND_LOST_FILE);
    REQUIRE(f);
    CHECK(f->unseen);
    CHECK_EQ_INT(f->index, 2);  /* at the close */
    CHECK_EQ_INT(f->cause, 4);  /* proved by the look */
}

TEST(looks_only_visible_after_the_close_is_clean_and_sealed)
{
    looks_only_close();
    write_(B, 3, -ERR_EPERM); /* a later write, refused: still pending */
    look(10, true);
    judge();
    hist.looks_only = false;
    CHECK_EQ_INT(v.nfindings, 0);
    CHECK_EQ_INT(v.files[F].state, OUTCOME_SEALED);
    CHECK(!v.files[F].unseen);
}

TEST(looks_only_visible_with_other_bytes_after_the_close_is_a_lost_file)
{
    looks_only_close();
    look(4, true);
    judge();
    hist.looks_only = false;
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
}

TEST(looks_only_a_seal_seen_before_the_close_settles_it_at_once)
{
    hist.len = 0;
    hist.looks_only = true;
    create(A, 0);
    write_(A, 10, 0);
    look(10, true); /* early: seen before the close */
    close_(A, CLOSE_SYSCALL, 0);
    judge();
    hist.looks_only = false;
    CHECK_EQ_INT(count(FIND_EARLY_SEAL), 1);
    CHECK_EQ_INT(count(FIND_LOST_FILE), 0);
}

TEST(with_decisions_a_look_that_finds_nothing_changes_nothing)
{
    hist.len = 0;
    create(A, 0);
    write_(A, 10, 0);
    close_(A, CLOSE_SYSCALL, 0);
    seal(10);
    look(0, false);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    CHECK(!v.files[F].unseen);
}

TEST(clean_history_seals_with_bytes_written)
{
    hist.len = 0;
    create(A, 0);
    write_(A, 10, 0);
    write_(A, 5, 0);
    close_(A, CLOSE_SYSCALL, 0);
    seal(15);
    death(A);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    CHECK_EQ_INT(v.files[F].state, OUTCOME_SEALED);
    CHECK_EQ_INT(v.files[F].bytes, 15);
}

TEST(early_seal_by_another_process_then_write_after_seal)
{
    hist.len = 0;
    create(A, 0);
    write_(A, 10, 0);
    close_(B, CLOSE_SYSCALL, 0); /* a child closes its inherited copy */
    seal(10);
    write_(A, 10, -ERR_EPERM);
    close_(A, CLOSE_SYSCALL, 0);
    judge();
    CHECK_EQ_INT(count(FIND_EARLY_SEAL), 1);
    CHECK_EQ_INT(first(FIND_EARLY_SEAL)->index, 3);
    CHECK_EQ_INT(count(FIND_WRITE_AFTER_SEAL), 1);
    CHECK_EQ_INT(count(FIND_LOST_FILE), 0); /* sealed with what succeeded */
}

TEST(early_seal_then_death_is_also_visible_after_abort)
{
    hist.len = 0;
    create(A, 0);
    write_(A, 4, 0);
    close_(B, CLOSE_TEARDOWN, 0);
    seal(4);
    death(A);
    judge();
    CHECK_EQ_INT(count(FIND_EARLY_SEAL), 1);
    CHECK_EQ_INT(count(FIND_VISIBLE_AFTER_ABORT), 1);
    CHECK_EQ_INT(first(FIND_VISIBLE_AFTER_ABORT)->index, 4);
}

TEST(seal_after_creator_death_is_visible_after_abort_only)
{
    hist.len = 0;
    create(A, 0);
    death(A);
    close_(A, CLOSE_TEARDOWN, 0);
    seal(0);
    judge();
    CHECK_EQ_INT(count(FIND_EARLY_SEAL), 0);
    CHECK_EQ_INT(count(FIND_VISIBLE_AFTER_ABORT), 1);
    CHECK_EQ_INT(first(FIND_VISIBLE_AFTER_ABORT)->index, 3);
}

TEST(close_by_dead_creator_is_not_conscious)
{
    hist.len = 0;
    create(A, 0);
    death(A);
    close_(A, CLOSE_SYSCALL, 0); /* cannot happen on Linux; still not one */
    add(EV_ABORT, A, F);
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 0);
    CHECK_EQ_INT(v.files[F].state, OUTCOME_ABORTED);
}

TEST(lost_file_when_transient_after_conscious_close)
{
    hist.len = 0;
    create(A, 0);
    write_(A, 8, 0);
    close_(A, CLOSE_URING, 0);
    add(EV_FLUSH, A, F)->decision = FLUSH_IGNORE;
    write_(B, 1, 0); /* the check happens right after the flush */
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    const struct finding *f = first(FIND_LOST_FILE);
    REQUIRE(f);
    CHECK_EQ_INT(f->index, 2);
    CHECK_EQ_INT(f->state, OUTCOME_TRANSIENT);
    CHECK_EQ_INT(f->expected, 8);
}

TEST(lost_file_when_aborted_or_short)
{
    hist.len = 0;
    create(A, 0);
    write_(A, 8, 0);
    close_(A, CLOSE_CLOEXEC, 0);
    add(EV_ABORT, A, F);
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    CHECK_EQ_INT(first(FIND_LOST_FILE)->state, OUTCOME_ABORTED);

    hist.len = 0; /* an observer saw fewer bytes than were written */
    create(A, 0);
    write_(A, 8, 0);
    close_(A, CLOSE_SYSCALL, 0);
    add(EV_OBSERVE, EV_NONE, F)->bytes = 5;
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    CHECK_EQ_INT(first(FIND_LOST_FILE)->got, 5);
}

TEST(lost_file_reported_once)
{
    hist.len = 0;
    create(A, 0);
    close_(A, CLOSE_RANGE, 0);
    close_(A, CLOSE_DUP2, 0);
    close_(A, CLOSE_SYSCALL, 0);
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    CHECK_EQ_INT(first(FIND_LOST_FILE)->index, 1);
}

TEST(teardown_close_is_not_conscious)
{
    hist.len = 0;
    create(A, 0);
    close_(A, CLOSE_TEARDOWN, 0);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    CHECK_EQ_INT(v.files[F].state, OUTCOME_TRANSIENT);
}

TEST(mutated_after_seal_by_write_or_observation)
{
    hist.len = 0;
    create(A, 0);
    close_(A, CLOSE_SYSCALL, 0);
    seal(0);
    write_(A, 3, 0);
    judge();
    CHECK_EQ_INT(count(FIND_MUTATED_AFTER_SEAL), 1);

    hist.len = 0;
    create(A, 0);
    write_(A, 3, 0);
    close_(A, CLOSE_SYSCALL, 0);
    seal(3);
    add(EV_OBSERVE, EV_NONE, F)->bytes = 3; /* same: fine */
    add(EV_OBSERVE, EV_NONE, F)->bytes = 4;
    judge();
    CHECK_EQ_INT(count(FIND_MUTATED_AFTER_SEAL), 1);
    CHECK_EQ_INT(first(FIND_MUTATED_AFTER_SEAL)->index, 5);
    CHECK_EQ_INT(count(FIND_LOST_FILE), 0);
}

TEST(create_failed_and_kernel_create_refused)
{
    hist.len = 0;
    create(A, -ERR_EIO);
    judge();
    CHECK_EQ_INT(count(FIND_CREATE_FAILED), 1);
    CHECK_EQ_INT(first(FIND_CREATE_FAILED)->err, ERR_EIO);
    CHECK_EQ_INT(v.files[F].state, OUTCOME_TRANSIENT);
    CHECK(!v.files[F].created);

    hist.len = 0;
    add(EV_CREATE, A, F)->result = -ERR_EIO;
    evs[0].kthread = 1;
    judge();
    CHECK_EQ_INT(count(FIND_CREATE_FAILED), 0);
    CHECK_EQ_INT(count(FIND_KERNEL_CREATE_REFUSED), 1);

    hist.len = 0; /* EEXIST is not a failure of the policy */
    create(A, 0);
    create(B, -ERR_EEXIST);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
}

TEST(unknown_outcomes_never_cry_wolf)
{
    /* a write of unknown outcome: the seal may hold 10 or 15 bytes */
    hist.len = 0;
    create(A, 0);
    write_(A, 10, 0);
    write_(A, 5, RESULT_UNKNOWN);
    close_(A, CLOSE_SYSCALL, 0);
    seal(10);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    hist.len = 0;
    create(A, 0);
    write_(A, 10, 0);
    write_(A, 5, RESULT_UNKNOWN);
    close_(A, CLOSE_SYSCALL, 0);
    seal(15);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    /* ... but not 7 */
    evs[4].bytes = 7;
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);

    /* a close of unknown outcome may have been conscious: no early-seal,
     * no lost-file */
    hist.len = 0;
    create(A, 0);
    close_(A, CLOSE_SYSCALL, RESULT_UNKNOWN);
    seal(0);
    death(A);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);

    /* a create of unknown outcome: nothing can be lost */
    hist.len = 0;
    create(A, RESULT_UNKNOWN);
    close_(A, CLOSE_SYSCALL, 0);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
}

TEST(events_beyond_capacity_are_refused)
{
    hist.len = 0;
    create(A, 0);
    add(EV_WRITE, A, 3)->bytes = 1; /* file 3, but nfiles = 1 */
    uint32_t bad = 99;
    CHECK_EQ_INT(oracle_judge(o, &hist, 1, done_rule, &v, &bad), -1);
    CHECK_EQ_INT(bad, 1);
    hist.len = 0;
    add(EV_DEATH, 9, EV_NONE); /* process 9, capacity 4 */
    CHECK_EQ_INT(oracle_judge(o, &hist, 1, done_rule, &v, &bad), -1);
    CHECK_EQ_INT(bad, 0);
}

/* A real ledger interleaves files: a close of F, then a close of G, then
 * what the observer saw of each.  Each close is judged by F's own events. */
TEST(interleaved_files_judged_by_their_own_events)
{
    hist.len = 0;
    create(A, 0);                              /* F */
    add(EV_CREATE, B, 1)->result = 0;          /* G */
    close_(A, CLOSE_SYSCALL, 0);
    add(EV_CLOSE, B, 1)->cause = CLOSE_SYSCALL;
    add(EV_OBSERVE, EV_NONE, F)->bytes = 0;
    add(EV_OBSERVE, EV_NONE, 1)->bytes = 0;
    uint32_t bad = 0;
    REQUIRE(o);
    CHECK_EQ_INT(oracle_judge(o, &hist, 2, done_rule, &v, &bad), 0);
    CHECK_EQ_INT(v.nfindings, 0);
    CHECK_EQ_INT(v.files[1].state, OUTCOME_SEALED);
    /* ... but a file left transient after its close is lost, even when the
     * next event is another file's */
    hist.len = 4;
    add(EV_OBSERVE, EV_NONE, 1)->bytes = 0;
    CHECK_EQ_INT(oracle_judge(o, &hist, 2, done_rule, &v, &bad), 0);
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    CHECK_EQ_INT(first(FIND_LOST_FILE)->file, F);
}

TEST(malformed_events_are_refused_not_read)
{
    uint32_t bad = 99;
    REQUIRE(o);
    hist.len = 0;
    add(EV_CREATE, A, EV_NONE)->result = -ERR_EIO; /* a create of no file */
    CHECK_EQ_INT(oracle_judge(o, &hist, 1, done_rule, &v, &bad), -1);
    CHECK_EQ_INT(bad, 0);
    hist.len = 0;
    add(EV_CREATE, EV_NONE, F); /* a create by no process */
    seal(0);
    CHECK_EQ_INT(oracle_judge(o, &hist, 1, done_rule, &v, &bad), -1);
    hist.len = 0;
    create(A, 0);
    add(EV_CLOSE, EV_NONE, F); /* a close by no process */
    CHECK_EQ_INT(oracle_judge(o, &hist, 1, done_rule, &v, &bad), -1);
    CHECK_EQ_INT(bad, 1);
}

TEST(create_of_an_existing_name_changes_nothing)
{
    hist.len = 0;
    create(A, 0);
    write_(A, 2, 0);
    close_(A, CLOSE_SYSCALL, 0);
    seal(2);
    create(B, RESULT_UNKNOWN); /* a retry whose outcome is unknown */
    create(B, -ERR_EIO);       /* not a new name: not create-failed */
    create(B, 0);              /* cannot happen (O_EXCL); still ignored */
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    CHECK_EQ_INT(v.files[F].state, OUTCOME_SEALED);
    CHECK_EQ_INT(v.files[F].bytes, 2);
}

TEST(every_kind_has_an_explanation)
{
    char buf[256];
    for (int k = 0; k < FIND_KIND_COUNT; k++) {
        struct finding f = {.kind = (uint8_t)k, .file = 0};
        size_t n = finding_explain(&f, "f", buf, sizeof buf);
        CHECK(n > 20);
        CHECK(strstr(buf, "f") != NULL);
        CHECK(finding_kind_from_name(finding_kind_name((enum finding_kind)k),
                                     strlen(finding_kind_name(
                                         (enum finding_kind)k))) == (enum finding_kind)k);
    }
}

/* The same oracle on model histories: one trace per kind the model can
 * produce, under the policy that produces it. */
static int model_finds(const char *text, enum policy pol, enum finding_kind k)
{
    static struct program p;
    static struct judge j;
    struct trace_error err;
    if (!j.model && judge_init(&j) < 0)
        return -1;
    if (trace_parse(text, strlen(text), &p, &err) < 0) {
        fprintf(stderr, "parse: %u: %s\n", err.line, err.msg);
        return -1;
    }
    struct judgement out;
    if (judge_run(&j, &p, pol, &out) < 0) {
        fprintf(stderr, "run: %u: %s\n", out.err.line, out.err.msg);
        return -1;
    }
    v = out.verdict;
    return count(k);
}

TEST(model_histories_produce_each_kind)
{
    const char *fork_child_closes = "spawn a\na create f\na write f 3\n"
                                    "a fork b\nb close f\na write f 1\n"
                                    "a close f\n";
    CHECK_EQ_INT(model_finds(fork_child_closes, POLICY_FUSE_NAIVE,
                             FIND_EARLY_SEAL), 1);
    CHECK_EQ_INT(model_finds(fork_child_closes, POLICY_FUSE_NAIVE,
                             FIND_WRITE_AFTER_SEAL), 1);
    CHECK_EQ_INT(model_finds(fork_child_closes, POLICY_REFERENCE,
                             FIND_EARLY_SEAL), 0);
    const char *killed = "spawn a\na create f\na write f 3\nkill a\n";
    CHECK_EQ_INT(model_finds(killed, POLICY_FUSE_NAIVE,
                             FIND_VISIBLE_AFTER_ABORT), 1);
    CHECK_EQ_INT(model_finds(killed, POLICY_KMOD, FIND_VISIBLE_AFTER_ABORT),
                 0);
    const char *uring = "spawn a\na create f\na write f 3\n"
                        "a uring_close f\n";
    CHECK_EQ_INT(model_finds(uring, POLICY_FUSE_CLOSETRACKER,
                             FIND_LOST_FILE), 1);
    CHECK_EQ_INT(model_finds(uring, POLICY_REFERENCE, FIND_LOST_FILE), 0);
    const char *zombie = "spawn a\na thread t\na exit\nt create f\n";
    CHECK_EQ_INT(model_finds(zombie, POLICY_KMOD, FIND_CREATE_FAILED), 1);
    CHECK_EQ_INT(model_finds(zombie, POLICY_REFERENCE, FIND_CREATE_FAILED),
                 0);
    const char *nfsd = "kthread k\nk create f\nk close f\n";
    CHECK_EQ_INT(model_finds(nfsd, POLICY_KMOD_2024,
                             FIND_KERNEL_CREATE_REFUSED), 1);
    CHECK_EQ_INT(model_finds(nfsd, POLICY_REFERENCE,
                             FIND_KERNEL_CREATE_REFUSED), 0);
    CHECK_EQ_INT(v.files[0].state, OUTCOME_SEALED);
}

/* ---- done rules (enum done_rule): lost-file at the rule's done points */

/* open; dup2; close; write; close: the first close leaves another fd of
 * the table (table_fds 1), the second is the last. */
static void redirect_history(bool seal_at_first)
{
    hist.len = 0;
    hist.looks_only = false;
    create(A, 0);
    close_(A, CLOSE_SYSCALL, 0);
    evs[hist.len - 1].table_fds = 1;
    if (seal_at_first)
        seal(0);
    write_(A, 100, seal_at_first ? -ERR_EROFS : 0);
    close_(A, CLOSE_SYSCALL, 0);
    if (!seal_at_first)
        seal(100);
}

TEST(done_last_fd_a_close_with_another_fd_left_is_not_done)
{
    /* a policy that waits for the last fd: lost-file under SPEC's rule
     * (transient right after the first close), clean under last-fd's */
    redirect_history(false);
    done_rule = DONE_FIRST_CLOSE;
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    done_rule = DONE_LAST_FD;
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    CHECK_EQ_INT(v.files[F].bytes, 100);
    done_rule = DONE_FIRST_CLOSE;
}

TEST(done_last_fd_sealing_at_the_first_close_is_no_early_seal)
{
    /* sealing at the first close is safe under every rule (a conscious
     * close came first); the failed write is the program's to see */
    redirect_history(true);
    done_rule = DONE_LAST_FD;
    judge();
    CHECK_EQ_INT(count(FIND_EARLY_SEAL), 0);
    CHECK_EQ_INT(count(FIND_LOST_FILE), 0); /* no byte written after it */
    CHECK_EQ_INT(count(FIND_WRITE_AFTER_SEAL), 1);
    done_rule = DONE_FIRST_CLOSE;
}

/* The creator writes and dies (normally or not) without a close; the
 * teardown flush seals (`sealed` bytes) or not. */
static void exit_history(bool clean, bool sealed, uint64_t sealed_bytes)
{
    hist.len = 0;
    hist.looks_only = false;
    create(A, 0);
    write_(A, 10, 0);
    add(EV_DEATH, A, EV_NONE)->clean_exit = clean;
    close_(A, CLOSE_TEARDOWN, 0);
    if (sealed)
        seal(sealed_bytes);
}

TEST(done_clean_exit_a_normal_exit_is_a_done_point)
{
    exit_history(true, true, 10);
    done_rule = DONE_FIRST_CLOSE; /* SPEC: visible after the creator died */
    judge();
    CHECK_EQ_INT(count(FIND_VISIBLE_AFTER_ABORT), 1);
    done_rule = DONE_CLEAN_EXIT; /* the exit was the creator's done act */
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    exit_history(true, false, 0); /* not sealed at the normal exit */
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    REQUIRE(first(FIND_LOST_FILE));
    CHECK(first(FIND_LOST_FILE)->at_exit);
    CHECK_EQ_INT(first(FIND_LOST_FILE)->index, 2); /* at the exit */
    exit_history(true, true, 3); /* sealed short */
    judge();
    CHECK_EQ_INT(count(FIND_LOST_FILE), 1);
    done_rule = DONE_FIRST_CLOSE;
}

TEST(done_clean_exit_a_kill_is_no_done_point)
{
    done_rule = DONE_CLEAN_EXIT;
    exit_history(false, true, 10);
    judge();
    CHECK_EQ_INT(count(FIND_VISIBLE_AFTER_ABORT), 1);
    exit_history(false, false, 0);
    judge();
    CHECK_EQ_INT(v.nfindings, 0);
    done_rule = DONE_FIRST_CLOSE;
}

TEST(done_rules_have_names)
{
    for (unsigned r = 0; r <= DONE_RULE_ALL; r++)
        CHECK(strcmp(done_rule_name(r), "?") != 0);
    CHECK_EQ_STR(done_rule_name(DONE_FIRST_CLOSE), "first-close");
    CHECK_EQ_STR(done_rule_name(DONE_RULE_ALL + 1), "?");
    CHECK_EQ_INT(policy_done_rule(POLICY_REFERENCE), DONE_FIRST_CLOSE);
}

int main(void)
{
    int rc = run_tests();
    oracle_free(o);
    return rc;
}
