/* check.h - a minimal test harness: one program per area, many cases.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *   int main(void) { return run_tests(); }
 *
 * Every case runs; a failed CHECK prints file:line and the expression and
 * marks the case failed.  Exit status: 0 all passed, 1 a case failed, 77 every
 * case skipped (ctest SKIP_RETURN_CODE).  SKIP("why") skips a case loudly.
 */
#ifndef TERNRIG_CHECK_H
#define TERNRIG_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

#define MAX_TEST_CASES 256
static struct test_case test_cases_[MAX_TEST_CASES];
static int ntest_cases_;
static int test_failed_, test_skipped_;

#define TEST(name)                                                             \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void register_##name(void)             \
    {                                                                          \
        if (ntest_cases_ < MAX_TEST_CASES)                                     \
            test_cases_[ntest_cases_++] =                                      \
                (struct test_case){#name, test_##name};                        \
    }                                                                          \
    static void test_##name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            test_failed_ = 1;                                                  \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_) {                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n",  \
                    __FILE__, __LINE__, #a, #b, a_, b_);                       \
            test_failed_ = 1;                                                  \
        }                                                                      \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                     \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (strcmp(a_, b_) != 0) {                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s\n  got:  %s\n"      \
                            "  want: %s\n",                                    \
                    __FILE__, __LINE__, #a, #b, a_, b_);                       \
            test_failed_ = 1;                                                  \
        }                                                                      \
    } while (0)

/* Stop the case here when `cond` fails (later checks would be noise). */
#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__,           \
                    __LINE__, #cond);                                          \
            test_failed_ = 1;                                                  \
            return;                                                            \
        }                                                                      \
    } while (0)

#define SKIP(why)                                                              \
    do {                                                                       \
        fprintf(stderr, "SKIP: %s\n", why);                                    \
        test_skipped_ = 1;                                                     \
        return;                                                                \
    } while (0)

static inline int run_tests(void)
{
    int failed = 0, skipped = 0;
    for (int i = 0; i < ntest_cases_; i++) {
        test_failed_ = test_skipped_ = 0;
        test_cases_[i].fn();
        const char *verdict =
            test_failed_ ? "FAIL" : test_skipped_ ? "SKIP" : "ok";
        printf("%-4s %s\n", verdict, test_cases_[i].name);
        failed += test_failed_;
        skipped += test_skipped_ && !test_failed_;
    }
    printf("%d case(s): %d failed, %d skipped\n", ntest_cases_, failed,
           skipped);
    if (failed)
        return 1;
    return ntest_cases_ > 0 && skipped == ntest_cases_ ? 77 : 0;
}

#endif
