/* test_flushlog.c - the flush log's one format: every kind of line the
 * filesystem writes, written with flushlog_write() and read back with
 * flushlog_parse_line() and the tail reader, field by field; the lines
 * byte for byte as ternrig fs wrote them before the writer existed (so old
 * readers and old logs keep working); and a half-written last line, which
 * the tail reader must leave whole for its next call.  No FUSE needed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "flushlog.h"
#include "util.h"

#define T_NS 1795984343373125086ULL

/* A create with the kernel's view (ctx bpf). */
static struct flog_event bpf_create(void)
{
    struct flog_event ev;
    flushlog_event_init(&ev, FLOG_CREATE);
    ev.t_ns = T_NS;
    ev.ino = 2;
    ev.parent = 1;
    snprintf(ev.name, sizeof ev.name, "a\"b\\c\001");
    snprintf(ev.policy, sizeof ev.policy, "kmod");
    snprintf(ev.ctx, sizeof ev.ctx, "bpf");
    ev.tid = 10;
    ev.tgid = 9;
    ev.known = true;
    ev.mm_alive = true;
    ev.other_mm_alive = false;
    ev.kernel_view = true;
    ev.unique = 18446744073709551615ULL;
    ev.task = 0xffff888100001000ULL;
    ev.leader = 0xffff888100002000ULL;
    ev.mm = 0xffff888200003000ULL;
    ev.leader_mm = 0xffff888200003000ULL;
    ev.start_ns = 123456789012345ULL;
    ev.live = 2;
    ev.exiting = false;
    ev.group_exit = true;
    snprintf(ev.comm, sizeof ev.comm, "bash");
    ev.err = 0;
    snprintf(ev.why, sizeof ev.why, "BPF files map full");
    return ev;
}

/* A flush with the file's record and owner->mm read (ctx bpf). */
static struct flog_event bpf_flush(void)
{
    struct flog_event ev = bpf_create();
    ev.op = FLOG_FLUSH;
    ev.owner_known = true;
    ev.owner = 0xffff888100002000ULL;
    ev.owner_mm = 0xffff888200003000ULL;
    ev.closes = 3;
    ev.owner_mm_now_read = true;
    ev.owner_mm_now = 0;
    ev.creator = 9;
    snprintf(ev.state, sizeof ev.state, "aborted");
    ev.size = 6;
    snprintf(ev.decision, sizeof ev.decision, "abort");
    ev.why[0] = 0;
    ev.writes = 1;
    ev.written = 6;
    return ev;
}

/* A flush whose requester /proc could not tell. */
static struct flog_event proc_flush_unknown(void)
{
    struct flog_event ev;
    flushlog_event_init(&ev, FLOG_FLUSH);
    ev.t_ns = T_NS + 1;
    ev.ino = 5;
    snprintf(ev.name, sizeof ev.name, "f");
    snprintf(ev.policy, sizeof ev.policy, "reference");
    snprintf(ev.ctx, sizeof ev.ctx, "proc");
    ev.known = false;
    snprintf(ev.comm, sizeof ev.comm, "?");
    ev.creator = 4;
    snprintf(ev.state, sizeof ev.state, "transient");
    ev.size = 0;
    snprintf(ev.decision, sizeof ev.decision, "ignore");
    snprintf(ev.why, sizeof ev.why, "pid 0: the flusher is outside our pid "
                                    "namespace");
    ev.writes = 0;
    ev.written = 0;
    return ev;
}

static struct flog_event refused(enum flog_op op, int err)
{
    struct flog_event ev;
    flushlog_event_init(&ev, op);
    ev.t_ns = 1000000000ULL * 7 + 5; /* 7.000000005 */
    ev.ino = 3;
    snprintf(ev.name, sizeof ev.name, "out");
    ev.tid = 21;
    ev.tgid = 20;
    snprintf(ev.comm, sizeof ev.comm, "cat");
    ev.off = 64;
    ev.len = op == FLOG_WRITE ? 728 : 0;
    ev.size = 64;
    snprintf(ev.state, sizeof ev.state, "sealed");
    ev.err = err;
    return ev;
}

