/* test_model.c - the model against the Linux facts of SPEC §2.  Every case
 * is a short trace text, parsed, run (whole or statement by statement), then
 * inspected through the model's views and its history.  Expectations come
 * from the SPEC, not from the code.  Validity rules: test_validity.c. */
#include "model_fixture.h"

/* ------------------------------------------------------------- fork */

TEST(fork_new_process_private_mm_copied_fd_table_same_open_file)
{
    LOAD("spawn p\np create f\np create g\np fork q\n");
    struct task_view p = task("p"), q = task("q");
    CHECK(q.proc != p.proc);
    CHECK_EQ_INT(q.leader, TK("q"));
    CHECK(p.mm != 0 && q.mm != 0 && q.mm != p.mm);
    CHECK_EQ_INT(mm_users(p.mm), 1);
    CHECK_EQ_INT(mm_users(q.mm), 1);
    CHECK(q.fd_table >= 0 && q.fd_table != p.fd_table);
    CHECK_EQ_INT(p.fd_table_refs, 1);
    CHECK_EQ_INT(q.fd_table_refs, 1);
    CHECK_EQ_INT(file("f").open_refs, 2);
    CHECK_EQ_INT(fdnum("q", "f"), 3);
    CHECK_EQ_INT(fdnum("q", "g"), 4);
    CHECK_EQ_INT(count_ev(EV_FLUSH), 0);
}

TEST(fork_child_close_flushes_in_child_context_parent_fd_stays)
{
    LOAD("spawn p\np create f\np fork q\nq close f\n");
    REQUIRE(flushes() == 1);
    FLUSH_IS(0, "q", "f", 3, CLOSE_SYSCALL, task("q").slot, task("q").mm);
    CHECK_EQ_INT(fls[0]->decision, FLUSH_IGNORE); /* not the creator */
    CHECK_EQ_INT(fdnum("p", "f"), 3);
    CHECK_EQ_INT(file("f").open_refs, 1);
    CHECK_EQ_INT(file("f").state, FILE_TRANSIENT);
}

/* ------------------------------------------------------------- vfork */

TEST(vfork_child_shares_parent_mm_parent_suspended_fd_table_copied)
{
    LOAD("spawn p\np create f\np vfork q\n");
    struct task_view p = task("p"), q = task("q");
    CHECK(q.proc != p.proc);
    CHECK(p.mm != 0);
    CHECK_EQ_INT(q.mm, p.mm);
    CHECK_EQ_INT(mm_users(p.mm), 2);
    CHECK(p.suspended);
    CHECK(q.fd_table != p.fd_table);
    CHECK_EQ_INT(file("f").open_refs, 2);
    CHECK_EQ_INT(fdnum("q", "f"), 3);
}

TEST(vfork_statement_by_suspended_parent_is_trace_error)
{
    EXPECT_ERROR("spawn p\np create f\np vfork q\np write f 1\n", 4,
                 "suspended");
    EXPECT_ERROR("spawn p\np vfork q\np thread t\n", 3, "suspended");
    EXPECT_ERROR("spawn p\np vfork q\np exit\n", 3, "suspended");
}

TEST(vfork_other_thread_of_parent_may_act)
{
    RUN("spawn p\np thread t\np vfork q\nt create g\nt close g\n",
        POLICY_REFERENCE);
    CHECK_EQ_INT(file("g").state, FILE_SEALED);
}

TEST(vfork_parent_resumes_when_child_execs)
{
    LOADN("spawn p\np create f\np vfork q\nq exec\np write f 1\n", 4);
    struct task_view p = task("p"), q = task("q");
    CHECK(!p.suspended);
    CHECK(q.mm != 0 && q.mm != p.mm);
    CHECK_EQ_INT(mm_users(p.mm), 1);
    STEP_TO(5);
    CHECK_EQ_INT(last_ev(EV_WRITE)->result, 0);
}

