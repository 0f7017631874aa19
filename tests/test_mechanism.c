/* test_mechanism.c - findings deduplicated by root cause: programs that
 * differ in names, sizes, the order of independent statements or the close
 * call used get the same mechanism; different causes get different ones. */
#include "check.h"
#include "judge.h"
#include "mechanism.h"

static struct judge J;
static struct program P;

/* The mechanism of the first `kind` finding of `text` under `pol` ("" when
 * there is none). */
static const char *mechanism(const char *text, enum policy pol,
                             enum finding_kind kind)
{
    static char buf[256];
    struct trace_error err;
    struct judgement out;
    buf[0] = 0;
    if ((!J.model && judge_init(&J) < 0) ||
        trace_parse(text, strlen(text), &P, &err) < 0 ||
        judge_run(&J, &P, pol, &out) < 0) {
        test_failed_ = 1;
        return buf;
    }
    for (uint32_t i = 0; i < out.verdict.nfindings; i++)
        if (out.verdict.findings[i].kind == kind) {
            finding_mechanism(model_history(J.model),
                              &out.verdict.findings[i], pol, buf, sizeof buf);
            break;
        }
    return buf;
}

TEST(same_cause_same_mechanism)
{
    char a[256];
    /* fuse-naive early-seal: another process's close, whichever close */
    snprintf(a, sizeof a, "%s",
             mechanism("spawn a\na create f\na fork b\nb close f\n",
                       POLICY_FUSE_NAIVE, FIND_EARLY_SEAL));
    CHECK_EQ_STR(a, "sealed: a close by another process");
    CHECK_EQ_STR(mechanism("spawn x\nx create g\nx write g 9\nspawn y\n"
                           "x fork z\nz uring_close g\n",
                           POLICY_FUSE_NAIVE, FIND_EARLY_SEAL),
                 a);
    /* kmod lost-file after a non-leader exec: the stale owner pointer */
    snprintf(a, sizeof a, "%s",
             mechanism("spawn a\na create f\na thread t\nt exec\n"
                       "t close f\n",
                       POLICY_KMOD, FIND_LOST_FILE));
    CHECK(strstr(a, "stale owner pointer") != NULL);
    CHECK_EQ_STR(mechanism("spawn a\na thread t\na create f\nt exec\n"
                           "t write f 4\nt close_range\n",
                           POLICY_KMOD, FIND_LOST_FILE),
                 a);
}

TEST(different_causes_differ)
{
    char teardown[256], other[256], reused[256];
    snprintf(teardown, sizeof teardown, "%s",
             mechanism("spawn a\na create f\n", POLICY_FUSE_NAIVE,
                       FIND_VISIBLE_AFTER_ABORT));
    CHECK_EQ_STR(teardown, "sealed: teardown by the creator process");
    snprintf(other, sizeof other, "%s",
             mechanism("spawn a\na create f\na fork b\nb close f\n",
                       POLICY_FUSE_NAIVE, FIND_EARLY_SEAL));
    CHECK(strcmp(teardown, other) != 0);
    /* kmod's ABA: a reused task_struct matched the owner pointer */
    snprintf(reused, sizeof reused, "%s",
             mechanism("spawn p\np thread t\np create f\nt exec\n"
                       "t fork q reuses p\nq close f\n",
                       POLICY_KMOD, FIND_EARLY_SEAL));
    CHECK(strstr(reused, "a reused task_struct matched the owner pointer"));
    /* the close tracker: a map too small, or no close(2) at all */
    CHECK(strstr(mechanism("closetracker_map 1\nspawn a\na create f\n"
                           "a close f\na open f as r\na close r\n"
                           "a create g\na close g\n",
                           POLICY_FUSE_CLOSETRACKER, FIND_LOST_FILE),
                 "map was full"));
    CHECK(strstr(mechanism("spawn a\na create f\na uring_close f\n",
                           POLICY_FUSE_CLOSETRACKER, FIND_LOST_FILE),
                 "not a close(2)"));
}

int main(void)
{
    int rc = run_tests();
    if (J.model)
        judge_destroy(&J);
    return rc;
}
