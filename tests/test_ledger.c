/* test_ledger.c - the stress ledger: records come back whole and in order,
 * a ring that wraps says how many it lost, a writer SIGKILLed mid-record
 * leaves nothing half-read, and a damaged file is refused with a reason. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "ledger.h"

static char path[64];

static struct ledger *fresh(uint32_t cap)
{
    char why[200];
    struct ledger *l = ledger_create(path, cap, why, sizeof why);
    if (!l)
        fprintf(stderr, "%s\n", why);
    return l;
}

TEST(records_come_back_in_order_and_whole)
{
    struct ledger *l = fresh(1024);
    REQUIRE(l);
    for (uint32_t i = 0; i < 500; i++) {
        struct ledger_rec r = {0};
        r.kind = LR_INTENT;
        r.scen = 7;
        r.step = (uint16_t)i;
        r.a = i * 3ULL;
        CHECK_EQ_INT(ledger_append(l, &r), i + 1);
    }
    static struct ledger_rec out[600];
    uint64_t after = 0, lost = 0, torn = 0;
    size_t n = ledger_read(l, &after, out, 600, &lost, &torn, false);
    CHECK_EQ_INT(n, 500);
    CHECK_EQ_INT(lost, 0);
    CHECK_EQ_INT(torn, 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_INT(out[i].seq, i + 1);
        CHECK_EQ_INT(out[i].step, i);
        CHECK_EQ_INT(out[i].a, i * 3);
    }
    CHECK_EQ_INT(ledger_read(l, &after, out, 600, &lost, &torn, false), 0);
    ledger_close(l);
}

TEST(a_wrapped_ring_counts_what_it_lost)
{
    struct ledger *l = fresh(1024);
    REQUIRE(l);
    for (uint32_t i = 0; i < 3000; i++) {
        struct ledger_rec r = {0};
        r.kind = LR_RESULT;
        r.a = i;
        ledger_append(l, &r);
    }
    static struct ledger_rec out[2048];
    uint64_t after = 0, lost = 0, torn = 0;
    size_t n = ledger_read(l, &after, out, 2048, &lost, &torn, false);
    CHECK_EQ_INT(n, 1024);
    CHECK_EQ_INT(lost, 3000 - 1024);
    CHECK_EQ_INT(out[0].a, 3000 - 1024);
    CHECK_EQ_INT(out[n - 1].a, 2999);
    ledger_close(l);
}

TEST(a_half_written_record_is_never_read)
{
    struct ledger *l = fresh(1024);
    REQUIRE(l);
    struct ledger_rec r = {0};
    r.kind = LR_INTENT;
    ledger_append(l, &r);
    ledger_append(l, &r);
    /* damage the second record as a writer killed mid-copy would */
    FILE *f = fopen(path, "r+b");
    REQUIRE(f);
    fseek(f, 64 + 2 * (long)sizeof r + 20, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    static struct ledger_rec out[8];
    uint64_t after = 0, lost = 0, torn = 0;
    /* while writers may live, the reader waits at the damaged record */
    CHECK_EQ_INT(ledger_read(l, &after, out, 8, &lost, &torn, false), 1);
    CHECK_EQ_INT(after, 1);
    /* once all are gone it skips it, and says so */
    CHECK_EQ_INT(ledger_read(l, &after, out, 8, &lost, &torn, true), 0);
    CHECK_EQ_INT(torn, 1);
    ledger_close(l);
}

TEST(writers_sigkilled_at_random_leave_a_readable_history)
{
    struct ledger *l = fresh(1 << 16);
    REQUIRE(l);
    for (int round = 0; round < 20; round++) {
        pid_t p = fork();
        if (p == 0) {
            for (uint64_t i = 0;; i++) {
                struct ledger_rec r = {0};
                r.kind = LR_RESULT;
                r.a = i;
                r.b = ~i;
                ledger_append(l, &r);
            }
        }
        usleep((useconds_t)(200 + rand() % 800));
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
    }
    static struct ledger_rec out[1 << 16];
    uint64_t after = 0, lost = 0, torn = 0;
    uint64_t next = ledger_next_seq(l);
    size_t n = ledger_read(l, &after, out, 1 << 16, &lost, &torn, true);
    CHECK(n > 0);
    CHECK_EQ_INT(n + lost + torn, next - 1);
    CHECK(torn <= 20); /* at most one per killed writer */
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += out[i].b != ~out[i].a || (i && out[i].seq <= out[i - 1].seq);
    CHECK_EQ_INT(bad, 0);
    ledger_close(l);
}

TEST(a_damaged_file_is_refused_with_a_reason)
{
    struct ledger *l = fresh(1024);
    REQUIRE(l);
    ledger_close(l);
    char why[200];
    l = ledger_open(path, why, sizeof why);
    CHECK(l != NULL);
    ledger_close(l);
    REQUIRE(truncate(path, 1000) == 0);
    l = ledger_open(path, why, sizeof why);
    CHECK(l == NULL);
    CHECK(strstr(why, "not a ternrig ledger") != NULL);
    l = ledger_open("/nonexistent/ledger", why, sizeof why);
    CHECK(l == NULL && strstr(why, "No such file") != NULL);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/ternrig-ledger-test-%d", (int)getpid());
    int rc = run_tests();
    unlink(path);
    return rc;
}