static void vfork_resume(const char *how)
{
    char text[96];
    snprintf(text, sizeof text, "spawn p\np vfork q\n%s\np create f\n", how);
    LOADN(text, 3);
    CHECK(!task("p").suspended);
    CHECK_EQ_INT(task("q").state, TASK_DEAD);
    CHECK_EQ_INT(mm_users(task("p").mm), 1);
    STEP_TO(4);
}
TEST(vfork_parent_resumes_when_child_exits) { vfork_resume("q exit"); }
TEST(vfork_parent_resumes_when_child_killed) { vfork_resume("kill q"); }
TEST(vfork_parent_resumes_when_child_exit_groups)
{
    vfork_resume("q exit_group");
}

TEST(kill_of_suspended_vfork_parent_is_valid)
{
    LOAD("spawn p\np vfork q\nkill p\nq exit\n");
    CHECK_EQ_INT(task("p").state, TASK_DEAD);
    CHECK_EQ_INT(count_ev(EV_DEATH), 2);
}

/* ------------------------------------------------------------- thread */

TEST(thread_same_proc_same_mm_same_fd_table_leader_unchanged)
{
    LOAD("spawn p\np thread t\nt create f\n");
    struct task_view p = task("p"), t = task("t");
    CHECK_EQ_INT(t.proc, p.proc);
    CHECK_EQ_INT(t.leader, TK("p"));
    CHECK(t.slot != 0 && t.slot != p.slot);
    CHECK_EQ_INT(t.mm, p.mm);
    CHECK_EQ_INT(mm_users(p.mm), 2);
    CHECK_EQ_INT(t.fd_table, p.fd_table);
    CHECK_EQ_INT(p.fd_table_refs, 2);
    CHECK_EQ_INT(fdnum("p", "f"), 3);
    CHECK_EQ_INT(file("f").open_refs, 1);
}

/* ------------------------------------------------------------- unshare */

TEST(unshare_files_private_copy_only_when_shared_flushes_nothing)
{
    LOADN("spawn p\np create f\np unshare_files\np thread t\n"
          "t unshare_files\nt close f\n", 2);
    int before = task("p").fd_table;
    STEP_TO(3);
    CHECK_EQ_INT(task("p").fd_table, before); /* not shared: no copy */
    CHECK_EQ_INT(task("p").fd_table_refs, 1);
    STEP_TO(4);
    CHECK_EQ_INT(task("t").fd_table, task("p").fd_table);
    CHECK_EQ_INT(task("p").fd_table_refs, 2);
    STEP_TO(5);
    CHECK(task("t").fd_table != task("p").fd_table);
    CHECK_EQ_INT(task("p").fd_table_refs, 1);
    CHECK_EQ_INT(task("t").fd_table_refs, 1);
    CHECK_EQ_INT(file("f").open_refs, 2);
    CHECK_EQ_INT(fdnum("t", "f"), 3);
    CHECK_EQ_INT(count_ev(EV_FLUSH), 0);
    STEP_TO(6);
    CHECK_EQ_INT(fdnum("t", "f"), -1);
    CHECK_EQ_INT(fdnum("p", "f"), 3);
    CHECK_EQ_INT(file("f").open_refs, 1);
}

/* ------------------------------------------------------------- closes */

static void close_by_thread(const char *op, enum close_cause cause)
{
    char text[128];
    snprintf(text, sizeof text,
             "spawn p\np thread t\np create f\nt %s f\n", op);
    LOAD(text);
    CHECK_EQ_INT(count_ev(EV_CLOSE), 1);
    REQUIRE(flushes() == 1);
    CHECK(task("t").mm != 0);
    FLUSH_IS(0, "t", "f", 3, cause, task("p").slot, task("t").mm);
    CHECK_EQ_INT(fls[0]->decision, FLUSH_SEAL);
    CHECK_EQ_INT(file("f").open_refs, 0);
    CHECK_EQ_INT(fdnum("p", "f"), -1);
}

TEST(close_flushes_once_in_callers_context)
{
    close_by_thread("close", CLOSE_SYSCALL);
}

TEST(uring_close_flushes_once_in_submitters_context)
{
    close_by_thread("uring_close", CLOSE_URING);
}

