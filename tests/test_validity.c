/* test_validity.c - the validity rules of SPEC §3 as the model enforces
 * them (trace errors with their line), policy independence, failed fds, and
 * model_sanitize. */
#include "model_fixture.h"

/* ------------------------------------------------------------- validity */

TEST(error_unknown_task)
{
    EXPECT_ERROR("spawn p\nq create f\n", 2, "unknown");
    EXPECT_ERROR("spawn p\n\n# comment\nkill q\n", 4, "unknown");
    EXPECT_ERROR("spawn p\np create f\np send f q\n", 3, "unknown");
}

TEST(error_dead_task)
{
    EXPECT_ERROR("spawn p\np exit\np create f\n", 3, "dead");
    EXPECT_ERROR("spawn p\np thread t\nt exit\nt create f\n", 4, "dead");
    EXPECT_ERROR("spawn p\np thread t\np exit\np create f\n", 4, "dead");
    EXPECT_ERROR("spawn p\np thread t\nt exec\np create f\n", 4, "dead");
}

TEST(error_fd_not_open)
{
    EXPECT_ERROR("spawn p\np write f 1\n", 2, "not open");
    EXPECT_ERROR("spawn p\np create f\np close f\np close f\n", 4,
                 "not open");
    EXPECT_ERROR("spawn p\nspawn q\np create f\nq close f\n", 4, "not open");
    EXPECT_ERROR("spawn p\np create f cloexec\np exec\np write f 1\n", 4,
                 "not open");
    EXPECT_ERROR("spawn p\np create a\np close_range\np dup a b\n", 4,
                 "not open");
}

TEST(error_rebinding_live_fd_name_in_same_table)
{
    EXPECT_ERROR("spawn p\np create f\np create g as f\n", 3, "already");
    EXPECT_ERROR("spawn p\np create a\np create b\np dup a b\n", 4,
                 "already");
    EXPECT_ERROR("spawn p\nspawn q\np create a\nq create b as a\n"
                 "p send a q\n", 5, "already");
    EXPECT_ERROR("spawn p\np create a\np fork q\nq create b as a\n", 4,
                 "already");
    EXPECT_ERROR("spawn p\np create f\np create f as g\np create h as g\n",
                 4, "already"); /* a failed fd name is bound too */
    /* another table, or dup2, or a closed name: fine */
    RUN("spawn p\nspawn q\np create a\nq create b as a\np create c\n"
        "p dup2 c a\np close c\np create d as c\n", POLICY_REFERENCE);
}

TEST(error_task_name_reused)
{
    EXPECT_ERROR("spawn p\nspawn p\n", 2, "already");
    EXPECT_ERROR("spawn p\np fork p\n", 2, "already");
    EXPECT_ERROR("spawn p\np thread t\nt exit\np thread t\n", 4, "already");
    EXPECT_ERROR("spawn p\np exit\nspawn p\n", 3, "already");
    EXPECT_ERROR("spawn p\nkthread p\n", 2, "already");
}

TEST(error_kthread_cannot_fork_vfork_thread_exec_exit_unshare)
{
    const char *ops[] = {"k fork q", "k vfork q", "k thread q", "k exec",
                         "k exit", "k exit_group", "k unshare_files"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char text[96];
        snprintf(text, sizeof text, "kthread k\n%s\n", ops[i]);
        EXPECT_ERROR(text, 2, "kernel thread");
    }
}

TEST(error_kill_of_dead_process)
{
    EXPECT_ERROR("spawn p\np exit\nkill p\n", 3, "dead");
    EXPECT_ERROR("spawn p\nkill p\nkill p\n", 3, "dead");
    /* a dead thread that does not name its (live) process */
    EXPECT_ERROR("spawn p\np thread t\nt exit\nkill t\n", 4, "dead");
}

TEST(error_send_to_dead_or_suspended_task)
{
    EXPECT_ERROR("spawn p\nspawn q\nq exit\np create f\np send f q\n", 5,
                 "dead");
    EXPECT_ERROR("spawn p\nspawn q\np create f\nq vfork r\np send f q\n", 5,
                 "suspended");
}

