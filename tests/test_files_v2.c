/* test_files_v2.c - SPEC v2's files in the model: tmpfiles and link, read-only
 * opens, the errors a program sees (EROFS, EIO, EBADF, EINVAL, EPERM,
 * EOPNOTSUPP, ENOENT), close results, the close tracker's map, and the name
 * rules of the new statements (trace errors). */
#include "model_fixture.h"

/* The result of the last EV_OP of statement kind `op`. */
static int32_t op_result(int op)
{
    int32_t r = 1;
    for (int i = next_ev(0, EV_OP); i >= 0; i = next_ev(i + 1, EV_OP))
        if (ev(i)->op == op)
            r = ev(i)->result;
    return r;
}

TEST(write_errors_sealed_erofs_aborted_eio_read_only_ebadf)
{
    LOAD("spawn a\na create f\na dup f g\na close f\na write g 1\n"
         "spawn b\nb open f as r\nb write r 1\n");
    int w = next_ev(0, EV_WRITE);
    REQUIRE(w >= 0);
    CHECK_EQ_INT(ev(w)->result, -ERR_EROFS);
    CHECK_EQ_INT(last_ev(EV_WRITE)->result, -ERR_EBADF);
    CHECK(last_ev(EV_WRITE)->rdonly);
    /* an aborted file: EIO */
    LOAD("spawn a\na create f\na thread t\nt unshare_files\nt exit\n"
         "a write f 1\n");
    CHECK_EQ_INT(file("f").state, FILE_TRANSIENT); /* reference ignores */
    LOADP("spawn a\na create f\na thread t\nt unshare_files\nt exit\n"
          "a write f 1\n",
          POLICY_KMOD);
    CHECK_EQ_INT(file("f").state, FILE_ABORTED);
    CHECK_EQ_INT(last_ev(EV_WRITE)->result, -ERR_EIO);
}

TEST(kmod_close_after_abort_returns_eio_to_its_owner_only)
{
    const char *text = "spawn a\na create f\na dup f f2\na fork b\n"
                       "a thread t\nt unshare_files\nt exit\nb close f\n"
                       "a close f2\n";
    for (int p = 0; p < POLICY_COUNT; p++) {
        REQUIRE(load_n(text, (enum policy)p, 0) == 0);
        bool kmod = p == POLICY_KMOD;
        /* kmod: t's dying flush aborted f; b is another process (ignored,
         * close returns 0); a, the owner, gets EIO */
        CHECK_EQ_INT(op_result(OP_CLOSE), kmod ? -ERR_EIO : 0);
        const struct event *fl = last_ev(EV_FLUSH);
        CHECK_EQ_INT(fl->decision, kmod ? FLUSH_FAIL : fl->decision);
        if (kmod)
            CHECK_EQ_INT(file("f").state, FILE_ABORTED); /* fail changes
                                                            nothing */
    }
}

TEST(link_errors_in_spec_order)
{
    /* a failed fd: EBADF, no file */
    LOADP("spawn a\na tmpfile f\na link f\n", POLICY_KMOD_2024);
    CHECK_EQ_INT(last_ev(EV_CREATE)->result, -ERR_EOPNOTSUPP);
    CHECK(last_ev(EV_CREATE)->tmpfile);
    CHECK_EQ_INT(last_ev(EV_LINK)->result, -ERR_EBADF);
    CHECK_EQ_INT(last_ev(EV_LINK)->file, EV_NONE);
    /* a regular file, or a tmpfile no longer transient: EINVAL */
    LOAD("spawn a\na create f\na link f\n");
    CHECK_EQ_INT(last_ev(EV_LINK)->result, -ERR_EINVAL);
    LOAD("spawn a\na tmpfile f\na link f\na link f\n");
    CHECK_EQ_INT(last_ev(EV_LINK)->result, -ERR_EINVAL);
    CHECK_EQ_INT(count_ev(EV_SEAL), 1);
    /* the policy refuses the linker: EPERM */
    LOAD("spawn a\na tmpfile f\na fork b\nb link f\n");
    CHECK_EQ_INT(last_ev(EV_LINK)->result, -ERR_EPERM);
    CHECK_EQ_INT(file("f").state, FILE_TRANSIENT);
    LOADP("spawn a\na tmpfile f\na fork b\nb link f\n", POLICY_FUSE_NAIVE);
    CHECK_EQ_INT(last_ev(EV_LINK)->result, 0);
    CHECK_EQ_INT(file("f").state, FILE_SEALED);
}

TEST(tmpfile_unsupported_before_any_other_refusal)
{
    /* kmod-2024 refuses a kernel thread's tmpfile with EOPNOTSUPP, not
     * EIO: no kernel-create-refused either */
    LOADP("kthread k\nk tmpfile f\n", POLICY_KMOD_2024);
    CHECK_EQ_INT(last_ev(EV_CREATE)->result, -ERR_EOPNOTSUPP);
    LOADP("kthread k\nk tmpfile f\n", POLICY_KMOD);
    CHECK_EQ_INT(last_ev(EV_CREATE)->result, -ERR_EIO);
}

TEST(open_needs_a_visible_file)
{
    LOAD("spawn a\na create f\nspawn b\nb open f as r\nb close r\n"
         "a close f\nb open f as r2\n");
    int o = next_ev(0, EV_OP);
    while (o >= 0 && ev(o)->op != OP_OPEN)
        o = next_ev(o + 1, EV_OP);
    REQUIRE(o >= 0);
    CHECK_EQ_INT(ev(o)->result, -ERR_ENOENT);
    CHECK_EQ_INT(op_result(OP_OPEN), 0);
    CHECK_EQ_INT(fdnum("b", "r2"), 3);
    CHECK_EQ_INT(fdnum("b", "r"), -1); /* closed (EBADF) */
}

TEST(close_tracker_counts_user_closes_of_any_fd_in_a_bounded_map)
{
    /* a kernel thread's close is not a close(2) */
    LOADP("kthread k\nk create f\nk close f\n", POLICY_FUSE_CLOSETRACKER);
    CHECK_EQ_INT(file("f").state, FILE_TRANSIENT);
    /* a read-only close counts too, and a full map counts no new file */
    const char *full = "closetracker_map 1\nspawn a\na create f\na close f\n"
                       "a open f as r\na close r\na create g\na close g\n";
    LOADP(full, POLICY_FUSE_CLOSETRACKER);
    CHECK_EQ_INT(file("f").state, FILE_SEALED);
    CHECK_EQ_INT(file("g").state, FILE_TRANSIENT);
    /* with the default size, g is sealed */
    LOADP(full + strlen("closetracker_map 1\n"), POLICY_FUSE_CLOSETRACKER);
    CHECK_EQ_INT(file("g").state, FILE_SEALED);
}

TEST(name_rules_of_the_new_statements)
{
    EXPECT_ERROR("spawn a\na create f\na tmpfile f as g\n", 3,
                 "already used");
    EXPECT_ERROR("spawn a\na tmpfile f\na create f as g\n", 3,
                 "a tmpfile's");
    /* a name used by a failed tmpfile is used all the same */
    EXPECT_ERROR("spawn a\na tmpfile f\na close f\na tmpfile f as g\n", 4,
                 "already used");
    EXPECT_ERROR("spawn a\na open f\n", 2, "no earlier create or tmpfile");
    EXPECT_ERROR("spawn a\nclosetracker_map 5\n", 2, "before any other");
    EXPECT_ERROR("# a comment\nexpect clean\nclosetracker_map 5\n", 3,
                 "before any other");
    LOAD("# comments may come first\nclosetracker_map 5\nspawn a\n");
}

int main(void)
{
    return run_tests();
}
