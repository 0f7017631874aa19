/* test_fate.c - `ternrig watch`'s and `ternrig clients`' pure parts: the
 * flush-log reader, the per-file verdicts and their explanations, the
 * client script header and the matrix cells.  The logs here are the lines
 * ternrig fs writes (fs/ternfs_fs.c) for the real programs in
 * corpus/clients, as measured; tests/watch.sh checks them for real. */
#include "check.h"
#include "clients.h"
#include "fate.h"
#include "flushlog.h"

/* ---- the log reader ---- */

TEST(parse_flush_line)
{
    struct flog_event e;
    char why[64];
    REQUIRE(flushlog_parse_line(
                "{\"t\":1795984343.373125086,\"op\":\"flush\",\"ino\":2,"
                "\"name\":\"a\\\"b\\\\c\\u0001\",\"policy\":\"reference\","
                "\"tid\":9553,\"tgid\":9552,\"known\":true,\"mm_alive\":false,"
                "\"other_mm_alive\":false,\"creator\":9552,\"state\":"
                "\"aborted\",\"decision\":\"abort\",\"why\":\"\",\"comm\":"
                "\"bash\",\"size\":6,\"writes\":1}\n",
                &e, why, sizeof why) == 0);
    CHECK_EQ_INT(e.op, FLOG_FLUSH);
    CHECK_EQ_INT(e.ino, 2);
    CHECK_EQ_STR(e.name, "a\"b\\c\001");
    CHECK_EQ_INT(e.tid, 9553);
    CHECK_EQ_INT(e.tgid, 9552);
    CHECK_EQ_INT(e.creator, 9552);
    CHECK(e.known);
    CHECK(!e.mm_alive);
    CHECK_EQ_STR(e.decision, "abort");
    CHECK_EQ_STR(e.state, "aborted");
    CHECK_EQ_STR(e.comm, "bash");
    CHECK_EQ_INT(e.size, 6);
    CHECK_EQ_INT(e.writes, 1);
    CHECK(e.t > 1795984343.37 && e.t < 1795984343.38);
}

TEST(parse_defaults_and_other_lines)
{
    struct flog_event e;
    char why[64];
    /* an older flush line: no comm, size or writes */
    REQUIRE(flushlog_parse_line("{\"op\":\"flush\",\"ino\":3,\"x\":null}", &e,
                                why, sizeof why) == 0);
    CHECK_EQ_STR(e.comm, "?");
    CHECK_EQ_INT(e.size, -1);
    CHECK_EQ_INT(e.writes, -1);
    REQUIRE(flushlog_parse_line(
                "{\"op\":\"write\",\"ino\":3,\"off\":64,\"len\":728,"
                "\"result\":\"EINVAL\",\"state\":\"transient\"}",
                &e, why, sizeof why) == 0);
    CHECK_EQ_INT(e.op, FLOG_WRITE);
    CHECK_EQ_INT(e.off, 64);
    CHECK_EQ_INT(e.len, 728);
    REQUIRE(flushlog_parse_line("{\"op\":\"release\"}", &e, why,
                                sizeof why) == 0);
    CHECK_EQ_INT(e.op, FLOG_OTHER);
}

TEST(parse_rejects_malformed_lines)
{
    struct flog_event e;
    char why[64];
    CHECK(flushlog_parse_line("", &e, why, sizeof why) < 0);
    CHECK_EQ_STR(why, "not a JSON object");
    CHECK(flushlog_parse_line("{\"ino\":2}", &e, why, sizeof why) < 0);
    CHECK_EQ_STR(why, "no \"op\"");
    CHECK(flushlog_parse_line("{\"op\":\"flush\"", &e, why, sizeof why) < 0);
    CHECK(flushlog_parse_line("{\"op\":\"flush\"} x", &e, why, sizeof why) <
          0);
    CHECK_EQ_STR(why, "text after the object");
    CHECK(flushlog_parse_line("{\"op\" \"flush\"}", &e, why, sizeof why) < 0);
    CHECK(flushlog_parse_line("{\"op\":\"fl", &e, why, sizeof why) < 0);
    CHECK(flushlog_parse_line("{\"op\":\"\\q\"}", &e, why, sizeof why) < 0);
    CHECK(flushlog_parse_line("{\"ino\":x}", &e, why, sizeof why) < 0);
    CHECK(flushlog_parse_line("{\"op\":\"\\u12\"}", &e, why, sizeof why) < 0);
}