TEST(kill_of_kthread_recorded_and_ignored)
{
    RUN("kthread k\nk create f\nkill k\nk write f 2\n", POLICY_REFERENCE);
    int i;
    for (i = next_ev(0, EV_OP); i >= 0; i = next_ev(i + 1, EV_OP))
        if (ev(i)->op == OP_KILL)
            break;
    CHECK(i >= 0);
    CHECK_EQ_INT(count_ev(EV_DEATH), 0);
    CHECK_EQ_INT(count_ev(EV_EXIT), 0);
    CHECK_EQ_INT(task("k").state, TASK_ALIVE);
    CHECK_EQ_INT(file("f").state, FILE_TRANSIENT);
    CHECK_EQ_INT(file("f").size, 2);
}

TEST(kill_accepts_zombie_leader_name)
{
    LOAD("spawn p\np thread t\np exit\nkill p\n");
    CHECK_EQ_INT(count_ev(EV_DEATH), 1);
    CHECK_EQ_INT(task("t").state, TASK_DEAD);
    CHECK_EQ_INT(task("p").state, TASK_DEAD);
}

TEST(kill_accepts_first_thread_name_after_another_thread_execd)
{
    LOAD("spawn p\np thread t\nt exec\nkill p\n");
    CHECK_EQ_INT(count_ev(EV_DEATH), 1);
    CHECK_EQ_INT(task("t").state, TASK_DEAD);
}

/* ------------------------------------------------------------- policies */

TEST(validity_never_depends_on_policy)
{
    const char *traces[] = {
        "kthread k\nk create f\nk write f 3\nk dup f g\nk close f\n"
        "k close g\nk create f\n",
        "kthread k\nk create f\nk create g as f\n",
        "spawn p\np thread t\np exit\nt create f\nt close f\n"
        "t create f as g\nt write g 1\n",
        "spawn p\np create f\np vfork q\np close f\n",
        "spawn p\np create f\np close f\np write f 1\n",
        "spawn p\np thread t\np create f\nt exec\nt fork q\nq close f\n"
        "q write f 1\nkill p\nq send f p\n",
        "kthread k\nspawn p\nk create f\nk send f p\np close f\nkill k\n"
        "p close f\n",
    };
    for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++) {
        int rc0 = run(traces[i], POLICY_REFERENCE);
        struct trace_error e0 = E;
        for (int pol = 1; pol < POLICY_COUNT; pol++) {
            int rc = run(traces[i], (enum policy)pol);
            if (rc != rc0 || E.line != e0.line || strcmp(E.msg, e0.msg)) {
                fprintf(stderr,
                        "  trace %zu: reference rc %d line %u '%s', %s rc %d "
                        "line %u '%s'\n",
                        i, rc0, e0.line, e0.msg,
                        policy_name((enum policy)pol), rc, E.line, E.msg);
                test_failed_ = 1;
            }
        }
    }
}

TEST(kmod_refused_create_binds_fd_name_later_uses_are_ebadf)
{
    RUN("kthread k\nk create f\nk write f 5\nk dup f g\nk send g k as h\n"
        "k close g\nk close f\n", POLICY_KMOD);
    REQUIRE(count_ev(EV_CREATE) == 1);
    CHECK_EQ_INT(last_ev(EV_CREATE)->result, -ERR_EIO);
    CHECK_EQ_INT(last_ev(EV_WRITE)->result, -ERR_EBADF);
    CHECK_EQ_INT(count_ev(EV_FLUSH), 0);
    CHECK_EQ_INT(file("f").state, FILE_NONE);
    int nbad = 0;
    for (int i = next_ev(0, EV_OP); i >= 0; i = next_ev(i + 1, EV_OP))
        if (ev(i)->op == OP_DUP || ev(i)->op == OP_CLOSE ||
            ev(i)->op == OP_SEND)
            nbad += ev(i)->result == -ERR_EBADF;
    CHECK_EQ_INT(nbad, 4);
    /* the name stays bound: creating over it is a trace error */
    EXPECT_ERROR("kthread k\nk create f\nk create g as f\n", 3, "already");
}