static void check_same(const struct flog_event *w, const struct flog_event *r)
{
    CHECK_EQ_INT(r->op, w->op);
    CHECK_EQ_INT(r->tmpfile, w->tmpfile);
    CHECK(r->t_ns == w->t_ns);
    CHECK(r->t > (double)(w->t_ns / 1000000000ULL) - 1 &&
          r->t < (double)(w->t_ns / 1000000000ULL) + 1);
    CHECK_EQ_INT(r->ino, w->ino);
    CHECK_EQ_STR(r->name, w->name);
    CHECK_EQ_STR(r->comm, w->comm);
    CHECK_EQ_INT(r->tid, w->tid);
    CHECK_EQ_INT(r->tgid, w->tgid);
    CHECK_EQ_INT(r->err, w->err);
    CHECK_EQ_STR(r->state, w->state);
    CHECK_EQ_INT(r->size, w->size);
    if (w->op == FLOG_WRITE || w->op == FLOG_TRUNCATE) {
        CHECK_EQ_INT(r->off, w->off);
        CHECK_EQ_INT(r->len, w->len);
        return;
    }
    CHECK_EQ_STR(r->policy, w->policy);
    CHECK_EQ_STR(r->ctx, w->ctx);
    CHECK_EQ_INT(r->known, w->known);
    CHECK_EQ_INT(r->mm_alive, w->mm_alive);
    CHECK_EQ_INT(r->other_mm_alive, w->other_mm_alive);
    CHECK_EQ_INT(r->kernel_view, w->kernel_view);
    if (w->kernel_view) {
        CHECK(r->unique == w->unique);
        CHECK(r->task == w->task);
        CHECK(r->leader == w->leader);
        CHECK(r->mm == w->mm);
        CHECK(r->leader_mm == w->leader_mm);
        CHECK(r->start_ns == w->start_ns);
        CHECK_EQ_INT(r->live, w->live);
        CHECK_EQ_INT(r->exiting, w->exiting);
        CHECK_EQ_INT(r->group_exit, w->group_exit);
    }
    CHECK_EQ_STR(r->why, w->why);
    if (w->op == FLOG_CREATE) {
        CHECK_EQ_INT(r->parent, w->parent);
        return;
    }
    CHECK_EQ_INT(r->owner_known, w->owner_known);
    CHECK(r->owner == w->owner);
    CHECK(r->owner_mm == w->owner_mm);
    CHECK_EQ_INT(r->closes, w->closes);
    CHECK_EQ_INT(r->owner_mm_now_read, w->owner_mm_now_read);
    CHECK(r->owner_mm_now == w->owner_mm_now);
    CHECK_EQ_INT(r->creator, w->creator);
    CHECK_EQ_STR(r->decision, w->decision);
    CHECK_EQ_INT(r->writes, w->writes);
    CHECK_EQ_INT(r->written, w->written);
}

static void round_trip(const struct flog_event *w)
{
    char line[FLOG_LINE_MAX], why[64];
    int n = flushlog_format(w, line, sizeof line);
    REQUIRE(n > 0 && line[n - 1] == '\n' && (size_t)n == strlen(line));
    struct flog_event r;
    REQUIRE(flushlog_parse_line(line, &r, why, sizeof why) == 0);
    check_same(w, &r);
}

TEST(every_kind_of_line_reads_back_field_by_field)
{
    struct flog_event ev = bpf_create();
    round_trip(&ev);
    ev.err = EIO;
    ev.ino = 0;
    ev.kernel_view = false;
    ev.known = false;
    round_trip(&ev);
    ev = bpf_flush();
    round_trip(&ev);
    ev = proc_flush_unknown();
    round_trip(&ev);
    ev = refused(FLOG_WRITE, EINVAL);
    round_trip(&ev);
    ev = refused(FLOG_TRUNCATE, EPERM);
    round_trip(&ev);
    /* SPEC v2: an O_TMPFILE create, and a link granted and refused */
    ev = bpf_create();
    ev.tmpfile = true;
    snprintf(ev.name, sizeof ev.name, "/");
    round_trip(&ev);
    char line[FLOG_LINE_MAX];
    REQUIRE(flushlog_format(&ev, line, sizeof line) > 0);
    CHECK(strstr(line, "\"tmpfile\":true") != NULL);
    ev = bpf_create();
    ev.op = FLOG_LINK;
    snprintf(ev.state, sizeof ev.state, "sealed");
    round_trip(&ev);
    REQUIRE(flushlog_format(&ev, line, sizeof line) > 0);
    CHECK(strncmp(strstr(line, "\"op\":"), "\"op\":\"link\"", 11) == 0);
    ev.err = EPERM;
    snprintf(ev.state, sizeof ev.state, "transient");
    round_trip(&ev);
}