/* ---- verdicts ---- */

static struct flog lg;
static struct flog_event evs[32];

static void load(const char *const *lines)
{
    char why[64];
    lg.ev = evs;
    lg.n = 0;
    lg.cap = 32;
    for (; *lines; lines++)
        if (flushlog_parse_line(*lines, &evs[lg.n], why, sizeof why) == 0)
            lg.n++;
        else
            fprintf(stderr, "bad test line: %s: %s\n", *lines, why);
}

#define CREATE(ino, pid, comm)                                                 \
    "{\"t\":1,\"op\":\"create\",\"ino\":" #ino ",\"parent\":1,\"name\":"       \
    "\"out\",\"tid\":" #pid ",\"tgid\":" #pid ",\"comm\":\"" comm              \
    "\",\"result\":\"ok\"}"
#define FLUSH(ino, tid, tgid, comm, mm, dec, size, writes)                     \
    "{\"t\":2,\"op\":\"flush\",\"ino\":" #ino ",\"name\":\"out\",\"tid\":" #tid \
    ",\"tgid\":" #tgid ",\"known\":true,\"mm_alive\":" #mm                     \
    ",\"decision\":\"" dec "\",\"comm\":\"" comm "\",\"size\":" #size          \
    ",\"writes\":" #writes "}"
#define REFUSED(ino, pid, comm, off, len, res, state)                          \
    "{\"t\":3,\"op\":\"write\",\"ino\":" #ino ",\"tid\":" #pid ",\"tgid\":" #pid \
    ",\"comm\":\"" comm "\",\"off\":" #off ",\"len\":" #len ",\"result\":\""    \
    res "\",\"state\":\"" state "\"}"

static struct fates fs;

/* Build the fates of `lines`; the one file's explanation in `expl`. */
static const struct fate *one(const char *const *lines, char *expl,
                              size_t cap)
{
    load(lines);
    fates_free(&fs);
    if (fates_build(&lg, &fs) < 0 || fs.n != 1)
        return NULL;
    fate_explain(&fs.f[0], &lg, false, expl, cap);
    return &fs.f[0];
}

TEST(shell_redirect_sealed_empty)
{
    /* bash: open (fd 3), dup2 onto 1, close(3), write: refused */
    const char *lines[] = {CREATE(2, 100, "bash"),
                           FLUSH(2, 100, 100, "bash", true, "seal", 0, 0),
                           REFUSED(2, 100, "bash", 0, 6, "EPERM", "sealed"),
                           NULL};
    char expl[1024];
    const struct fate *f = one(lines, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_EMPTY);
    CHECK(fate_is_loss(f));
    CHECK_EQ_INT(f->refused_sealed, 1);
    CHECK_EQ_STR(expl,
                 "empty: sealed with 0 bytes (0 writes) at a close by its "
                 "creator (bash), though it still had the file open on a "
                 "second fd (open, dup2 onto another fd, close: that close "
                 "seals); 1 later write (6 bytes) was refused");
}

TEST(writer_is_another_process)
{
    /* dash redirects in the shell, then cat (another process) writes */
    const char *lines[] = {CREATE(2, 100, "dash"),
                           FLUSH(2, 100, 100, "dash", true, "seal", 0, 0),
                           REFUSED(2, 101, "cat", 0, 8, "EPERM", "sealed"),
                           NULL};
    char expl[1024];
    const struct fate *f = one(lines, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_EMPTY);
    CHECK(strstr(expl, "1 later write (8 bytes, by another process, cat) "
                       "was refused"));
    CHECK(!strstr(expl, "second fd"));
}