TEST(close_range_flushes_each_open_fd_ascending_one_flush_per_fd)
{
    LOADN("spawn p\np thread t\np create a\np create b\np create c\n"
          "p close b\np create d\np create a as x\nt close_range\n", 8);
    CHECK_EQ_INT(fdnum("p", "d"), 4);
    STEP_TO(9);
    REQUIRE(flushes() == 4); /* b's close(2), then a, d, c */
    const char *want[3] = {"a", "d", "c"};
    for (int i = 0; i < 3; i++)
        FLUSH_IS(i + 1, "t", want[i], 3 + i, CLOSE_RANGE, task("p").slot,
                 task("p").mm);
    CHECK_EQ_INT(fdnum("p", "a"), -1);
}

TEST(dup2_onto_open_fd_flushes_once_cause_dup2_reuses_its_number)
{
    LOAD("spawn p\np create a\np create b\np dup2 a b\np dup2 a c\n");
    REQUIRE(flushes() == 1);
    FLUSH_IS(0, "p", "b", 4, CLOSE_DUP2, task("p").slot, task("p").mm);
    CHECK_EQ_INT(fdnum("p", "b"), 4);
    CHECK_EQ_INT(fdnum("p", "c"), 5); /* onto an unbound name: no flush */
    CHECK_EQ_INT(file("a").open_refs, 3);
    CHECK_EQ_INT(file("b").open_refs, 0);
}

/* ------------------------------------------------------------- fd numbers */

TEST(fds_numbered_from_3_lowest_free_first)
{
    LOAD("spawn p\np create a\np create b\np create c\np close a\n"
         "p create d\np dup b e\np close c\np dup d g\n");
    CHECK_EQ_INT(fdnum("p", "b"), 4);
    CHECK_EQ_INT(fdnum("p", "d"), 3);
    CHECK_EQ_INT(fdnum("p", "e"), 6);
    CHECK_EQ_INT(fdnum("p", "g"), 5);
}

TEST(failed_create_binds_name_but_takes_no_fd_number)
{
    LOADN("spawn p\np create f\np create f as g\np create h\np write g 1\n"
          "p fork q\np close g\nq write g 1\n", 3);
    const struct event *c = last_ev(EV_CREATE);
    CHECK_EQ_INT(c->result, -ERR_EEXIST);
    CHECK_EQ_INT(fdnum("p", "g"), -1);
    CHECK_EQ_INT(task("p").nfds, 2);
    CHECK_EQ_INT(file("f").open_refs, 1);
    STEP_TO(4);
    CHECK_EQ_INT(fdnum("p", "h"), 4);
    STEP_TO(5);
    CHECK_EQ_INT(last_ev(EV_WRITE)->result, -ERR_EBADF);
    STEP_TO(8); /* the failed name was copied by fork */
    CHECK_EQ_INT(last_ev(EV_WRITE)->task, TK("q"));
    CHECK_EQ_INT(last_ev(EV_WRITE)->result, -ERR_EBADF);
    CHECK_EQ_INT(count_ev(EV_FLUSH), 0);
    CHECK_EQ_INT(task("p").nfds, 2); /* f and h */
}

/* ------------------------------------------------------------- exec */

TEST(exec_de_thread_kills_other_threads_each_gets_exit)
{
    LOAD("spawn p\np thread t\np thread u\np exec\n");
    int x1 = next_ev(0, EV_EXIT), x2 = next_ev(x1 + 1, EV_EXIT);
    REQUIRE(x1 >= 0 && x2 >= 0);
    CHECK_EQ_INT(next_ev(x2 + 1, EV_EXIT), -1);
    CHECK_EQ_INT(ev(x1)->task, TK("t"));
    CHECK_EQ_INT(ev(x2)->task, TK("u"));
    CHECK_EQ_INT(task("t").state, TASK_DEAD);
    CHECK_EQ_INT(task("u").state, TASK_DEAD);
    CHECK_EQ_INT(task("p").leader, TK("p"));
    CHECK_EQ_INT(task("p").fd_table_refs, 1);
    CHECK_EQ_INT(count_ev(EV_DEATH), 0);
}

