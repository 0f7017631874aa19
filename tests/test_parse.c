/* test_parse.c - the trace language of SPEC §3: the text parser.
 *
 * Errors: every syntax error is reported with the source line of the bad
 * statement and a message naming the problem.  Accepted forms: the fields
 * the parser fills for each statement.  Round trips: test_roundtrip.c.
 */
#include "parse_fixture.h"

/* ------------------------------------------------------- parser errors */

TEST(unknown_statement)
{
    CHECK(bad_line("frobnicate", "unknown statement 'frobnicate'"));
    CHECK(bad_line("a frobnicate f", "unknown statement 'a frobnicate'"));
    CHECK(bad_line("a", "unknown statement 'a'"));
    /* statements that do not take a task before them */
    CHECK(bad_line("a spawn b", "unknown statement 'a spawn'"));
    CHECK(bad_line("a kthread b", "unknown statement 'a kthread'"));
    CHECK(bad_line("a kill b", "unknown statement 'a kill'"));
    CHECK(bad_line("a expect clean", "unknown statement 'a expect'"));
    /* op names are exact words */
    CHECK(bad_line("a Close f", "unknown statement"));
    CHECK(bad_line("a closef", "unknown statement"));
    CHECK(bad_line("Spawn b", "unknown statement"));
    /* the first line, the last line without a newline */
    CHECK(err_is("bogus\nspawn a\n", 1, "unknown statement 'bogus'"));
    CHECK(err_is("spawn a\n\n\nbogus", 4, "unknown statement 'bogus'"));
}

TEST(arity_create)
{
    const char *m = "wrong number of arguments to 'create'";
    CHECK(bad_line("a create", m));
    CHECK(bad_line("a create g as", m));
    CHECK(bad_line("a create g x", m));
    CHECK(bad_line("a create g cloexec cloexec", m));
    CHECK(bad_line("a create g as d as e", m));
    CHECK(bad_line("a create g as d cloexec x", m));
    CHECK(bad_line("a create g cloexec as", m));
    CHECK(bad_line("a create g d", m));
    /* the message shows the usage */
    CHECK(bad_line("a create", "P create F [as D] [cloexec]"));
}

TEST(arity_write)
{
    const char *m = "wrong number of arguments to 'write'";
    CHECK(bad_line("a write", m));
    CHECK(bad_line("a write f", m));
    CHECK(bad_line("a write f 1 2", m));
    CHECK(bad_line("a write f", "P write D N"));
}

TEST(arity_close_and_uring_close)
{
    CHECK(bad_line("a close", "wrong number of arguments to 'close'"));
    CHECK(bad_line("a close f g", "wrong number of arguments to 'close'"));
    CHECK(bad_line("a uring_close",
                   "wrong number of arguments to 'uring_close'"));
    CHECK(bad_line("a uring_close f g",
                   "wrong number of arguments to 'uring_close'"));
}

TEST(arity_dup_and_dup2)
{
    CHECK(bad_line("a dup", "wrong number of arguments to 'dup'"));
    CHECK(bad_line("a dup f", "wrong number of arguments to 'dup'"));
    CHECK(bad_line("a dup f g h", "wrong number of arguments to 'dup'"));
    CHECK(bad_line("a dup2", "wrong number of arguments to 'dup2'"));
    CHECK(bad_line("a dup2 f", "wrong number of arguments to 'dup2'"));
    CHECK(bad_line("a dup2 f g h", "wrong number of arguments to 'dup2'"));
    CHECK(bad_line("a dup f", "P dup D D2"));
    CHECK(bad_line("a dup2 f", "P dup2 D D2"));
}

TEST(arity_fork_vfork_thread)
{
    CHECK(bad_line("a fork", "wrong number of arguments to 'fork'"));
    CHECK(bad_line("a fork b c", "wrong number of arguments to 'fork'"));
    CHECK(bad_line("a vfork", "wrong number of arguments to 'vfork'"));
    CHECK(bad_line("a vfork b c", "wrong number of arguments to 'vfork'"));
    CHECK(bad_line("a thread", "wrong number of arguments to 'thread'"));
    CHECK(bad_line("a thread b c", "wrong number of arguments to 'thread'"));
}

TEST(arity_send)
{
    const char *m = "wrong number of arguments to 'send'";
    CHECK(bad_line("a send", m));
    CHECK(bad_line("a send f", m));
    CHECK(bad_line("a send f b c", m));
    CHECK(bad_line("a send f b as", m));
    CHECK(bad_line("a send f b to d", m));
    CHECK(bad_line("a send f b as d e", m));
    CHECK(bad_line("a send f", "P send D Q [as D2]"));
}