TEST(subprocess_flush_ignored_then_sealed)
{
    const char *lines[] = {CREATE(5, 200, "python3"),
                           FLUSH(5, 201, 201, "python3", true, "ignore", 7, 1),
                           FLUSH(5, 200, 200, "python3", true, "seal", 13, 2),
                           NULL};
    char expl[1024];
    const struct fate *f = one(lines, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_SEALED);
    CHECK(!fate_is_loss(f));
    CHECK_EQ_INT(f->size, 13);
    CHECK_EQ_INT(f->writes, 2);
    CHECK_EQ_STR(expl, "sealed: sealed with 13 bytes (2 writes) at a close "
                       "by its creator (python3); 1 earlier flush from other "
                       "processes ignored");
}

TEST(sealed_by_another_process_truncated)
{
    /* fuse-naive: a forked child's exit flush seals */
    const char *lines[] = {CREATE(5, 200, "forker"),
                           FLUSH(5, 201, 201, "forker", false, "seal", 7, 1),
                           REFUSED(5, 200, "forker", 7, 6, "EPERM", "sealed"),
                           NULL};
    char expl[1024];
    const struct fate *f = one(lines, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_TRUNCATED);
    CHECK(fate_is_loss(f));
    CHECK_EQ_STR(expl, "truncated: sealed with 7 bytes (1 write) by a flush "
                       "from another process (forker), exiting (mm gone), "
                       "while its creator was still writing; 1 later write "
                       "(6 bytes) was refused");
    char who[200];
    fate_describe_flusher(f, &lg.ev[1], true, who, sizeof who);
    CHECK_EQ_STR(who, "another process (forker[201]), exiting (mm gone)");
}

TEST(creator_exits_without_close)
{
    const char *ref[] = {CREATE(7, 300, "noclose"),
                         FLUSH(7, 300, 300, "noclose", false, "abort", 22, 1),
                         NULL};
    char expl[1024];
    const struct fate *f = one(ref, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_ABORTED);
    CHECK(fate_is_loss(f));
    CHECK_EQ_STR(expl, "aborted: never visible: its creator (noclose) exited "
                       "without closing it, and the flush at its exit (mm "
                       "gone) aborts; 22 bytes lost");
    /* the filesystem drops an aborted file's data: size 0, "written" 22 */
    const char *dropped[] = {
        CREATE(7, 300, "noclose"),
        "{\"op\":\"flush\",\"ino\":7,\"tid\":300,\"tgid\":300,\"mm_alive\":"
        "false,\"decision\":\"abort\",\"comm\":\"noclose\",\"size\":0,"
        "\"writes\":1,\"written\":22}",
        NULL};
    f = one(dropped, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_ABORTED);
    CHECK(strstr(expl, "aborts; 22 bytes lost"));
    /* fuse-naive: the same flush seals */
    const char *naive[] = {CREATE(7, 300, "noclose"),
                           FLUSH(7, 300, 300, "noclose", false, "seal", 22, 1),
                           NULL};
    f = one(naive, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_SEALED);
    CHECK(strstr(expl, "by the flush at its creator's exit"));
}

TEST(never_sealed_is_lost)
{
    const char *ignored[] = {CREATE(9, 400, "a"),
                             FLUSH(9, 401, 401, "b", true, "ignore", 5, 1),
                             NULL};
    char expl[1024];
    const struct fate *f = one(ignored, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_LOST);
    CHECK(fate_is_loss(f));
    CHECK_EQ_STR(expl, "lost: never sealed, so never visible: its 1 flush "
                       "was ignored (the last from another process (b)); "
                       "5 bytes lost");
    const char *none[] = {CREATE(9, 400, "a"), NULL};
    f = one(none, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_LOST);
    CHECK(strstr(expl, "no flush reached it"));
}

/* SPEC v2's O_TMPFILE: the create names nothing ("/" is the kernel's), the
 * link names and seals it; a refused link leaves it unnamed. */
#define TMPFILE(ino, pid, comm)                                                \
    "{\"t\":1,\"op\":\"create\",\"ino\":" #ino ",\"parent\":1,\"name\":"     \
    "\"/\",\"tid\":" #pid ",\"tgid\":" #pid ",\"comm\":\"" comm             \
    "\",\"result\":0,\"tmpfile\":true}"