TEST(exec_from_nonleader_takes_over_leader_and_releases_every_other_slot)
{
    LOADN("spawn p\np thread t\np thread u\np thread v\nt exec\n"
          "t fork a reuses p\nt fork b reuses v\nt fork c reuses u\n"
          "t fork d\n", 4);
    uint32_t sp = task("p").slot, st = task("t").slot, su = task("u").slot,
             sv = task("v").slot;
    uint16_t proc = task("t").proc;
    STEP_TO(5);
    CHECK_EQ_INT(task("t").leader, TK("t"));
    CHECK_EQ_INT(task("t").slot, st); /* keeps its task_struct */
    CHECK_EQ_INT(task("t").proc, proc);
    CHECK_EQ_INT(task("p").slot, 0);
    CHECK_EQ_INT(task("u").slot, 0);
    CHECK_EQ_INT(task("v").slot, 0);
    CHECK_EQ_INT(count_ev(EV_EXIT), 3);
    STEP_TO(9);
    /* p, u and v were all released: any of them may be reused, in any
     * order, as the statements say */
    CHECK_EQ_INT(task("a").slot, sp);
    CHECK_EQ_INT(task("b").slot, sv);
    CHECK_EQ_INT(task("c").slot, su);
    /* without `reuses`: fresh memory */
    uint32_t sd = task("d").slot;
    CHECK(sd != sp && sd != st && sd != su && sd != sv);
}

TEST(exec_new_mm_old_mm_freed_when_unused)
{
    LOADN("spawn p\np thread t\np exec\n", 2);
    uint32_t old = task("p").mm;
    CHECK_EQ_INT(mm_users(old), 2);
    STEP_TO(3);
    uint32_t now = task("p").mm;
    CHECK(now != 0 && now != old);
    CHECK_EQ_INT(mm_users(now), 1);
    CHECK_EQ_INT(mm_users(old), 0);
    CHECK_EQ_INT(mm_grabs(old), 0);
}

TEST(exec_flushes_cloexec_fds_with_new_mm_ascending_others_survive)
{
    LOADN("spawn p\np create a cloexec\np create b\np create c cloexec\n"
          "p exec\n", 4);
    uint32_t old = task("p").mm;
    STEP_TO(5);
    uint32_t now = task("p").mm;
    CHECK(now != 0 && now != old);
    REQUIRE(flushes() == 2);
    FLUSH_IS(0, "p", "a", 3, CLOSE_CLOEXEC, task("p").slot, now);
    FLUSH_IS(1, "p", "c", 5, CLOSE_CLOEXEC, task("p").slot, now);
    CHECK_EQ_INT(fls[0]->decision, FLUSH_SEAL);
    CHECK_EQ_INT(fls[1]->decision, FLUSH_SEAL);
    CHECK_EQ_INT(fdnum("p", "a"), -1);
    CHECK_EQ_INT(fdnum("p", "b"), 4);
    CHECK_EQ_INT(file("b").open_refs, 1);
    CHECK_EQ_INT(file("b").state, FILE_TRANSIENT);
}

TEST(exec_from_nonleader_cloexec_flush_has_new_leader_and_new_mm)
{
    LOAD("spawn p\np thread t\np create a cloexec\nt exec\n");
    REQUIRE(flushes() == 1);
    CHECK(task("t").mm != 0);
    FLUSH_IS(0, "t", "a", 3, CLOSE_CLOEXEC, task("t").slot, task("t").mm);
}

/* ------------------------------------------------------------- exit */

TEST(thread_exit_mm_null_shared_table_not_flushed_slot_freed)
{
    LOAD("spawn p\np create f\np thread t\nt exit\n");
    REQUIRE(count_ev(EV_EXIT) == 1);
    CHECK_EQ_INT(last_ev(EV_EXIT)->task, TK("t"));
    CHECK_EQ_INT(task("t").state, TASK_DEAD);
    CHECK_EQ_INT(task("t").slot, 0);
    CHECK_EQ_INT(task("t").mm, 0);
    CHECK_EQ_INT(count_ev(EV_FLUSH), 0);
    CHECK_EQ_INT(count_ev(EV_DEATH), 0);
    CHECK_EQ_INT(task("p").fd_table_refs, 1);
    CHECK_EQ_INT(mm_users(task("p").mm), 1);
}