TEST(a_name_of_any_bytes_is_valid_utf8_and_reads_back)
{
    struct flog_event ev = bpf_create();
    /* bytes that are no UTF-8, a cut sequence, a surrogate, and an e-acute */
    snprintf(ev.name, sizeof ev.name, "n\xff\xfe\xc3(\xed\xa0\x80\xc3\xa9");
    char line[FLOG_LINE_MAX];
    int n = flushlog_format(&ev, line, sizeof line);
    REQUIRE(n > 0);
    for (int i = 0; i < n;) {
        size_t l = utf8_seq_len((const unsigned char *)line + i,
                                (size_t)(n - i));
        REQUIRE(l > 0);
        i += (int)l;
    }
    CHECK(strstr(line, "\"n\\u00ff\\u00fe\\u00c3(\\u00ed\\u00a0\\u0080\xc3\xa9\"") !=
          NULL);
    round_trip(&ev);
}

TEST(result_reads_as_a_number_or_a_name)
{
    char line[FLOG_LINE_MAX], why[64];
    struct flog_event w = bpf_create(), r;
    w.err = EIO;
    REQUIRE(flushlog_format(&w, line, sizeof line) > 0);
    CHECK(strstr(line, ",\"result\":-5,") != NULL); /* create: a number */
    REQUIRE(flushlog_parse_line(line, &r, why, sizeof why) == 0);
    CHECK_EQ_STR(r.result, "EIO");
    w = refused(FLOG_WRITE, EINVAL);
    REQUIRE(flushlog_format(&w, line, sizeof line) > 0);
    CHECK(strstr(line, ",\"result\":\"EINVAL\"}") != NULL); /* a name */
    REQUIRE(flushlog_parse_line(line, &r, why, sizeof why) == 0);
    CHECK_EQ_STR(r.result, "EINVAL");
    CHECK_EQ_INT(r.err, EINVAL);
}

/* The lines exactly as fs/ternfs_fs.c's fprintf calls wrote them, plus
 * the candidates' "exit_code" and "table_fds" (issue 17). */