TEST(kmod_create_by_thread_of_zombie_leader_fails_eio)
{
    RUN("spawn p\np thread t\np exit\nt create f\nt write f 1\n",
        POLICY_KMOD);
    CHECK_EQ_INT(last_ev(EV_CREATE)->result, -ERR_EIO);
    CHECK_EQ_INT(last_ev(EV_WRITE)->result, -ERR_EBADF);
    RUN("spawn p\np thread t\np exit\nt create f\nt write f 1\n",
        POLICY_REFERENCE);
    CHECK_EQ_INT(last_ev(EV_CREATE)->result, 0);
}

TEST(create_fails_eexist_only_after_a_successful_create)
{
    /* a failed create does not make the name exist */
    RUN("kthread k\nspawn p\nk create f\np create f\np close f\n",
        POLICY_KMOD);
    REQUIRE(next_ev(0, EV_CREATE) >= 0);
    CHECK_EQ_INT(ev(next_ev(0, EV_CREATE))->result, -ERR_EIO);
    CHECK_EQ_INT(last_ev(EV_CREATE)->result, 0);
    CHECK_EQ_INT(file("f").state, FILE_SEALED);
    RUN("spawn p\np create f\np close f\np create f as g\n",
        POLICY_REFERENCE);
    CHECK_EQ_INT(last_ev(EV_CREATE)->result, -ERR_EEXIST);
    CHECK_EQ_INT(file("f").state, FILE_SEALED);
}

/* ------------------------------------------------------------- sanitize */

TEST(sanitize_drops_exactly_the_bad_statements)
{
    const char *text = "spawn p\n"           /* 1 keep */
                       "p create f\n"        /* 2 keep */
                       "q create g\n"        /* 3 unknown task */
                       "p close f\n"         /* 4 keep */
                       "p close f\n"         /* 5 fd not open */
                       "p vfork c\n"         /* 6 keep */
                       "p create h\n"        /* 7 suspended */
                       "c exit\n"            /* 8 keep */
                       "p create h\n"        /* 9 keep */
                       "kthread k\n"         /* 10 keep */
                       "k exec\n"            /* 11 kthread */
                       "spawn p\n"           /* 12 name reused */
                       "kill k\n"            /* 13 keep */
                       "expect g transient\n" /* 14 g no longer created */
                       "expect h sealed 0\n"; /* 15 keep */
    REQUIRE(parse(text) == 0);
    model_sanitize(M, &P);
    const uint32_t keep[] = {1, 2, 4, 6, 8, 9, 10, 13, 15};
    REQUIRE(P.nsteps == sizeof keep / sizeof keep[0]);
    for (uint32_t i = 0; i < P.nsteps; i++)
        CHECK_EQ_INT(P.steps[i].line, keep[i]);
    for (int pol = 0; pol < POLICY_COUNT; pol++)
        CHECK_EQ_INT(model_run(M, &P, (enum policy)pol, &E), 0);
}

TEST(sanitize_leaves_valid_program_unchanged)
{
    const char *text =
        "spawn p\np thread t\np create f\np create x cloexec\n"
        "t create g as d\n"
        "p vfork c\nc exec\nt exec\nt fork q\nq close f\nkthread k\n"
        "k create h\nk send h q as e\nkill k\nkill p\nexpect h sealed 0\n";
    REQUIRE(parse(text) == 0);
    REQUIRE(model_check(M, &P, &E) == 0);
    memcpy(&P2, &P, sizeof P);
    model_sanitize(M, &P);
    CHECK_EQ_INT(P.nsteps, P2.nsteps);
    CHECK(memcmp(P.steps, P2.steps, P.nsteps * sizeof P.steps[0]) == 0);
}
int main(void)
{
    return run_tests();
}