TEST(thread_exit_last_table_reference_flushes_with_null_mm)
{
    LOAD("spawn p\np create f\np thread t\nt unshare_files\nt exit\n");
    REQUIRE(flushes() == 1);
    FLUSH_IS(0, "t", "f", 3, CLOSE_TEARDOWN, task("p").slot, 0);
    CHECK(next_ev(0, EV_EXIT) < next_ev(0, EV_FLUSH));
    CHECK_EQ_INT(count_ev(EV_DEATH), 0);
    CHECK_EQ_INT(fls[0]->decision, FLUSH_IGNORE); /* process lives on */
    CHECK_EQ_INT(file("f").state, FILE_TRANSIENT);
    CHECK_EQ_INT(file("f").open_refs, 1);
}

TEST(leader_exit_early_zombie_stays_group_leader_mm_null_others_continue)
{
    LOADN("spawn p\np thread t\np exit\nt create f\nt close f\nt exit\n", 3);
    uint32_t sp = task("p").slot;
    CHECK_EQ_INT(task("p").state, TASK_ZOMBIE);
    CHECK(sp != 0 && task("p").mm == 0);
    CHECK_EQ_INT(task("t").state, TASK_ALIVE);
    CHECK_EQ_INT(task("t").leader, TK("p"));
    CHECK(task("t").mm != 0);
    CHECK_EQ_INT(count_ev(EV_DEATH), 0);
    STEP_TO(5);
    REQUIRE(flushes() == 1);
    FLUSH_IS(0, "t", "f", 3, CLOSE_SYSCALL, sp, task("t").mm);
    STEP_TO(6);
    CHECK_EQ_INT(count_ev(EV_DEATH), 1);
    CHECK_EQ_INT(task("p").state, TASK_DEAD);
    CHECK_EQ_INT(task("p").slot, 0);
    CHECK_EQ_INT(task("t").state, TASK_DEAD);
}

TEST(last_thread_exit_kills_process_death_before_its_flushes)
{
    LOADN("spawn p\np create f\np create g\np exit\n", 3);
    uint32_t sp = task("p").slot;
    STEP_TO(4);
    int d = next_ev(0, EV_DEATH), x = next_ev(0, EV_EXIT);
    REQUIRE(d >= 0 && x >= 0);
    CHECK_EQ_INT(ev(d)->proc, task("p").proc);
    REQUIRE(flushes() == 2);
    CHECK(d < next_ev(0, EV_FLUSH));
    CHECK(x < next_ev(0, EV_FLUSH));
    FLUSH_IS(0, "p", "f", 3, CLOSE_TEARDOWN, sp, 0);
    FLUSH_IS(1, "p", "g", 4, CLOSE_TEARDOWN, sp, 0);
    CHECK_EQ_INT(fls[0]->decision, FLUSH_ABORT);
    CHECK_EQ_INT(fls[1]->decision, FLUSH_ABORT);
    CHECK_EQ_INT(task("p").state, TASK_DEAD);
    CHECK_EQ_INT(file("f").state, FILE_ABORTED);
}

/* ------------------------------------------------------------- group death */

TEST(exit_group_death_first_all_exit_mm_then_last_holder_flushes_in_order)
{
    LOADN("spawn p\np create a\np thread t\nt unshare_files\nt create b\n"
          "p thread u\nu exit_group\n", 6);
    uint32_t sp = task("p").slot;
    STEP_TO(7);
    int d = next_ev(0, EV_DEATH), f0 = next_ev(0, EV_FLUSH);
    REQUIRE(d >= 0 && f0 >= 0);
    CHECK(d < next_ev(0, EV_EXIT));
    CHECK_EQ_INT(count_ev(EV_EXIT), 3);
    int lastx = -1;
    for (int i = next_ev(0, EV_EXIT); i >= 0; i = next_ev(i + 1, EV_EXIT))
        lastx = i;
    CHECK(lastx < f0); /* every exit_mm before any flush */
    REQUIRE(flushes() == 3);
    /* creation order p, t, u: p's drop leaves u holding; t's table goes,
     * then u's (the last holder of the shared one) */
    FLUSH_IS(0, "t", "a", 3, CLOSE_TEARDOWN, sp, 0);
    FLUSH_IS(1, "t", "b", 4, CLOSE_TEARDOWN, sp, 0);
    FLUSH_IS(2, "u", "a", 3, CLOSE_TEARDOWN, sp, 0);
    CHECK_EQ_INT(file("a").state, FILE_ABORTED);
    CHECK_EQ_INT(file("b").state, FILE_ABORTED);
}