TEST(arity_spawn_kthread_kill)
{
    CHECK(bad_line("spawn", "wrong number of arguments to 'spawn'"));
    CHECK(bad_line("spawn b c", "wrong number of arguments to 'spawn'"));
    CHECK(bad_line("kthread", "wrong number of arguments to 'kthread'"));
    CHECK(bad_line("kthread k j", "wrong number of arguments to 'kthread'"));
    CHECK(bad_line("kill", "wrong number of arguments to 'kill'"));
    CHECK(bad_line("kill a b", "wrong number of arguments to 'kill'"));
    CHECK(bad_line("spawn", "usage: spawn P"));
    CHECK(bad_line("kill", "usage: kill P"));
}

TEST(arity_task_only_statements)
{
    CHECK(bad_line("a close_range 3",
                   "wrong number of arguments to 'close_range'"));
    CHECK(bad_line("a unshare_files x",
                   "wrong number of arguments to 'unshare_files'"));
    CHECK(bad_line("a exec prog", "wrong number of arguments to 'exec'"));
    CHECK(bad_line("a exit 0", "wrong number of arguments to 'exit'"));
    CHECK(bad_line("a exit_group 0",
                   "wrong number of arguments to 'exit_group'"));
}

TEST(arity_expect)
{
    const char *m = "wrong number of arguments to 'expect'";
    CHECK(bad_line("expect", m));
    CHECK(bad_line("expect[kmod]", m));
    CHECK(bad_line("expect f", m));
    CHECK(bad_line("expect f sealed", m));
    CHECK(bad_line("expect f sealed 1 2", m));
    CHECK(bad_line("expect f aborted x", m));
    CHECK(bad_line("expect f transient x", m));
    CHECK(bad_line("expect clean x", m));
    CHECK(bad_line("expect f bogus", m));
    CHECK(bad_line("expect violation early-seal", m));
    CHECK(bad_line("expect violation early-seal f g", m));
    CHECK(bad_line("expect hazard write-after-seal", m));
    CHECK(bad_line("expect[kmod] f sealed", m));
}

TEST(bad_name_characters)
{
    CHECK(bad_line("spawn B", "bad task name 'B'"));
    CHECK(bad_line("spawn 1a", "bad task name '1a'"));
    CHECK(bad_line("spawn _a", "bad task name '_a'"));
    CHECK(bad_line("spawn a-b", "bad task name 'a-b'"));
    CHECK(bad_line("spawn a.b", "bad task name 'a.b'"));
    CHECK(bad_line("spawn aB", "bad task name 'aB'"));
    CHECK(bad_line("Ab close f", "bad task name 'Ab'"));
    CHECK(bad_line("a create F", "bad file name 'F'"));
    CHECK(bad_line("a create g as D", "bad fd name 'D'"));
    CHECK(bad_line("a write f/x 3", "bad fd name 'f/x'"));
    CHECK(bad_line("a close 3", "bad fd name '3'"));
    CHECK(bad_line("a dup f X", "bad fd name 'X'"));
    CHECK(bad_line("a fork Q", "bad task name 'Q'"));
    CHECK(bad_line("a send f Q", "bad task name 'Q'"));
    CHECK(bad_line("a send f zz as D", "bad fd name 'D'"));
    CHECK(bad_line("kill 9", "bad task name '9'"));
    CHECK(bad_line("expect F sealed 1", "bad file name 'F'"));
    CHECK(bad_line("expect violation early-seal F", "bad file name 'F'"));
    /* the message states the rule */
    CHECK(bad_line("spawn B", "[a-z][a-z0-9_]{0,15}"));
    /* good names with digits and underscores */
    struct program *p = must_parse("spawn a_1\na_1 create f9_x as d_\n"
                                   "a_1 close d_\nexpect f9_x sealed 0\n");
    CHECK(p != NULL);
    free(p);
}

