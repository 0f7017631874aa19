/* test_schedules.c - SPEC v2's schedules in the model: `order T...` on the
 * statements that kill threads, `reuses X` on those that make tasks, and
 * the version 2 `dup2` of a failed fd.  Each trace carries its own
 * expectations and is judged under every policy; the validity rules are
 * checked as trace errors. */
#include "check.h"
#include "judge.h"

static struct judge J;
static struct program P;

/* Parse `text` and judge it under every policy: every applicable
 * expectation holds and at least `min_expects` apply under `must`. */
static void all_expectations_hold(const char *text, enum policy must,
                                  uint32_t min_expects, int at)
{
    struct trace_error err;
    if (!J.model && judge_init(&J) < 0) {
        test_failed_ = 1;
        return;
    }
    if (trace_parse(text, strlen(text), &P, &err) < 0) {
        fprintf(stderr, "test_schedules.c:%d: parse: %u: %s\n", at, err.line,
                err.msg);
        test_failed_ = 1;
        return;
    }
    for (unsigned pol = 0; pol < POLICY_COUNT; pol++) {
        struct judgement out;
        if (judge_run(&J, &P, (enum policy)pol, &out) < 0 || out.trace_error) {
            fprintf(stderr, "test_schedules.c:%d: %s: trace error %u: %s\n",
                    at, policy_name((enum policy)pol), out.err.line,
                    out.err.msg);
            test_failed_ = 1;
            continue;
        }
        for (uint32_t i = 0; i < out.failed && i < JUDGE_MAX_REPORTED_FAILURES;
             i++) {
            fprintf(stderr, "test_schedules.c:%d: %s: line %u: %s\n", at,
                    policy_name((enum policy)pol),
                    P.steps[out.failures[i].step].line,
                    out.failures[i].got);
            test_failed_ = 1;
        }
        if (pol == must && out.applicable < min_expects) {
            fprintf(stderr, "test_schedules.c:%d: %s: %u expectations apply, "
                            "want %u\n",
                    at, policy_name((enum policy)pol), out.applicable,
                    min_expects);
            test_failed_ = 1;
        }
    }
}
#define HOLDS(text, pol, n) all_expectations_hold(text, pol, n, __LINE__)

/* `text` is a trace error at `line` whose message holds `word`. */
static void trace_error_at(const char *text, uint32_t line, const char *word,
                           int at)
{
    struct trace_error err;
    struct judgement out;
    if (!J.model && judge_init(&J) < 0) {
        test_failed_ = 1;
        return;
    }
    if (trace_parse(text, strlen(text), &P, &err) < 0) {
        out.trace_error = true;
        out.err = err;
    } else if (judge_run(&J, &P, POLICY_REFERENCE, &out) < 0 &&
               !out.trace_error) {
        fprintf(stderr, "test_schedules.c:%d: the judge failed\n", at);
        test_failed_ = 1;
        return;
    }
    if (!out.trace_error || out.err.line != line ||
        !strstr(out.err.msg, word)) {
        fprintf(stderr,
                "test_schedules.c:%d: want a trace error at line %u with "
                "'%s'; got %s %u '%s'\n",
                at, line, word, out.trace_error ? "error at" : "no error",
                out.err.line, out.trace_error ? out.err.msg : "");
        test_failed_ = 1;
    }
}
#define ERROR_AT(text, line, word) trace_error_at(text, line, word, __LINE__)

/* ---------------------------------------------------------------- order */

TEST(order_lists_exactly_the_dying_threads)
{
    ERROR_AT("spawn p\np thread t\nkill p order p\n", 3,
             "leaves out 't'");
    ERROR_AT("spawn p\np thread t\nkill p order p t p\n", 3, "'p' twice");
    ERROR_AT("spawn p\nspawn q\np thread t\nkill p order p t q\n", 4,
             "'q', which does not die");
    /* exec: every other live thread, never the exec'ing one */
    ERROR_AT("spawn p\np thread t\nt exec order t p\n", 3,
             "'t', which does not die");
    ERROR_AT("spawn p\np thread t\np thread u\nt exec order p\n", 4,
             "leaves out 'u'");
    /* a zombie leader has exited already */
    ERROR_AT("spawn p\np thread t\np exit\nkill t order p t\n", 4,
             "'p', which does not die");
    /* an empty order where threads die */
    ERROR_AT("spawn p\np exit_group order\n", 2, "leaves out 'p'");
    /* a kernel thread does not die of SIGKILL */
    ERROR_AT("kthread k\nkill k order k\n", 2, "does not die");
    /* valid: an empty order where no thread dies, every thread once */
    HOLDS("kthread k\nkill k order\nspawn p\np exec order\n"
          "p thread t\np thread u\nt exit_group order u t p\n"
          "expect clean\n",
          POLICY_REFERENCE, 1);
}

/* A killed process whose thread holds a private fd table with the last fd
 * of its file: under kmod-2024 the schedule decides (the thread's flush
 * reads owner->mm, still the file's while the leader lives); kmod and the
 * reference abort in both orders. */