TEST(kill_death_first_then_teardown_flushes_ascending_with_null_mm)
{
    LOADN("spawn p\np create a\np create b\np create c\np close a\n"
          "p create d\np thread t\nkill t\n", 7);
    uint32_t sp = task("p").slot;
    STEP_TO(8);
    int d = next_ev(0, EV_DEATH);
    REQUIRE(d >= 0);
    REQUIRE(flushes() == 4);
    CHECK(d < next_ev(next_ev(0, EV_FLUSH) + 1, EV_FLUSH));
    const char *want[3] = {"d", "b", "c"};
    for (int i = 0; i < 3; i++) { /* t: the last holder of the table */
        FLUSH_IS(i + 1, "t", want[i], 3 + i, CLOSE_TEARDOWN, sp, 0);
        CHECK_EQ_INT(fls[i + 1]->decision, FLUSH_ABORT);
    }
}

/* ------------------------------------------------------------- send */

TEST(send_gives_receiver_lowest_free_fd_in_its_table_same_open_file)
{
    LOAD("spawn p\nspawn q\nq create x\nq create y\nq close x\np create f\n"
         "p create g\np send g q\np send f q as h\n");
    CHECK_EQ_INT(fdnum("p", "g"), 4);
    CHECK_EQ_INT(fdnum("q", "g"), 3);
    CHECK_EQ_INT(fdnum("q", "h"), 5);
    CHECK_EQ_INT(fdnum("q", "f"), -1);
    CHECK_EQ_INT(file("g").open_refs, 2);
    CHECK_EQ_INT(file("f").open_refs, 2);
    CHECK_EQ_INT(count_ev(EV_FLUSH), 1); /* only q's close of x */
}

/* ------------------------------------------------------------- slots */

TEST(new_task_gets_fresh_memory_unless_it_says_reuses)
{
    LOADN("spawn p\nspawn q\nq exit\nspawn r\nspawn r2 reuses q\n"
          "p thread t\nt exit\np fork s reuses t\n", 2);
    uint32_t sp = task("p").slot, sq = task("q").slot;
    STEP_TO(4);
    CHECK(task("r").slot != sq && task("r").slot != sp); /* v1 was LIFO */
    STEP_TO(5);
    CHECK_EQ_INT(task("r2").slot, sq);
    STEP_TO(6);
    uint32_t st = task("t").slot;
    STEP_TO(8);
    CHECK_EQ_INT(task("s").slot, st);
}

TEST(leader_released_when_last_thread_exits_reuses_any_released_task)
{
    LOADN("spawn p\np thread t\np exit\nspawn x\nt exit\n"
          "spawn y reuses t\nkthread z reuses p\n", 3);
    uint32_t sp = task("p").slot, st = task("t").slot;
    STEP_TO(4);
    CHECK(task("x").slot != sp && task("x").slot != st);
    STEP_TO(7);
    CHECK_EQ_INT(task("y").slot, st);
    CHECK_EQ_INT(task("z").slot, sp);
}

TEST(reuses_names_a_released_task_not_yet_reused)
{
    EXPECT_ERROR("spawn p\nspawn q reuses p\n", 2, "not released");
    EXPECT_ERROR("spawn p\np thread t\np exit\nspawn q reuses p\n", 4,
                 "zombie leader");
    EXPECT_ERROR("spawn p\nspawn q reuses x\nspawn x\n", 2,
                 "unknown task");
    EXPECT_ERROR("spawn p\np exit\nspawn q reuses p\nspawn r reuses p\n",
                 4, "already reused by 'q'");
    /* once the reusing task is released in turn, its memory is free again */
    LOAD("spawn p\np exit\nspawn q reuses p\nq exit\nspawn r reuses q\n");
    CHECK_EQ_INT(task("r").slot, 1);
}