TEST(name_length_limit)
{
    /* 16 characters are fine for every namespace */
    struct program *p =
        must_parse("spawn abcdefghijklmnop\n"
                   "abcdefghijklmnop create fileabcdefghijk as "
                   "fdabcdefghijklmn\n"
                   "abcdefghijklmnop fork q234567890123456\n"
                   "expect fileabcdefghijk transient\n");
    REQUIRE(p != NULL);
    CHECK_EQ_STR(p->task_names[0], "abcdefghijklmnop");
    CHECK_EQ_STR(p->file_names[0], "fileabcdefghijk");
    CHECK_EQ_STR(p->fd_names[0], "fdabcdefghijklmn");
    CHECK_EQ_STR(p->task_names[1], "q234567890123456");
    CHECK(roundtrip_ok(p, "16-char names"));
    free(p);
    /* 17 are not */
    CHECK(bad_line("spawn abcdefghijklmnopq", "is too long"));
    CHECK(bad_line("spawn abcdefghijklmnopq", "task name"));
    CHECK(bad_line("a create abcdefghijklmnopq", "file name"));
    CHECK(bad_line("a create abcdefghijklmnopq", "is too long"));
    CHECK(bad_line("a create g as abcdefghijklmnopq", "fd name"));
    CHECK(bad_line("a create g as abcdefghijklmnopq", "is too long"));
    CHECK(bad_line("a fork abcdefghijklmnopq", "is too long"));
    CHECK(bad_line("kill abcdefghijklmnopq", "is too long"));
    /* a very long token is shortened in the message */
    char line[400];
    memset(line, 0, sizeof line);
    strcpy(line, "spawn ");
    memset(line + 6, 'x', 300);
    CHECK(bad_line(line, "is too long"));
}

TEST(too_many_names)
{
    /* 64 task names are fine, the 65th is an error on its line */
    char *text = malloc(65 * 32 + 64);
    REQUIRE(text != NULL);
    size_t n = 0;
    for (int i = 0; i < MAX_TASK_NAMES; i++)
        n += (size_t)sprintf(text + n, "spawn t%d\n", i);
    struct program *p = must_parse(text);
    CHECK(p != NULL);
    if (p)
        CHECK_EQ_INT(p->ntasks, MAX_TASK_NAMES);
    free(p);
    sprintf(text + n, "# comment\nt0 fork t%d\n", MAX_TASK_NAMES);
    CHECK(err_is(text, MAX_TASK_NAMES + 2, "too many task names"));
    /* repeating names does not count them twice */
    n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)sprintf(text + n, "kill t%d\n", i % MAX_TASK_NAMES);
    p = must_parse(text);
    CHECK(p != NULL);
    free(p);
    free(text);

    /* files: 64 */
    text = malloc(70 * 40);
    REQUIRE(text != NULL);
    n = (size_t)sprintf(text, "spawn a\n");
    for (int i = 0; i <= MAX_FILE_NAMES; i++)
        n += (size_t)sprintf(text + n, "a create f%d\n", i);
    CHECK(err_is(text, MAX_FILE_NAMES + 2, "too many file names"));
    free(text);

    /* fds: 256 */
    text = malloc(300 * 40);
    REQUIRE(text != NULL);
    n = (size_t)sprintf(text, "spawn a\na create f\n");
    for (int i = 0; i < MAX_FD_NAMES; i++)
        n += (size_t)sprintf(text + n, "a dup f d%d\n", i);
    CHECK(err_is(text, MAX_FD_NAMES + 2, "too many fd names"));
    free(text);
}

TEST(too_many_statements_and_words)
{
    size_t cap = (MAX_STEPS + 2) * 16;
    char *text = malloc(cap);
    REQUIRE(text != NULL);
    size_t n = 0;
    for (int i = 0; i < MAX_STEPS; i++)
        n += (size_t)sprintf(text + n, "expect clean\n");
    struct program *p = must_parse(text);
    CHECK(p != NULL);
    if (p)
        CHECK_EQ_INT(p->nsteps, MAX_STEPS);
    free(p);
    sprintf(text + n, "expect clean\n");
    CHECK(err_is(text, MAX_STEPS + 1, "too many statements"));
    free(text);
    /* an `order` list may name every task: 8 + MAX_TASK_NAMES words */
    char line[1024] = "kill a order";
    for (int i = 0; i < MAX_TASK_NAMES + 8; i++)
        sprintf(line + strlen(line), " t%d", i);
    CHECK(bad_line(line, "too many words"));
    CHECK(bad_line("a create g as d cloexec x y z w v u", "usage"));
    /* one name more than a list may hold */
    char list[1024] = "kill a order";
    for (int i = 0; i < MAX_TASK_NAMES + 1; i++)
        sprintf(list + strlen(list), " t%d", i);
    CHECK(bad_line(list, "lists 65 names"));
}