#define LINK(ino, pid, comm, res, state, size)                                 \
    "{\"t\":2,\"op\":\"link\",\"ino\":" #ino ",\"name\":\"pub\","          \
    "\"tid\":" #pid ",\"tgid\":" #pid ",\"known\":true,\"mm_alive\":true,"  \
    "\"parent\":1,\"comm\":\"" comm "\",\"result\":" #res                   \
    ",\"state\":\"" state "\",\"size\":" #size ",\"writes\":1}"

TEST(tmpfile_sealed_by_its_link_or_left_unnamed)
{
    const char *linked[] = {TMPFILE(12, 700, "pub"),
                            LINK(12, 700, "pub", 0, "sealed", 9), NULL};
    char expl[1024];
    const struct fate *f = one(linked, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_SEALED);
    CHECK(f->tmpfile);
    CHECK_EQ_STR(f->name, "pub"); /* the link's name, not the kernel's "/" */
    CHECK_EQ_STR(expl, "sealed: sealed with 9 bytes (1 write) when its "
                       "creator (pub) linked it (O_TMPFILE, then linkat)");
    const char *refused[] = {TMPFILE(12, 700, "pub"),
                             LINK(12, 701, "helper", -1, "transient", 9),
                             NULL};
    f = one(refused, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_LOST);
    CHECK_EQ_STR(f->name, "");
    CHECK(strstr(expl, "an O_TMPFILE file: only a link makes it visible; 1 "
                       "link was refused with EPERM") != NULL);
}

TEST(append_only_refusal)
{
    /* ld: a write at offset 64 of an empty file, then close */
    const char *lines[] = {CREATE(4, 500, "ld"),
                           REFUSED(4, 500, "ld", 64, 728, "EINVAL",
                                   "transient"),
                           FLUSH(4, 500, 500, "ld", true, "seal", 0, 0), NULL};
    char expl[1024];
    const struct fate *f = one(lines, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_EMPTY);
    CHECK_EQ_INT(f->refused_append, 1);
    CHECK(strstr(expl, "1 write refused because not at the end of the file "
                       "(first at offset 64): files are append-only"));
}

TEST(refused_create_and_excerpt)
{
    const char *lines[] = {
        /* a file created before this excerpt: its flush is left out */
        FLUSH(3, 600, 600, "x", true, "seal", 1, 1),
        "{\"op\":\"create\",\"ino\":0,\"parent\":1,\"name\":\"k\",\"tid\":7,"
        "\"tgid\":7,\"comm\":\"nfsd\",\"result\":\"EIO\"}",
        NULL};
    char expl[1024];
    const struct fate *f = one(lines, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_CREATE_FAILED);
    CHECK(!fate_is_loss(f));
    CHECK_EQ_STR(expl, "create-failed: the filesystem refused to create it "
                       "for nfsd (EIO)");
}

TEST(two_files_in_create_order)
{
    const char *lines[] = {CREATE(2, 100, "tar"), CREATE(3, 100, "tar"),
                           FLUSH(3, 100, 100, "tar", true, "seal", 5, 1),
                           FLUSH(2, 100, 100, "tar", true, "seal", 6, 1),
                           NULL};
    load(lines);
    fates_free(&fs);
    REQUIRE(fates_build(&lg, &fs) == 0);
    REQUIRE(fs.n == 2);
    CHECK_EQ_INT(fs.f[0].ino, 2);
    CHECK_EQ_INT(fs.f[0].size, 6);
    CHECK_EQ_INT(fs.f[1].ino, 3);
    CHECK_EQ_INT(fs.f[1].size, 5);
    CHECK_EQ_INT(fs.f[0].nevents, 2);
    fates_free(&fs);
}