TEST(lines_are_byte_for_byte_the_old_format)
{
    char line[FLOG_LINE_MAX];
    struct flog_event ev = bpf_create();
    REQUIRE(flushlog_format(&ev, line, sizeof line) > 0);
    CHECK_EQ_STR(line,
        "{\"t\":1795984343.373125086,\"op\":\"create\",\"ino\":2,"
        "\"name\":\"a\\\"b\\\\c\\u0001\",\"policy\":\"kmod\",\"ctx\":\"bpf\","
        "\"tid\":10,\"tgid\":9,\"known\":true,\"mm_alive\":true,"
        "\"other_mm_alive\":false,\"unique\":18446744073709551615,"
        "\"task\":\"0xffff888100001000\",\"leader\":\"0xffff888100002000\","
        "\"mm\":\"0xffff888200003000\",\"leader_mm\":\"0xffff888200003000\","
        "\"start_ns\":123456789012345,\"live\":2,\"exiting\":false,"
        "\"group_exit\":true,\"exit_code\":0,"
        "\"parent\":1,\"comm\":\"bash\",\"result\":0,"
        "\"why\":\"BPF files map full\"}\n");
    ev = bpf_flush();
    REQUIRE(flushlog_format(&ev, line, sizeof line) > 0);
    CHECK_EQ_STR(line,
        "{\"t\":1795984343.373125086,\"op\":\"flush\",\"ino\":2,"
        "\"name\":\"a\\\"b\\\\c\\u0001\",\"policy\":\"kmod\",\"ctx\":\"bpf\","
        "\"tid\":10,\"tgid\":9,\"known\":true,\"mm_alive\":true,"
        "\"other_mm_alive\":false,\"unique\":18446744073709551615,"
        "\"task\":\"0xffff888100001000\",\"leader\":\"0xffff888100002000\","
        "\"mm\":\"0xffff888200003000\",\"leader_mm\":\"0xffff888200003000\","
        "\"start_ns\":123456789012345,\"live\":2,\"exiting\":false,"
        "\"group_exit\":true,\"exit_code\":0,\"table_fds\":0,"
        "\"owner\":\"0xffff888100002000\","
        "\"owner_mm\":\"0xffff888200003000\",\"closes\":3,"
        "\"owner_mm_now\":\"0x0\",\"creator\":9,\"state\":\"aborted\","
        "\"size\":6,\"decision\":\"abort\",\"why\":\"\",\"comm\":\"bash\","
        "\"writes\":1,\"written\":6}\n");
    ev = proc_flush_unknown();
    REQUIRE(flushlog_format(&ev, line, sizeof line) > 0);
    CHECK_EQ_STR(line,
        "{\"t\":1795984343.373125087,\"op\":\"flush\",\"ino\":5,"
        "\"name\":\"f\",\"policy\":\"reference\",\"ctx\":\"proc\",\"tid\":0,"
        "\"tgid\":0,\"known\":false,\"mm_alive\":false,"
        "\"other_mm_alive\":false,\"creator\":4,\"state\":\"transient\","
        "\"size\":0,\"decision\":\"ignore\",\"why\":\"pid 0: the flusher is "
        "outside our pid namespace\",\"comm\":\"?\",\"writes\":0,"
        "\"written\":0}\n");
    ev = refused(FLOG_WRITE, EPERM);
    REQUIRE(flushlog_format(&ev, line, sizeof line) > 0);
    CHECK_EQ_STR(line,
        "{\"t\":7.000000005,\"op\":\"write\",\"ino\":3,\"name\":\"out\","
        "\"tid\":21,\"tgid\":20,\"comm\":\"cat\",\"off\":64,\"len\":728,"
        "\"size\":64,\"state\":\"sealed\",\"result\":\"EPERM\"}\n");
}

TEST(older_lines_default_missing_keys_and_skip_unknown_ones)
{
    /* flat objects only: a nested value is not a log line */
    struct flog_event r;
    char why[64];
    REQUIRE(flushlog_parse_line("{\"op\":\"flush\",\"ino\":3,\"x\":null,"
                                "\"y\":{}}",
                                &r, why, sizeof why) < 0); /* not flat */
    REQUIRE(flushlog_parse_line("{\"op\":\"flush\",\"ino\":3,\"x\":null,"
                                "\"path\":\"exit\",\"future\":[1]}",
                                &r, why, sizeof why) < 0);
    REQUIRE(flushlog_parse_line("{\"op\":\"flush\",\"ino\":3,\"x\":null,"
                                "\"path\":\"exit\",\"z\":1.5e3}",
                                &r, why, sizeof why) == 0);
    CHECK_EQ_INT(r.op, FLOG_FLUSH);
    CHECK_EQ_STR(r.path, "exit");
    CHECK_EQ_STR(r.comm, "?");
    CHECK(r.known);
    CHECK(!r.kernel_view && !r.owner_known && !r.owner_mm_now_read);
    CHECK_EQ_INT(r.size, -1);
    CHECK_EQ_INT(r.writes, -1);
    CHECK_EQ_INT(r.closes, -1);
    CHECK(r.t_ns == 0);
    REQUIRE(flushlog_parse_line("{\"op\":\"release\",\"t\":1.5}", &r, why,
                                sizeof why) == 0);
    CHECK_EQ_INT(r.op, FLOG_OTHER);
    CHECK(r.t_ns == 1500000000ULL);
}

/* Write `n` bytes of `s` to the log and flush them. */
static void put_raw(FILE *w, const char *s, size_t n)
{
    CHECK_EQ_INT(fwrite(s, 1, n, w), n);
    fflush(w);
}