TEST(write_size_range)
{
    CHECK(bad_line("a write f 0", "write size 0 out of range (1..1048576)"));
    CHECK(bad_line("a write f 1048577",
                   "write size 1048577 out of range"));
    CHECK(bad_line("a write f 4294967295", "out of range"));
    CHECK(bad_line("a write f 9999999999", "out of range"));
    struct program *p = must_parse("spawn a\na create f\na write f 1\n"
                                   "a write f 1048576\na write f 0100\n");
    REQUIRE(p != NULL);
    CHECK_EQ_INT(p->steps[2].n, 1);
    CHECK_EQ_INT(p->steps[3].n, 1048576);
    CHECK_EQ_INT(p->steps[4].n, 100);
    free(p);
}

TEST(write_size_not_a_number)
{
    const char *m = "is not a number";
    CHECK(bad_line("a write f x", "write size 'x' is not a number"));
    CHECK(bad_line("a write f -1", m));
    CHECK(bad_line("a write f +1", m));
    CHECK(bad_line("a write f 1k", m));
    CHECK(bad_line("a write f 0x10", m));
    CHECK(bad_line("a write f 1.5", m));
    CHECK(bad_line("a write f 1e3", m));
    CHECK(bad_line("a write f 99999999999",
                   "write size 99999999999 out of range"));
    CHECK(bad_line("expect f sealed ten", "byte count 'ten' is not a number"));
    CHECK(bad_line("expect f sealed -1", m));
    CHECK(bad_line("expect f sealed 4294967296", "out of range"));
    struct program *p = must_parse("spawn a\na create f\n"
                                   "expect f sealed 4294967295\n"
                                   "expect f sealed 0\n");
    REQUIRE(p != NULL);
    CHECK_EQ_INT(p->steps[2].n, 4294967295u);
    CHECK_EQ_INT(p->steps[3].n, 0);
    CHECK(roundtrip_ok(p, "sealed bounds"));
    free(p);
}

TEST(unknown_policy)
{
    CHECK(bad_line("expect[kmod,bogus] f aborted", "unknown policy 'bogus'"));
    CHECK(bad_line("expect[Kmod] f aborted", "unknown policy 'Kmod'"));
    CHECK(bad_line("expect[kmod2024] clean", "unknown policy 'kmod2024'"));
    CHECK(bad_line("expect[kmod,] clean", "unknown policy ''"));
    CHECK(bad_line("expect[,kmod] clean", "unknown policy ''"));
    CHECK(bad_line("expect[kmod clean", "bad policy list"));
    CHECK(bad_line("expect[] clean", "bad policy list"));
    CHECK(bad_line("expect[kmod, fuse-naive] clean", "bad policy list"));
    /* the message lists the known policies */
    CHECK(bad_line("expect[x] clean", "fuse-closetracker"));
}

TEST(unknown_finding_kind)
{
    CHECK(bad_line("expect violation bogus f",
                   "unknown violation kind 'bogus'"));
    CHECK(bad_line("expect hazard bogus f", "unknown hazard kind 'bogus'"));
    /* a hazard kind given as a violation, and the other way round */
    CHECK(bad_line("expect violation write-after-seal f",
                   "'write-after-seal' is a hazard, not a violation"));
    CHECK(bad_line("expect violation kernel-create-refused f",
                   "'kernel-create-refused' is a hazard, not a violation"));
    CHECK(bad_line("expect hazard early-seal f",
                   "'early-seal' is a violation, not a hazard"));
    CHECK(bad_line("expect hazard lost-file f",
                   "'lost-file' is a violation, not a hazard"));
    CHECK(bad_line("expect[kmod] violation Early-seal f",
                   "unknown violation kind"));
}

TEST(expect_names_uncreated_file)
{
    CHECK(bad_line("expect g sealed 3",
                   "expect names file 'g' that no statement creates"));
    CHECK(bad_line("expect[kmod] g aborted", "no statement creates"));
    CHECK(bad_line("expect g transient", "no statement creates"));
    CHECK(bad_line("expect violation early-seal g", "no statement creates"));
    CHECK(bad_line("expect hazard write-after-seal g",
                   "no statement creates"));
    /* the first such expect is reported, on its own line */
    CHECK(err_is("spawn a\na create f\nexpect f aborted\n\n"
                 "expect g aborted\nexpect h aborted\n",
                 5, "'g'"));
    /* an fd named g does not create file g */
    CHECK(err_is("spawn a\na create f as g\nexpect g aborted\n", 3,
                 "no statement creates"));
    /* a create anywhere in the trace counts, even after the expect and even
     * if it will fail at run time */
    struct program *p = must_parse("spawn a\nexpect g aborted\na create g\n");
    CHECK(p != NULL);
    free(p);
    /* expect clean names no file */
    p = must_parse("expect clean\n");
    CHECK(p != NULL);
    free(p);
}