TEST(kill_order_decides_kmod_2024_only)
{
    const char *t_first =
        "spawn p\np create f\np write f 10\np thread t\nt unshare_files\n"
        "kill p order t p\n"
        "expect f aborted\n"
        "expect[kmod] f aborted\n"
        "expect[kmod-2024] f sealed 10\n"
        "expect[kmod-2024] violation visible-after-abort f\n";
    HOLDS(t_first, POLICY_KMOD_2024, 2);
    const char *p_first =
        "spawn p\np create f\np write f 10\np thread t\nt unshare_files\n"
        "kill p order p t\n"
        "expect f aborted\n"
        "expect[kmod,kmod-2024] f aborted\n"
        "expect[reference,kmod,kmod-2024] clean\n";
    HOLDS(p_first, POLICY_KMOD_2024, 2);
    /* without `order`: version 1's schedule, every exit_mm first */
    HOLDS("spawn p\np create f\np write f 10\np thread t\nt unshare_files\n"
          "kill p\n"
          "expect[reference,kmod,kmod-2024] f aborted\n"
          "expect[reference,kmod,kmod-2024] clean\n",
          POLICY_KMOD_2024, 2);
}

/* A non-leader exec whose de_thread kills a thread with a private table:
 * the killed thread's teardown flush comes while the creator process lives
 * on.  The reference ignores it; kmod aborts the live process's file;
 * kmod-2024 seals it early when the old leader still has its mm. */
TEST(exec_order_kills_a_thread_with_a_private_table)
{
    HOLDS("spawn p\np create f\np write f 4\np thread t\np thread u\n"
          "u unshare_files\n"
          "t exec order u p\n"
          "t close f\n"
          "expect f sealed 4\n"
          "expect[kmod] f aborted\n"
          "expect[kmod] violation lost-file f\n"
          "expect[kmod-2024] f sealed 4\n"
          "expect[kmod-2024] violation early-seal f\n",
          POLICY_KMOD, 2);
    HOLDS("spawn p\np create f\np write f 4\np thread t\np thread u\n"
          "u unshare_files\n"
          "t exec order p u\n"
          "t close f\n"
          "expect f sealed 4\n"
          "expect[kmod,kmod-2024] f aborted\n"
          "expect[kmod,kmod-2024] violation lost-file f\n",
          POLICY_KMOD_2024, 2);
}

/* --------------------------------------------------------------- reuses */

/* The ABA of kmod's owner pointer: after a non-leader exec the old leader's
 * task_struct is released; a child that gets that memory passes the
 * pointer compare and seals its inherited fd's file early.  The same
 * program without `reuses` is clean. */
TEST(reuses_makes_kmod_early_seal_and_fresh_memory_does_not)
{
    HOLDS("spawn p\np thread t\np create f\np write f 2\nt exec\n"
          "t fork q reuses p\nq close f\n"
          "expect[kmod] violation early-seal f\n"
          "expect[kmod] f sealed 2\n"
          "expect f aborted\n",
          POLICY_KMOD, 2);
    HOLDS("spawn p\np thread t\np create f\np write f 2\nt exec\n"
          "t fork q\nq close f\n"
          "expect[reference,kmod] clean\n"
          "expect f aborted\n",
          POLICY_KMOD, 1);
}

TEST(reuses_validity)
{
    ERROR_AT("spawn p\np fork q reuses p\n", 2, "not released");
    ERROR_AT("spawn p\np thread t\nt exit\np thread u reuses t\n"
             "p thread v reuses t\n",
             5, "already reused by 'u'");
    ERROR_AT("spawn p\nspawn q reuses nobody\n", 2, "unknown task");
    HOLDS("spawn p\np thread t\nt exit\np vfork q reuses t\nq exit\n"
          "kthread k reuses q\nexpect clean\n",
          POLICY_REFERENCE, 1);
}

/* ----------------------------------------------------------------- dup2 */

/* dup2 of a failed fd fails with EBADF and leaves D2 as it was (v2): the
 * open D2 is not closed, so the file is sealed by its later close with the
 * bytes written after the dup2. */
TEST(dup2_of_a_failed_fd_leaves_d2_open)
{
    HOLDS("spawn p\np create f\np create f as g\np dup2 g f\n"
          "p write f 5\np close f\n"
          "expect f sealed 5\n"
          "expect[reference] clean\n",
          POLICY_REFERENCE, 2);
    /* an unbound D2 becomes a failed fd */
    HOLDS("spawn p\np create f\np create f as g\np dup2 g z\np write z 3\n"
          "p close z\np close f\nexpect f sealed 0\n",
          POLICY_REFERENCE, 1);
}

/* D2 keeps its close-on-exec flag when the dup2 fails: exec closes it (a
 * conscious close by the creator) and the name stays bound, failed. */
TEST(dup2_of_a_failed_fd_keeps_d2_close_on_exec)
{
    HOLDS("spawn p\np create f cloexec\np write f 7\np create f as g\n"
          "p dup2 g f\np exec\np write f 1\np close f\n"
          "expect f sealed 7\n"
          "expect[reference] clean\n",
          POLICY_REFERENCE, 2);
}

int main(void)
{
    int rc = run_tests();
    if (J.model)
        judge_destroy(&J);
    return rc;
}