TEST(reused_inode_numbers)
{
    /* the fs reuses a forgotten file's number: events go to the newest */
    const char *lines[] = {CREATE(2, 100, "a"),
                           FLUSH(2, 100, 100, "a", true, "seal", 1, 1),
                           CREATE(2, 101, "b"),
                           FLUSH(2, 101, 101, "b", false, "abort", 0, 1),
                           CREATE(40000000, 102, "c"),
                           FLUSH(40000000, 102, 102, "c", true, "seal", 3, 1),
                           NULL};
    load(lines);
    fates_free(&fs);
    REQUIRE(fates_build(&lg, &fs) == 0);
    REQUIRE(fs.n == 3);
    CHECK_EQ_INT(fs.f[0].verdict, FATE_SEALED);
    CHECK_EQ_INT(fs.f[0].nevents, 2);
    CHECK_EQ_STR(fs.f[1].creator_comm, "b");
    CHECK_EQ_INT(fs.f[1].verdict, FATE_ABORTED);
    CHECK_EQ_INT(fs.f[1].nevents, 2);
    CHECK_EQ_INT(fs.f[2].verdict, FATE_SEALED); /* a number past the map */
    CHECK_EQ_INT(fs.f[2].size, 3);
    fates_free(&fs);
}

TEST(bpf_context_log_lines)
{
    /* the BPF context source logs creates with a numeric result and no
     * comm; the same create may also come with ours */
    const char *lines[] = {
        "{\"t\":1,\"op\":\"create\",\"ino\":2,\"name\":\"a0\",\"ctx\":\"bpf\","
        "\"tid\":9,\"tgid\":9,\"known\":true,\"task\":\"0xffff8881\","
        "\"result\":0,\"why\":\"\"}",
        "{\"t\":1,\"op\":\"create\",\"ino\":2,\"parent\":1,\"name\":\"a0\","
        "\"tid\":9,\"tgid\":9,\"comm\":\"bash\",\"result\":\"ok\"}",
        "{\"t\":2,\"op\":\"flush\",\"ino\":2,\"name\":\"a0\",\"tid\":9,"
        "\"tgid\":9,\"mm_alive\":false,\"exiting\":true,\"group_exit\":true,"
        "\"decision\":\"abort\",\"size\":0}",
        "{\"t\":3,\"op\":\"create\",\"ino\":0,\"name\":\"k\",\"tid\":7,"
        "\"tgid\":7,\"result\":-5}",
        NULL};
    load(lines);
    fates_free(&fs);
    REQUIRE(fates_build(&lg, &fs) == 0);
    REQUIRE(fs.n == 2);
    CHECK_EQ_INT(fs.f[0].verdict, FATE_ABORTED);
    CHECK_EQ_STR(fs.f[0].creator_comm, "bash");
    CHECK_EQ_INT(fs.f[0].nevents, 2);
    char who[200];
    fate_describe_flusher(&fs.f[0], &lg.ev[2], false, who, sizeof who);
    CHECK_EQ_STR(who, "its creator (bash), exiting (mm gone), in its "
                      "process's exit");
    CHECK_EQ_INT(fs.f[1].verdict, FATE_CREATE_FAILED);
    CHECK_EQ_STR(lg.ev[3].result, "EIO");
    fates_free(&fs);
}

/* kill-order-thread-with-private-table-first under kmod-2024, as the BPF
 * context logs it: the thread with the second fd table flushes at the
 * group's exit while the leader still has its mm, and the file is sealed;
 * in the other order the leader's mm is gone and it is aborted.  The
 * explanation names the schedule the kernel took. */