TEST(keyword_as_task_name)
{
    CHECK(bad_line("spawn fork", "'fork' is a statement keyword"));
    CHECK(bad_line("spawn spawn", "statement keyword"));
    CHECK(bad_line("kthread expect", "statement keyword"));
    CHECK(bad_line("kill exit", "statement keyword"));
    CHECK(bad_line("a fork close", "'close' is a statement keyword"));
    CHECK(bad_line("a thread exec", "statement keyword"));
    CHECK(bad_line("a vfork dup2", "statement keyword"));
    CHECK(bad_line("a send f kill", "statement keyword"));
    /* words that are not statement keywords are fine task names, and fd and
     * file names may be keywords */
    struct program *p = must_parse("spawn as\nspawn clean\nspawn sealed\n"
                                   "as create exec as fork\n"
                                   "as dup fork cloexec\n"
                                   "as send cloexec clean as spawn\n"
                                   "expect exec transient\n");
    REQUIRE(p != NULL);
    CHECK(roundtrip_ok(p, "keyword-like names"));
    free(p);
}

TEST(keyword_without_task)
{
    CHECK(bad_line("create f", "'create' needs a task before it"));
    CHECK(bad_line("create f", "usage: P create F [as D] [cloexec]"));
    CHECK(bad_line("write f 3", "'write' needs a task before it"));
    CHECK(bad_line("close f", "'close' needs a task before it"));
    CHECK(bad_line("uring_close f", "needs a task before it"));
    CHECK(bad_line("close_range", "needs a task before it"));
    CHECK(bad_line("dup f g", "needs a task before it"));
    CHECK(bad_line("dup2 f g", "needs a task before it"));
    CHECK(bad_line("fork b", "needs a task before it"));
    CHECK(bad_line("vfork b", "needs a task before it"));
    CHECK(bad_line("thread b", "needs a task before it"));
    CHECK(bad_line("unshare_files", "needs a task before it"));
    CHECK(bad_line("exec", "needs a task before it"));
    CHECK(bad_line("exit", "needs a task before it"));
    CHECK(bad_line("exit_group", "needs a task before it"));
    CHECK(bad_line("send f b", "needs a task before it"));
}

TEST(non_printable_bytes)
{
    CHECK(bad_line("a close f\x01", "unexpected byte 0x01"));
    CHECK(bad_line("a clo\x7f" "se f", "unexpected byte 0x7f"));
    CHECK(bad_line("spawn caf\xc3\xa9", "unexpected byte 0xc3"));
    CHECK(bad_line("a write f 1\x0b", "unexpected byte 0x0b"));
    CHECK(bad_line("\x0c", "unexpected byte 0x0c"));
    CHECK(bad_line("\xff", "unexpected byte 0xff"));
    /* a NUL byte inside the text (the length is explicit) */
    const char t[] = "spawn a\na create f\na close \0f\n";
    CHECK(err_is_n(t, sizeof t - 1, 3, "unexpected byte 0x00"));
    const char t2[] = "spawn a\n\0\n";
    CHECK(err_is_n(t2, sizeof t2 - 1, 2, "unexpected byte 0x00"));
}