TEST(stale_leader_pointer_kmod_child_in_old_leader_slot_seals)
{
    const char *text = "spawn p\np thread t\np create f\nt exec\n"
                       "t fork q reuses p\nq close f\n";
    REQUIRE(load_n(text, POLICY_KMOD, 3) == 0);
    uint32_t sp = task("p").slot;
    CHECK_EQ_INT(file("f").owner, sp);
    STEP_TO(5);
    CHECK_EQ_INT(task("q").slot, sp);
    CHECK(task("q").proc != task("t").proc);
    STEP_TO(6);
    REQUIRE(flushes() == 1);
    CHECK(task("q").mm != 0);
    FLUSH_IS(0, "q", "f", 3, CLOSE_SYSCALL, file("f").owner, task("q").mm);
    CHECK_EQ_INT(fls[0]->decision, FLUSH_SEAL);
    CHECK_EQ_INT(file("f").state, FILE_SEALED);
    /* the reference policy compares identities, not pointers */
    REQUIRE(load_n(text, POLICY_REFERENCE, 0) == 0);
    REQUIRE(flushes() == 1);
    CHECK_EQ_INT(fls[0]->ctx_leader, file("f").owner);
    CHECK_EQ_INT(fls[0]->decision, FLUSH_IGNORE);
}

/* ------------------------------------------------------------- mm grab */

TEST(mm_grabbed_by_file_not_reused_until_released)
{
    const char *text = "spawn p\np create f\np exec\nspawn q\np fork r\n"
                       "p close f\n";
    REQUIRE(load_n(text, POLICY_KMOD, 2) == 0);
    uint32_t m1 = task("p").mm;
    CHECK_EQ_INT(file("f").owner_mm, m1);
    CHECK_EQ_INT(mm_users(m1), 1);
    CHECK_EQ_INT(mm_grabs(m1), 1);
    STEP_TO(3);
    CHECK(task("p").mm != m1);
    CHECK_EQ_INT(mm_users(m1), 0);
    CHECK_EQ_INT(mm_grabs(m1), 1);
    STEP_TO(5);
    CHECK(task("q").mm != m1);
    CHECK(task("r").mm != m1);
    STEP_TO(6); /* p's close drops one of two fds: still grabbed */
    CHECK_EQ_INT(mm_grabs(m1), 1);
    model_finish(M); /* r's teardown drops the last fd */
    CHECK_EQ_INT(mm_grabs(m1), 0);
}

/* ------------------------------------------------------------- end of trace */

TEST(end_of_trace_kills_live_processes_in_creation_order_not_kthreads)
{
    RUN("spawn a\nkthread k\nspawn b\nb create fb\na create fa\n"
        "k create fk\n", POLICY_REFERENCE);
    int d1 = next_ev(0, EV_DEATH), d2 = next_ev(d1 + 1, EV_DEATH);
    REQUIRE(d1 >= 0 && d2 >= 0);
    CHECK_EQ_INT(next_ev(d2 + 1, EV_DEATH), -1);
    CHECK_EQ_INT(ev(d1)->proc, task("a").proc);
    CHECK_EQ_INT(ev(d2)->proc, task("b").proc);
    REQUIRE(flushes() == 2);
    CHECK_EQ_INT(fls[0]->file, FL("fa"));
    CHECK_EQ_INT(fls[1]->file, FL("fb"));
    CHECK(d1 < next_ev(0, EV_FLUSH) && next_ev(0, EV_FLUSH) < d2);
    CHECK_EQ_INT(task("k").state, TASK_ALIVE);
    CHECK_EQ_INT(file("fk").state, FILE_TRANSIENT);
    CHECK_EQ_INT(file("fk").open_refs, 1);
}

int main(void)
{
    return run_tests();
}