TEST(schedule_of_a_group_exit_is_told)
{
    const char *thread_first[] = {
        "{\"t\":1,\"op\":\"create\",\"ino\":2,\"parent\":1,\"name\":\"f\","
        "\"tid\":9,\"tgid\":9,\"comm\":\"prog\",\"result\":\"ok\"}",
        "{\"t\":2,\"op\":\"flush\",\"ino\":2,\"name\":\"f\",\"tid\":10,"
        "\"tgid\":9,\"known\":true,\"mm_alive\":false,\"task\":\"0x2\","
        "\"leader\":\"0x1\",\"mm\":\"0x0\",\"leader_mm\":\"0x5\","
        "\"exiting\":true,\"group_exit\":true,\"decision\":\"seal\","
        "\"state\":\"sealed\",\"size\":10}",
        NULL};
    char expl[600];
    const struct fate *f = one(thread_first, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_SEALED);
    CHECK(strstr(expl, "schedule: the thread with the second fd table "
                       "exited before the leader, which still had its mm"));
    const char *leader_first[] = {
        thread_first[0],
        "{\"t\":2,\"op\":\"flush\",\"ino\":2,\"name\":\"f\",\"tid\":10,"
        "\"tgid\":9,\"known\":true,\"mm_alive\":false,\"task\":\"0x2\","
        "\"leader\":\"0x1\",\"mm\":\"0x0\",\"leader_mm\":\"0x0\","
        "\"exiting\":true,\"group_exit\":true,\"decision\":\"abort\","
        "\"state\":\"aborted\",\"size\":10}",
        NULL};
    f = one(leader_first, expl, sizeof expl);
    REQUIRE(f);
    CHECK_EQ_INT(f->verdict, FATE_ABORTED);
    CHECK(strstr(expl, "exited after the leader, whose mm was gone"));
    /* the leader's own teardown flush: no schedule to tell */
    const char *leader_only[] = {
        thread_first[0],
        "{\"t\":2,\"op\":\"flush\",\"ino\":2,\"name\":\"f\",\"tid\":9,"
        "\"tgid\":9,\"known\":true,\"mm_alive\":false,\"task\":\"0x1\","
        "\"leader\":\"0x1\",\"mm\":\"0x0\",\"leader_mm\":\"0x0\","
        "\"exiting\":true,\"group_exit\":true,\"decision\":\"abort\","
        "\"state\":\"aborted\",\"size\":10}",
        NULL};
    f = one(leader_only, expl, sizeof expl);
    REQUIRE(f);
    CHECK(!strstr(expl, "schedule"));
}

/* reuses-old-leader-slot-kmod-early-seal under kmod, as the BPF context
 * logs it: a process made after the creator's leader was released got its
 * task_struct, and its flush, the owner pointer matching, seals the file.
 * The explanation says the schedule (the reuse) decided. */
TEST(schedule_of_a_task_struct_reuse_is_told)
{
    const char *reused[] = {
        "{\"t\":1,\"op\":\"create\",\"ino\":2,\"parent\":1,\"name\":\"f\","
        "\"tid\":9,\"tgid\":9,\"comm\":\"prog\",\"result\":\"ok\"}",
        "{\"t\":2,\"op\":\"flush\",\"ino\":2,\"name\":\"f\",\"tid\":20,"
        "\"tgid\":20,\"known\":true,\"mm_alive\":true,\"task\":\"0x1\","
        "\"leader\":\"0x1\",\"mm\":\"0x7\",\"leader_mm\":\"0x7\","
        "\"owner\":\"0x1\",\"owner_mm\":\"0x5\",\"decision\":\"seal\","
        "\"state\":\"sealed\",\"size\":10}",
        NULL};
    char expl[600];
    const struct fate *f = one(reused, expl, sizeof expl);
    REQUIRE(f);
    CHECK(strstr(expl, "by a flush from"));
    CHECK(strstr(expl, "schedule: its group leader got the freed "
                       "task_struct of the creator's leader"));
    /* another process whose leader is not the owner: no reuse to tell */
    const char *other[] = {
        reused[0],
        "{\"t\":2,\"op\":\"flush\",\"ino\":2,\"name\":\"f\",\"tid\":20,"
        "\"tgid\":20,\"known\":true,\"mm_alive\":true,\"task\":\"0x3\","
        "\"leader\":\"0x3\",\"mm\":\"0x7\",\"leader_mm\":\"0x7\","
        "\"owner\":\"0x1\",\"owner_mm\":\"0x5\",\"decision\":\"seal\","
        "\"state\":\"sealed\",\"size\":10}",
        NULL};
    f = one(other, expl, sizeof expl);
    REQUIRE(f);
    CHECK(!strstr(expl, "schedule"));
}

/* ---- client scripts and cells ---- */