TEST(comments_and_blank_lines_ignored)
{
    const char *text = "# only a comment\n"
                       "\n"
                       "   \t  \n"
                       "#\n"
                       "spawn a# no blank before the comment\n"
                       "a create f#\n"
                       "  a   write\tf  7   # blanks and tabs\n"
                       "# caf\xc3\xa9: bytes in a comment are not parsed\n"
                       "a close f\r\n"
                       "expect[kmod,fuse-naive] f sealed 7# x y z\n"
                       "expect clean#\n"
                       "#spawn b\n"
                       "\n";
    struct program *p = must_parse(text);
    REQUIRE(p != NULL);
    CHECK_EQ_INT(p->nsteps, 6);
    CHECK_EQ_INT(p->ntasks, 1);
    CHECK_EQ_INT(p->steps[0].op, OP_SPAWN);
    CHECK_EQ_INT(p->steps[0].line, 5);
    CHECK_EQ_INT(p->steps[1].op, OP_CREATE);
    CHECK_EQ_INT(p->steps[1].line, 6);
    CHECK_EQ_INT(p->steps[2].op, OP_WRITE);
    CHECK_EQ_INT(p->steps[2].n, 7);
    CHECK_EQ_INT(p->steps[2].line, 7);
    CHECK_EQ_INT(p->steps[3].op, OP_CLOSE);
    CHECK_EQ_INT(p->steps[3].line, 9);
    CHECK_EQ_INT(p->steps[4].op, OP_EXPECT);
    CHECK_EQ_INT(p->steps[4].line, 10);
    CHECK_EQ_INT(p->steps[4].n, 7);
    CHECK_EQ_INT(p->steps[5].xkind, EXPECT_CLEAN);
    CHECK_EQ_INT(p->steps[5].line, 11);
    char *out = print_alloc(p);
    CHECK_EQ_STR(out, "spawn a\na create f\na write f 7\na close f\n"
                      "expect[kmod,fuse-naive] f sealed 7\nexpect clean\n");
    free(out);
    free(p);

    /* empty and comment-only traces are empty programs */
    p = must_parse("");
    REQUIRE(p != NULL);
    CHECK_EQ_INT(p->nsteps, 0);
    free(p);
    p = must_parse("# nothing\n\n# at all");
    REQUIRE(p != NULL);
    CHECK_EQ_INT(p->nsteps, 0);
    free(p);
    /* a comment does not hide an error on the next line */
    CHECK(err_is("# x\n# bogus\nbogus\n", 3, "unknown statement"));
    /* '#' right after a keyword ends the statement */
    CHECK(err_is("spawn a\na close#f\n", 2, "wrong number of arguments"));
}

/* ------------------------------------------------------- accepted forms */

TEST(accepted_create_forms)
{
    struct program *p = must_parse("spawn p\n"
                                   "p create f\n"
                                   "p create g as d\n"
                                   "p create h cloexec\n"
                                   "p create i as e cloexec\n"
                                   "p create j cloexec as k\n"
                                   "p create l as l\n");
    REQUIRE(p != NULL);
    REQUIRE(p->nsteps == 7);
    const struct step *s = p->steps;
    CHECK_EQ_INT(s[1].op, OP_CREATE);
    CHECK_EQ_STR(p->task_names[s[1].task], "p");
    CHECK_EQ_STR(p->file_names[s[1].file], "f");
    CHECK_EQ_STR(p->fd_names[s[1].fd], "f");
    CHECK_EQ_INT(s[1].flags, 0);
    CHECK_EQ_STR(p->file_names[s[2].file], "g");
    CHECK_EQ_STR(p->fd_names[s[2].fd], "d");
    CHECK_EQ_INT(s[2].flags, STEP_AS);
    CHECK_EQ_STR(p->fd_names[s[3].fd], "h");
    CHECK_EQ_INT(s[3].flags, STEP_CLOEXEC);
    CHECK_EQ_STR(p->file_names[s[4].file], "i");
    CHECK_EQ_STR(p->fd_names[s[4].fd], "e");
    CHECK_EQ_INT(s[4].flags, STEP_AS | STEP_CLOEXEC);
    CHECK_EQ_STR(p->file_names[s[5].file], "j");
    CHECK_EQ_STR(p->fd_names[s[5].fd], "k");
    CHECK_EQ_INT(s[5].flags, STEP_AS | STEP_CLOEXEC);
    CHECK_EQ_STR(p->fd_names[s[6].fd], "l");
    /* names live in separate namespaces */
    CHECK_EQ_INT(p->nfiles, 6);
    CHECK_EQ_INT(p->nfds, 6);
    CHECK_EQ_INT(p->ntasks, 1);
    char buf[128];
    trace_print_step(p, &s[5], buf, sizeof buf);
    CHECK_EQ_STR(buf, "p create j as k cloexec");
    trace_print_step(p, &s[4], buf, sizeof buf);
    CHECK_EQ_STR(buf, "p create i as e cloexec");
    trace_print_step(p, &s[1], buf, sizeof buf);
    CHECK_EQ_STR(buf, "p create f");
    CHECK(roundtrip_ok(p, "create forms"));
    free(p);
}

