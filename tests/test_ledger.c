/* test_ledger.c - the stress ledger: records come back whole and in order,
 * a ring that wraps says how many it lost, a writer SIGKILLed mid-record
 * leaves nothing half-read, and a damaged file is refused with a reason. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
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

/* A writer appends `first` records, says so on `ready`, then appends until
 * it is killed.  It dies with the test (PR_SET_PDEATHSIG). */
static _Noreturn void writer(struct ledger *l, uint64_t first, int ready, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    for (uint64_t i = 0;; i++) {
        if (i == first && write(ready, "x", 1) != 1)
            _exit(1);
        struct ledger_rec r = {0};
        r.kind = LR_RESULT;
        r.a = i;
        r.b = ~i;
        ledger_append(l, &r);
    }
}

static uint64_t now_ms(void)
{
    return ledger_now_ns() / 1000000;
}

/* Run one writer and SIGKILL it somewhere past its first `first` records:
 * after it has said it wrote them and the ledger then grew by `extra` more
 * (or 2 s passed).  Waits on the writer's progress, never on a clock, so a
 * loaded machine changes only where the kill lands.  False if the writer
 * never got that far (10 s); it is killed and reaped in every case. */
static bool kill_one_writer(struct ledger *l, uint64_t first, uint64_t extra)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return false;
    pid_t parent = getpid();
    pid_t p = fork();
    if (p == 0) {
        close(fds[0]);
        writer(l, first, fds[1], parent);
    }
    close(fds[1]);
    bool ok = false;
    if (p > 0) {
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        char c;
        ok = poll(&pfd, 1, 10000) == 1 && read(fds[0], &c, 1) == 1;
        uint64_t mark = ledger_next_seq(l), until = now_ms() + 2000;
        while (ok && ledger_next_seq(l) < mark + extra && now_ms() < until)
            sched_yield();
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
    }
    close(fds[0]);
    return ok;
}

TEST(writers_sigkilled_at_random_leave_a_readable_history)
{
    struct ledger *l = fresh(1 << 16);
    REQUIRE(l);
    uint64_t written = 0;
    bool all_ready = true;
    for (int round = 0; round < 20; round++) {
        uint64_t first = 1 + (uint64_t)(rand() % 64);
        uint64_t extra = (uint64_t)(rand() % 4096);
        all_ready &= kill_one_writer(l, first, extra);
        written += first;
    }
    CHECK(all_ready);
    static struct ledger_rec out[1 << 16];
    uint64_t after = 0, lost = 0, torn = 0;
    uint64_t next = ledger_next_seq(l);
    size_t n = ledger_read(l, &after, out, 1 << 16, &lost, &torn, true);
    CHECK(next - 1 >= written); /* each writer wrote its first records */
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