TEST(tail_reader_never_consumes_a_line_being_written)
{
    char path[] = "/tmp/test_flushlog-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    FILE *w = fdopen(fd, "w");
    FILE *f = fopen(path, "r");
    REQUIRE(w && f);
    struct flog_event a = bpf_create(), b = bpf_flush(), ev;
    REQUIRE(flushlog_write(w, &a) == 0);
    char line[FLOG_LINE_MAX];
    int n = flushlog_format(&b, line, sizeof line);
    REQUIRE(n > 20);
    put_raw(w, line, 40); /* the flush line, torn after 40 bytes */

    struct flog_tail t;
    flushlog_tail_init(&t, f, 0);
    REQUIRE(flushlog_tail_next(&t, &ev) == 1);
    check_same(&a, &ev);
    long after_first = t.off;
    CHECK_EQ_INT(flushlog_tail_next(&t, &ev), 0); /* torn: not yet */
    CHECK_EQ_INT(t.off, after_first);
    CHECK_EQ_INT(t.bad, 0);
    CHECK_EQ_INT(flushlog_tail_next(&t, &ev), 0); /* asked again: same */
    CHECK_EQ_INT(t.off, after_first);

    put_raw(w, line + 40, (size_t)n - 41); /* all but its '\n' */
    CHECK_EQ_INT(flushlog_tail_next(&t, &ev), 0);
    CHECK_EQ_INT(t.off, after_first);
    put_raw(w, "\n", 1);
    REQUIRE(flushlog_tail_next(&t, &ev) == 1); /* whole now: the decision */
    check_same(&b, &ev);
    CHECK_EQ_STR(ev.decision, "abort");
    CHECK_EQ_INT(t.off, after_first + n);
    CHECK_EQ_INT(flushlog_tail_next(&t, &ev), 0); /* at the end */

    /* a complete line that is not the format is skipped and counted */
    put_raw(w, "garbage\n", 8);
    struct flog_event c = refused(FLOG_WRITE, EIO);
    REQUIRE(flushlog_write(w, &c) == 0);
    REQUIRE(flushlog_tail_next(&t, &ev) == 1);
    check_same(&c, &ev);
    CHECK_EQ_INT(t.bad, 1);
    flushlog_tail_done(&t);

    /* a new reader from a saved offset (as real replay reads per step) */
    flushlog_tail_init(&t, f, after_first);
    REQUIRE(flushlog_tail_next(&t, &ev) == 1);
    check_same(&b, &ev);
    flushlog_tail_done(&t);

    /* the whole-file reader agrees, and the size is where the next
     * command's events start */
    struct flog lg = {0};
    unsigned bad = 0;
    char why[128];
    REQUIRE(flushlog_read(path, 0, &lg, &bad, why, sizeof why) == 0);
    CHECK_EQ_INT(lg.n, 3);
    CHECK_EQ_INT(bad, 1);
    if (lg.n == 3) {
        check_same(&a, &lg.ev[0]);
        check_same(&b, &lg.ev[1]);
        check_same(&c, &lg.ev[2]);
    }
    CHECK(flushlog_end(path) > after_first + n);
    flushlog_free(&lg);
    fclose(f);
    fclose(w);
    unlink(path);
}

TEST(a_line_that_does_not_fit_is_not_written)
{
    struct flog_event ev = bpf_create();
    char small[64];
    CHECK_EQ_INT(flushlog_format(&ev, small, sizeof small), -1);
    /* cut at every byte, escapes included: never a line, until it fits */
    char whole[FLOG_LINE_MAX], cut[FLOG_LINE_MAX];
    int need = flushlog_format(&ev, whole, sizeof whole);
    REQUIRE(need > 0);
    for (int cap = 0; cap <= need; cap++)
        CHECK_EQ_INT(flushlog_format(&ev, cut, (size_t)cap), -1);
    CHECK_EQ_INT(flushlog_format(&ev, cut, (size_t)need + 1), need);
    CHECK_EQ_STR(cut, whole);
    /* the longest line (names and notes of control bytes) fits */
    memset(ev.name, 1, sizeof ev.name - 1);
    ev.name[sizeof ev.name - 1] = 0;
    memset(ev.why, 1, sizeof ev.why - 1);
    ev.why[sizeof ev.why - 1] = 0;
    memset(ev.comm, 1, sizeof ev.comm - 1);
    ev.comm[sizeof ev.comm - 1] = 0;
    char line[FLOG_LINE_MAX];
    CHECK(flushlog_format(&ev, line, sizeof line) > 0);
}

int main(void)
{
    return run_tests();
}