TEST(accepted_task_statements)
{
    struct program *p = must_parse("spawn a\n"
                                   "kthread k\n"
                                   "a create f\n"
                                   "a write f 12\n"
                                   "a dup f d\n"
                                   "a dup2 d e\n"
                                   "a fork b\n"
                                   "a vfork c\n"
                                   "a thread t\n"
                                   "t unshare_files\n"
                                   "c exec\n"
                                   "a send d b\n"
                                   "a send d b as d2\n"
                                   "b uring_close d2\n"
                                   "b close d\n"
                                   "a close_range\n"
                                   "t exit\n"
                                   "b exit_group\n"
                                   "kill a\n");
    REQUIRE(p != NULL);
    REQUIRE(p->nsteps == 19);
    static const uint8_t ops[] = {
        OP_SPAWN, OP_KTHREAD, OP_CREATE, OP_WRITE, OP_DUP,
        OP_DUP2, OP_FORK, OP_VFORK, OP_THREAD, OP_UNSHARE_FILES,
        OP_EXEC, OP_SEND, OP_SEND, OP_URING_CLOSE, OP_CLOSE,
        OP_CLOSE_RANGE, OP_EXIT, OP_EXIT_GROUP, OP_KILL};
    for (uint32_t i = 0; i < p->nsteps; i++) {
        CHECK_EQ_INT(p->steps[i].op, ops[i]);
        CHECK_EQ_INT(p->steps[i].line, i + 1);
    }
    const struct step *s = p->steps;
    CHECK_EQ_STR(p->task_names[s[1].task], "k");
    CHECK_EQ_INT(s[3].n, 12);
    CHECK_EQ_STR(p->fd_names[s[4].fd], "f");
    CHECK_EQ_STR(p->fd_names[s[4].fd2], "d");
    CHECK_EQ_STR(p->fd_names[s[5].fd], "d");
    CHECK_EQ_STR(p->fd_names[s[5].fd2], "e");
    CHECK_EQ_STR(p->task_names[s[6].task2], "b");
    CHECK_EQ_STR(p->task_names[s[7].task2], "c");
    CHECK_EQ_STR(p->task_names[s[8].task2], "t");
    CHECK_EQ_STR(p->task_names[s[9].task], "t");
    /* send without `as` keeps the name */
    CHECK_EQ_STR(p->fd_names[s[11].fd], "d");
    CHECK_EQ_STR(p->task_names[s[11].task2], "b");
    CHECK_EQ_INT(s[11].fd2, s[11].fd);
    CHECK_EQ_INT(s[11].flags & STEP_AS, 0);
    /* send D Q as D2 */
    CHECK_EQ_STR(p->fd_names[s[12].fd], "d");
    CHECK_EQ_STR(p->task_names[s[12].task2], "b");
    CHECK_EQ_STR(p->fd_names[s[12].fd2], "d2");
    CHECK(s[12].flags & STEP_AS);
    CHECK_EQ_STR(p->task_names[s[18].task], "a");
    char buf[128];
    trace_print_step(p, &s[12], buf, sizeof buf);
    CHECK_EQ_STR(buf, "a send d b as d2");
    trace_print_step(p, &s[11], buf, sizeof buf);
    CHECK_EQ_STR(buf, "a send d b");
    CHECK(roundtrip_ok(p, "task statements"));
    /* the statement names */
    for (int op = 0; op < OP_COUNT; op++)
        CHECK(strcmp(trace_op_name((enum trace_op)op), "?") != 0);
    CHECK_EQ_STR(trace_op_name(OP_UNSHARE_FILES), "unshare_files");
    CHECK_EQ_STR(trace_op_name(OP_COUNT), "?");
    free(p);
}