TEST(client_header)
{
    struct client c;
    char why[256];
    const char *text = "#!/bin/sh\n"
                       "# what: a test client\n"
                       "# expect out \"a\\tb\\n\\x41\\\\\"\n"
                       "# expect sub/prog control\n"
                       "# predict empty\n"
                       "# predict[fuse-naive,kmod] exact\n"
                       "echo hi > out\n";
    REQUIRE(client_parse("/x/my-client.sh", text, &c, why, sizeof why) == 0);
    CHECK_EQ_STR(c.name, "my-client");
    CHECK_EQ_STR(c.what, "a test client");
    REQUIRE(c.nexpect == 2);
    CHECK_EQ_STR(c.expect[0].path, "out");
    CHECK_EQ_INT(c.expect[0].len, 6);
    CHECK(!memcmp(c.expect[0].bytes, "a\tb\nA\\", 6));
    CHECK(c.expect[1].control);
    CHECK(c.expect[1].bytes == NULL);
    CHECK_EQ_INT(c.predict[POLICY_REFERENCE], CELL_EMPTY);
    CHECK_EQ_INT(c.predict[POLICY_FUSE_NAIVE], CELL_EXACT);
    CHECK_EQ_INT(c.predict[POLICY_KMOD], CELL_EXACT);
    CHECK_EQ_INT(c.predict[POLICY_FUSE_CLOSETRACKER], CELL_EMPTY);
    CHECK(c.predicted[POLICY_KMOD_2024]);
    client_free(&c);
}

static void bad_header(const char *text, const char *want)
{
    struct client c;
    char why[256];
    CHECK(client_parse("t.sh", text, &c, why, sizeof why) < 0);
    if (!strstr(why, want))
        fprintf(stderr, "  got: %s\n  want: %s\n", why, want);
    CHECK(strstr(why, want) != NULL);
}

TEST(client_header_errors)
{
    bad_header("# what: x\n", "t.sh:0: no '# expect PATH ...' line");
    bad_header("# expect out \"x\"\n", "no '# what: ...' line");
    bad_header("# what: x\n# expect out \"x\n", "t.sh:2: expect: bad quoted");
    bad_header("# what: x\n# expect out \"\\q\"\n", "t.sh:2: expect: bad quoted");
    bad_header("# what: x\n# expect out x\n", "t.sh:2: expect: give");
    bad_header("# what: x\n# expect ../out \"x\"\n", "must stay in the directory");
    bad_header("# what: x\n# expect /etc/out \"x\"\n", "must stay in the directory");
    bad_header("# what: x\n# expect out \"x\" y\n", "text after the content");
    bad_header("# what: x\n# expect out \"x\"\n# predict fine\n",
               "t.sh:3: predict: not exact/empty/truncated/lost/error: 'fine'");
    bad_header("# what: x\n# expect out \"x\"\n# predict[kmod3] exact\n",
               "t.sh:3: predict[...]: unknown policy");
    struct client c;
    char why[128];
    CHECK(client_parse("dir/notashell.py", "# what: x\n# expect o \"\"\n", &c,
                       why, sizeof why) < 0);
}

TEST(cells)
{
    CHECK_EQ_INT(classify_content("abc", 3, "abc", 3), CELL_EXACT);
    CHECK_EQ_INT(classify_content("abc", 3, "", 0), CELL_EMPTY);
    CHECK_EQ_INT(classify_content("abc", 3, "ab", 2), CELL_TRUNCATED);
    CHECK_EQ_INT(classify_content("abc", 3, "abd", 3), CELL_ERROR);
    CHECK_EQ_INT(classify_content("abc", 3, "abcd", 4), CELL_ERROR);
    CHECK_EQ_INT(classify_content("abc", 3, "xb", 2), CELL_ERROR);
    CHECK_EQ_INT(classify_content("", 0, "", 0), CELL_EXACT);
    CHECK_EQ_INT(cell_worse(CELL_EXACT, CELL_TRUNCATED), CELL_TRUNCATED);
    CHECK_EQ_INT(cell_worse(CELL_EMPTY, CELL_TRUNCATED), CELL_EMPTY);
    CHECK_EQ_INT(cell_worse(CELL_LOST, CELL_EMPTY), CELL_LOST);
    CHECK_EQ_INT(cell_worse(CELL_LOST, CELL_ERROR), CELL_ERROR);
    enum cell c;
    CHECK(cell_from_name("truncated", &c) && c == CELL_TRUNCATED);
    CHECK(!cell_from_name("sealed", &c));
}

int main(void)
{
    int rc = run_tests();
    fates_free(&fs);
    return rc;
}