TEST(accepted_expect_forms)
{
    struct program *p = must_parse(
        "spawn a\na create f\na create g\n"
        "expect f sealed 10\n"
        "expect f aborted\n"
        "expect f transient\n"
        "expect clean\n"
        "expect violation early-seal f\n"
        "expect violation visible-after-abort g\n"
        "expect violation lost-file f\n"
        "expect violation mutated-after-seal f\n"
        "expect violation create-failed g\n"
        "expect hazard write-after-seal f\n"
        "expect hazard kernel-create-refused g\n"
        "expect[kmod,fuse-naive] f sealed 3\n"
        "expect[kmod-2024] clean\n"
        "expect[fuse-closetracker,reference] violation lost-file g\n"
        "expect[reference,kmod,kmod-2024,fuse-naive,fuse-closetracker] "
        "f aborted\n"
        "expect[fuse-naive,kmod] hazard write-after-seal f\n"
        "expect[kmod,kmod] f transient\n");
    REQUIRE(p != NULL);
    REQUIRE(p->nsteps == 20);
    const struct step *s = p->steps;
    for (uint32_t i = 3; i < p->nsteps; i++)
        CHECK_EQ_INT(s[i].op, OP_EXPECT);
    CHECK_EQ_INT(s[3].xkind, EXPECT_SEALED);
    CHECK_EQ_INT(s[3].n, 10);
    CHECK_EQ_INT(s[3].policies, 0);
    CHECK_EQ_STR(p->file_names[s[3].file], "f");
    CHECK_EQ_INT(s[4].xkind, EXPECT_ABORTED);
    CHECK_EQ_INT(s[5].xkind, EXPECT_TRANSIENT);
    CHECK_EQ_INT(s[6].xkind, EXPECT_CLEAN);
    CHECK_EQ_INT(s[6].policies, 0);
    static const uint8_t kinds[] = {
        FIND_EARLY_SEAL, FIND_VISIBLE_AFTER_ABORT, FIND_LOST_FILE,
        FIND_MUTATED_AFTER_SEAL, FIND_CREATE_FAILED, FIND_WRITE_AFTER_SEAL,
        FIND_KERNEL_CREATE_REFUSED};
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_INT(s[7 + i].xkind, EXPECT_FINDING);
        CHECK_EQ_INT(s[7 + i].xfind, kinds[i]);
    }
    CHECK_EQ_STR(p->file_names[s[8].file], "g");
    CHECK_EQ_INT(s[14].xkind, EXPECT_SEALED);
    CHECK_EQ_INT(s[14].n, 3);
    CHECK_EQ_INT(s[14].policies,
                 (1u << POLICY_KMOD) | (1u << POLICY_FUSE_NAIVE));
    CHECK_EQ_INT(s[15].xkind, EXPECT_CLEAN);
    CHECK_EQ_INT(s[15].policies, 1u << POLICY_KMOD_2024);
    CHECK_EQ_INT(s[16].policies, (1u << POLICY_FUSE_CLOSETRACKER) |
                                     (1u << POLICY_REFERENCE));
    CHECK_EQ_INT(s[16].xfind, FIND_LOST_FILE);
    CHECK_EQ_INT(s[17].policies, (1u << (POLICY_FUSE_CLOSETRACKER + 1)) - 1);
    CHECK_EQ_INT(s[18].xfind, FIND_WRITE_AFTER_SEAL);
    CHECK_EQ_INT(s[19].policies, 1u << POLICY_KMOD);
    char buf[160];
    trace_print_step(p, &s[14], buf, sizeof buf);
    CHECK_EQ_STR(buf, "expect[kmod,fuse-naive] f sealed 3");
    trace_print_step(p, &s[18], buf, sizeof buf);
    CHECK_EQ_STR(buf, "expect[kmod,fuse-naive] hazard write-after-seal f");
    trace_print_step(p, &s[6], buf, sizeof buf);
    CHECK_EQ_STR(buf, "expect clean");
    trace_print_step(p, &s[7], buf, sizeof buf);
    CHECK_EQ_STR(buf, "expect violation early-seal f");
    trace_print_step(p, &s[19], buf, sizeof buf);
    CHECK_EQ_STR(buf, "expect[kmod] f transient");
    CHECK(roundtrip_ok(p, "expect forms"));
    free(p);

    /* file names that are expect words */
    p = must_parse("spawn a\na create clean\na create sealed\n"
                   "a create violation\n"
                   "expect clean sealed 0\nexpect sealed aborted\n"
                   "expect violation transient\n"
                   "expect violation lost-file violation\n"
                   "expect hazard write-after-seal clean\n"
                   "expect clean\n");
    REQUIRE(p != NULL);
    CHECK_EQ_INT(p->steps[4].xkind, EXPECT_SEALED);
    CHECK_EQ_STR(p->file_names[p->steps[4].file], "clean");
    CHECK_EQ_INT(p->steps[5].xkind, EXPECT_ABORTED);
    CHECK_EQ_INT(p->steps[6].xkind, EXPECT_TRANSIENT);
    CHECK_EQ_STR(p->file_names[p->steps[6].file], "violation");
    CHECK_EQ_INT(p->steps[7].xkind, EXPECT_FINDING);
    CHECK_EQ_INT(p->steps[9].xkind, EXPECT_CLEAN);
    CHECK(roundtrip_ok(p, "expect word file names"));
    free(p);
}

int main(void)
{
    return run_tests();
}
