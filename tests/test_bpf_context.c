/* test_bpf_context.c - the BPF flush contexts against SPEC §2, on a real
 * mount of `ternrig fs --context bpf`: for each kind of flush (explicit
 * close, forked child's exit, killed child, SIGKILLed multi-threaded
 * process, close-on-exec by the leader and by a non-leader thread, a
 * thread with a private fd table exiting, io_uring close, a fork cut by
 * SIGKILL closing the child's copy of the table) the context the
 * kernel's task showed when it sent the request (task and group_leader
 * pointers, mm, group_leader->mm, start time, exiting) and the kmod
 * decision made on it; the candidates' facts (the fds of the flusher's
 * table on the flushed open file, the exit code); and the close(2) counts
 * of fuse-closetracker.
 * Needs root, /dev/fuse and BPF (BTF, no lockdown): skipped with the reason
 * otherwise (exit 77). */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "bpf_context.h"
#include "fs_fixture.h"
#include "check.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

static struct real_mount K; /* policy kmod */
static struct real_mount C; /* policy fuse-closetracker */
static char *self_exe;

/* ---- the log ---- */

struct logrec {
    bool found;
    long tid, tgid, live, closes, table_fds, exit_code;
    uint64_t task, leader, mm, leader_mm, start_ns, owner, owner_mm;
    bool exiting, group_exit, other_mm_alive;
    char decision[16];
};

static const char *key(const char *line, size_t len, const char *k)
{
    char want[48];
    snprintf(want, sizeof want, "\"%s\":", k);
    const char *p = memmem(line, len, want, strlen(want));
    if (!p)
        return NULL;
    p += strlen(want);
    return *p == '"' ? p + 1 : p;
}

static uint64_t num(const char *line, size_t len, const char *k)
{
    const char *p = key(line, len, k);
    return p ? strtoull(p, NULL, 0) : 0;
}

static bool flag(const char *line, size_t len, const char *k)
{
    const char *p = key(line, len, k);
    return p && !strncmp(p, "true", 4);
}

/* The nth (from 0) log line of `op` ("create" or "flush") on file `name`
 * in the mount's log. */
static struct logrec logged(const struct real_mount *m, const char *op,
                            const char *name, int nth)
{
    static char l[4096];
    struct logrec r = {0};
    char want_op[32];
    snprintf(want_op, sizeof want_op, "\"op\":\"%s\"", op);
    if (!log_line(m, name, want_op, nth, l, sizeof l))
        return r;
    size_t len = strlen(l);
    r.found = true;
    r.tid = (long)num(l, len, "tid");
    r.tgid = (long)num(l, len, "tgid");
    r.live = (long)num(l, len, "live");
    r.closes = (long)num(l, len, "closes");
    r.table_fds = (long)(int64_t)num(l, len, "table_fds");
    r.exit_code = (long)num(l, len, "exit_code");
    r.task = num(l, len, "task");
    r.leader = num(l, len, "leader");
    r.mm = num(l, len, "mm");
    r.leader_mm = num(l, len, "leader_mm");
    r.start_ns = num(l, len, "start_ns");
    r.owner = num(l, len, "owner");
    r.owner_mm = num(l, len, "owner_mm");
    r.exiting = flag(l, len, "exiting");
    r.group_exit = flag(l, len, "group_exit");
    r.other_mm_alive = flag(l, len, "other_mm_alive");
    const char *d = key(l, len, "decision");
    if (d)
        snprintf(r.decision, sizeof r.decision, "%.*s",
                 (int)strcspn(d, "\""), d);
    return r;
}

/* ---- tasks ---- */

static int create_in(const struct real_mount *m, const char *name,
                     int flags)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", m->dir, name);
    return open(p, O_CREAT | O_EXCL | O_WRONLY | flags, 0644);
}

/* Wait (10 s at most) until thread `tid` has exited: a thread pidfd turns
 * readable after exit_files, so its flushes are logged by then. */
static bool wait_thread_exit(int pidfd)
{
    struct pollfd p = {pidfd, POLLIN, 0};
    return pidfd >= 0 && poll(&p, 1, 10000) == 1;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

/* A child that runs `fn` and reports on a pipe when it reached `ready`. */
static int ready_pipe[2];
static void say_ready(void)
{
    (void)!write(ready_pipe[1], "r", 1);
}
static bool wait_ready(void)
{
    struct pollfd p = {ready_pipe[0], POLLIN, 0};
    char c;
    return poll(&p, 1, 10000) == 1 && read(ready_pipe[0], &c, 1) == 1;
}

static int exited_ok(pid_t c)
{
    int st;
    return waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---- SPEC §2, flush by flush ---- */

TEST(create_records_the_creators_task_leader_and_mm)
{
    int fd = create_in(&K, "c1", 0);
    REQUIRE(fd >= 0);
    struct logrec c = logged(&K, "create", "c1", 0);
    REQUIRE(c.found);
    CHECK_EQ_INT(c.tid, gettid());
    CHECK_EQ_INT(c.tgid, getpid());
    CHECK(c.task != 0 && c.task == c.leader); /* the leader thread */
    CHECK(c.mm != 0 && c.mm == c.leader_mm);
    CHECK(c.start_ns != 0);
    CHECK(!c.exiting);
    /* an explicit close: the caller's context, the same pointers */
    CHECK(close(fd) == 0);
    struct logrec f = logged(&K, "flush", "c1", 0);
    REQUIRE(f.found);
    CHECK(f.task == c.task && f.leader == c.leader && f.mm == c.mm);
    CHECK(f.owner == c.leader && f.owner_mm == c.leader_mm);
    CHECK_EQ_INT(f.closes, -1); /* counted under fuse-closetracker only */
    CHECK_EQ_STR(f.decision, "seal");
}

TEST(close_by_another_thread_shows_that_thread_and_the_same_leader)
{
    struct thread_close t = {create_in(&K, "c2", 0), 0};
    REQUIRE(t.fd >= 0);
    pthread_t th;
    pthread_create(&th, NULL, close_and_report, &t);
    pthread_join(th, NULL);
    struct logrec c = logged(&K, "create", "c2", 0);
    struct logrec f = logged(&K, "flush", "c2", 0);
    REQUIRE(c.found && f.found);
    CHECK_EQ_INT(f.tid, t.tid);
    CHECK(f.task != c.task && f.leader == c.leader); /* same group_leader */
    CHECK(f.mm == c.mm);
    CHECK_EQ_STR(f.decision, "seal");
}

TEST(forked_child_exit_flushes_with_mm_null_under_its_own_leader)
{
    int fd = create_in(&K, "c3", 0);
    REQUIRE(fd >= 0);
    pid_t c = fork();
    if (c == 0)
        _exit(0); /* exit_group: its copy of the table is torn down */
    REQUIRE(exited_ok(c));
    struct logrec cr = logged(&K, "create", "c3", 0);
    struct logrec f = logged(&K, "flush", "c3", 0);
    REQUIRE(cr.found && f.found);
    CHECK_EQ_INT(f.tgid, c);
    CHECK(f.leader != cr.leader); /* a new process: another group_leader */
    CHECK_EQ_INT(f.mm, 0);        /* exit_mm before exit_files */
    CHECK(f.exiting && f.group_exit);
    CHECK_EQ_INT(f.exit_code, 0); /* _exit(0): a status, no signal */
    CHECK_EQ_INT(f.table_fds, -1); /* exit_files cleared current->files */
    CHECK_EQ_STR(f.decision, "ignore");
    close(fd);
    CHECK_EQ_STR(logged(&K, "flush", "c3", 1).decision, "seal");
}

/* The last-fd candidates' fact: at a flush, the fds of the flusher's
 * table on the flushed open file, the closed one already out of it.  A
 * forked child closes them (flushes the kmod ignores, so the file stays
 * transient and each flush is logged with the kernel's view). */
TEST(flush_counts_the_other_fds_of_the_table_on_the_open_file)
{
    int fd = create_in(&K, "cfd", 0);
    REQUIRE(fd >= 0);
    pid_t c = fork();
    if (c == 0) {
        int d = dup(fd), moved = dup2(fd, 100);
        bool ok = d >= 0 && moved == 100 && close(fd) == 0 &&
                  close(d) == 0 && close(moved) == 0;
        _exit(ok ? 0 : 1);
    }
    REQUIRE(exited_ok(c));
    long want[3] = {2, 1, 0};
    for (int i = 0; i < 3; i++) {
        struct logrec f = logged(&K, "flush", "cfd", i);
        REQUIRE(f.found);
        CHECK_EQ_INT(f.tgid, c);
        CHECK_EQ_INT(f.table_fds, want[i]);
        CHECK_EQ_INT(f.exit_code, 0); /* alive: no exit code yet */
        CHECK_EQ_STR(f.decision, "ignore");
    }
    close(fd);
}

TEST(killed_child_flushes_with_mm_null)
{
    int fd = create_in(&K, "c4", 0);
    REQUIRE(fd >= 0);
    REQUIRE(pipe(ready_pipe) == 0);
    pid_t c = fork();
    if (c == 0) {
        say_ready();
        sleeper(NULL);
    }
    CHECK(wait_ready());
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    close(ready_pipe[0]);
    close(ready_pipe[1]);
    struct logrec f = logged(&K, "flush", "c4", 0);
    REQUIRE(f.found);
    CHECK_EQ_INT(f.tgid, c);
    CHECK_EQ_INT(f.mm, 0);
    CHECK(f.exiting && f.group_exit);
    CHECK_EQ_INT(f.exit_code & 0x7f, SIGKILL); /* the clean-exit fact */
    CHECK_EQ_STR(f.decision, "ignore");
    close(fd);
}

TEST(sigkilled_multithreaded_creator_flushes_from_its_group_with_mm_null)
{
    REQUIRE(pipe(ready_pipe) == 0);
    pid_t c = fork();
    if (c == 0) {
        pthread_t t[3];
        for (int i = 0; i < 3; i++)
            pthread_create(&t[i], NULL, sleeper, NULL);
        if (create_in(&K, "c5", 0) >= 0)
            say_ready();
        sleeper(NULL);
    }
    CHECK(wait_ready());
    kill(c, SIGKILL);
    waitpid(c, NULL, 0); /* the leader is reaped after every thread */
    close(ready_pipe[0]);
    close(ready_pipe[1]);
    struct logrec cr = logged(&K, "create", "c5", 0);
    struct logrec f = logged(&K, "flush", "c5", 0);
    REQUIRE(cr.found && f.found);
    CHECK_EQ_INT(f.tgid, c);
    /* whichever thread drops the table last: its group_leader is the
     * creator's, its mm is NULL, and the process is dead */
    CHECK(f.leader == cr.leader);
    CHECK_EQ_INT(f.mm, 0);
    CHECK(f.exiting && f.group_exit && !f.other_mm_alive);
    /* the group's fate (signal->group_exit_code), whichever thread
     * flushes: a thread that has not reached do_exit's own exit_code
     * yet read 0 there, which the clean-exit candidates took for a
     * normal exit (the storm's visible-after-abort of 3 December) */
    CHECK_EQ_INT(f.exit_code & 0x7f, SIGKILL);
    CHECK_EQ_STR(f.decision, "abort");
}

/* A process SIGKILLed in the middle of fork(): copy_process has copied
 * the fd table into the child when it sees the fatal signal ("let kill
 * terminate clone/fork in the middle"), and its cleanup (exit_files of
 * the child) closes that copy in the forking thread's own context:
 * current is the creator, its mm still there, its group exiting.  To
 * every policy that reads (process, mm) or (group_leader) this is the
 * creator's close: kmod seals a file whose creator was killed and never
 * closed it (the reference storm's visible-after-abort of 3 December,
 * two in 15,000 scenarios, each during a fork whose worker was killed).
 * The kill has to land in that window: the creator maps 64 MB so that
 * copying its page tables keeps fork long, forks in a loop, and a thread
 * of its own kills it after a delay that grows with each attempt (the
 * delay is the experiment's stimulus, not a synchronization). */
static long fork_kill_delay_us;
static void *kill_own_process(void *arg)
{
    (void)arg;
    usleep((useconds_t)fork_kill_delay_us);
    kill(getpid(), SIGKILL);
    return NULL;
}

TEST(fork_killed_midway_closes_the_childs_copy_as_the_creator)
{
    const size_t len = 64u << 20;
    for (int attempt = 0; attempt < 40; attempt++) {
        char name[32];
        snprintf(name, sizeof name, "c11-%d", attempt);
        REQUIRE(pipe(ready_pipe) == 0);
        pid_t c = fork();
        if (c == 0) {
            int fd = create_in(&K, name, 0);
            char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (fd < 0 || m == MAP_FAILED)
                _exit(1);
            for (size_t i = 0; i < len; i += 4096)
                m[i] = 1;
            fork_kill_delay_us = 300 + 700L * attempt;
            pthread_t t;
            pthread_create(&t, NULL, kill_own_process, NULL);
            say_ready();
            for (;;) {
                pid_t g = fork();
                if (g == 0)
                    _exit(0);
                if (g > 0)
                    waitpid(g, NULL, 0);
            }
        }
        bool ready = wait_ready();
        int st;
        waitpid(c, &st, 0);
        close(ready_pipe[0]);
        close(ready_pipe[1]);
        REQUIRE(ready && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        /* the creator's flushes, in order: a fork's cleanup, if the kill
         * came in one, then its death */
        for (int k = 0;; k++) {
            struct logrec f = logged(&K, "flush", name, k);
            if (!f.found)
                break;
            if (f.tgid != c || f.mm == 0)
                continue; /* a grandchild's exit, or the death */
            printf("    attempt %d (kill after %ld us): the fork's cleanup "
                   "flushed as the creator\n",
                   attempt, 300 + 700L * attempt);
            struct logrec cr = logged(&K, "create", name, 0);
            REQUIRE(cr.found);
            CHECK_EQ_INT(f.tid, c);          /* the forking thread itself */
            CHECK(f.task == cr.task && f.leader == cr.leader);
            CHECK(f.mm == cr.mm);            /* its mm, not yet released */
            CHECK(f.group_exit && !f.exiting); /* killed, not in do_exit */
            CHECK_EQ_INT(f.table_fds, 1);    /* its own table keeps the fd */
            CHECK_EQ_STR(f.decision, "seal"); /* kmod: a killed creator's
                                                 file made visible */
            return;
        }
    }
    SKIP("40 kills, none landed inside a fork: the fact is not shown");
}

TEST(exec_by_the_leader_closes_cloexec_fds_with_the_new_mm)
{
    pid_t c = fork();
    if (c == 0) {
        if (create_in(&K, "c6", O_CLOEXEC) < 0)
            _exit(1);
        execl(self_exe, self_exe, "__exit", (char *)NULL);
        _exit(2);
    }
    REQUIRE(exited_ok(c));
    struct logrec cr = logged(&K, "create", "c6", 0);
    struct logrec f = logged(&K, "flush", "c6", 0);
    REQUIRE(cr.found && f.found);
    CHECK(f.tid == c && f.tgid == c);
    CHECK(f.task == cr.task && f.leader == cr.leader);
    CHECK(f.mm != 0 && f.mm != cr.mm); /* the new mm, not NULL */
    CHECK(f.start_ns == cr.start_ns);
    CHECK(!f.exiting);
    CHECK_EQ_STR(f.decision, "seal");
}

static void *exec_in_thread(void *arg)
{
    (void)arg;
    execl(self_exe, self_exe, "__exit", (char *)NULL);
    _exit(2);
}

TEST(exec_by_a_nonleader_thread_takes_the_pid_but_not_the_task_struct)
{
    pid_t c = fork();
    if (c == 0) {
        if (create_in(&K, "c7", O_CLOEXEC) < 0)
            _exit(1);
        pthread_t t;
        pthread_create(&t, NULL, exec_in_thread, NULL);
        sleeper(NULL); /* de_thread kills the old leader */
    }
    REQUIRE(exited_ok(c));
    struct logrec cr = logged(&K, "create", "c7", 0);
    struct logrec f = logged(&K, "flush", "c7", 0);
    REQUIRE(cr.found && f.found);
    CHECK(f.tid == c && f.tgid == c); /* took over the leader's pid */
    CHECK(f.task == f.leader);        /* and became group_leader */
    CHECK(f.leader != cr.leader);     /* the old leader's one is released */
    CHECK(f.start_ns == cr.start_ns); /* the process keeps its identity */
    CHECK(f.mm != 0 && f.mm != cr.mm);
    CHECK_EQ_STR(f.decision, "ignore"); /* kmod: owner != group_leader */
}

static void *unshare_create_exit(void *arg)
{
    int *fd = arg;
    if (unshare(CLONE_FILES) == 0)
        *fd = create_in(&K, "c8", 0);
    return NULL; /* exits holding the only table with c8 */
}

TEST(thread_with_a_private_table_exits_with_mm_null_while_process_lives)
{
    int fd = -1;
    pthread_t t;
    pthread_create(&t, NULL, unshare_create_exit, &fd);
    pthread_join(t, NULL);
    struct logrec cr = logged(&K, "create", "c8", 0);
    REQUIRE(cr.found && fd >= 0);
    /* pthread_join returns at exit_mm; exit_files comes after */
    int pfd = (int)syscall(SYS_pidfd_open, (pid_t)cr.tid, PIDFD_THREAD);
    CHECK(wait_thread_exit(pfd) || errno == ESRCH);
    if (pfd >= 0)
        close(pfd);
    struct logrec f = logged(&K, "flush", "c8", 0);
    REQUIRE(f.found);
    CHECK_EQ_INT(f.tid, cr.tid);
    CHECK(f.leader == cr.leader); /* the owner matches */
    CHECK_EQ_INT(f.mm, 0);
    CHECK(f.exiting && !f.group_exit && f.other_mm_alive && f.live >= 1);
    CHECK_EQ_STR(f.decision, "abort"); /* kmod: the lost file of SPEC §4 */
}

#ifdef TERNRIG_HAVE_URING
TEST(io_uring_close_flushes_from_a_worker_with_the_submitters_leader_and_mm)
{
    int fd = create_in(&K, "c9", 0);
    REQUIRE(fd >= 0);
    CHECK_EQ_INT(uring_close_fd(fd), 0);
    struct logrec cr = logged(&K, "create", "c9", 0);
    struct logrec f = logged(&K, "flush", "c9", 0);
    REQUIRE(cr.found && f.found);
    CHECK(f.tgid == getpid() && f.tid != gettid()); /* an io-wq worker */
    CHECK(f.leader == cr.leader && f.mm == cr.mm);
    CHECK_EQ_STR(f.decision, "seal");
}

TEST(closetracker_does_not_count_an_io_uring_close)
{
    int fd = create_in(&C, "k3", 0);
    REQUIRE(fd >= 0);
    int d = dup(fd);
    REQUIRE(d >= 0);
    CHECK_EQ_INT(uring_close_fd(d), 0);
    CHECK(close(fd) == 0);
    struct logrec f0 = logged(&C, "flush", "k3", 0);
    struct logrec f1 = logged(&C, "flush", "k3", 1);
    REQUIRE(f0.found && f1.found);
    CHECK(f0.closes == 0 && f1.closes == 1);
    CHECK_EQ_STR(f0.decision, "ignore");
    CHECK_EQ_STR(f1.decision, "seal");
}
#endif

/* fuse-closetracker: only close(2) counts, by any process; a seal consumes
 * the count.  close_range, dup2 over an fd and io_uring close do not. */
TEST(closetracker_counts_close_syscalls_only)
{
    int fd = create_in(&C, "k1", 0);
    REQUIRE(fd >= 0);
    int d = dup(fd);
    REQUIRE(d >= 0);
    CHECK(syscall(SYS_close_range, d, d, 0) == 0);
    d = dup(fd);
    int d2 = dup(fd);
    REQUIRE(d >= 0 && d2 >= 0);
    CHECK(dup2(d, d2) == d2); /* closes the old d2: a flush, no close(2) */
    CHECK(close(d) == 0);     /* counted: seals */
    const char *want[] = {"ignore", "ignore", "seal"};
    for (int i = 0; i < 3; i++) {
        struct logrec f = logged(&C, "flush", "k1", i);
        REQUIRE(f.found);
        CHECK_EQ_INT(f.closes, i < 2 ? 0 : 1);
        CHECK_EQ_STR(f.decision, want[i]);
    }
    close(d2);
    close(fd);
}

TEST(closetracker_counts_a_close_by_another_process)
{
    int fd = create_in(&C, "k2", 0);
    REQUIRE(fd >= 0);
    pid_t c = fork();
    if (c == 0)
        _exit(close(fd) == 0 ? 0 : 1);
    REQUIRE(exited_ok(c));
    struct logrec f = logged(&C, "flush", "k2", 0);
    REQUIRE(f.found);
    CHECK_EQ_INT(f.tgid, c);
    CHECK_EQ_INT(f.closes, 1);
    CHECK_EQ_STR(f.decision, "seal"); /* the closetracker's early seal */
    close(fd);
}

struct creator {
    char name[16];
    pid_t tid;
    int fd;
};

static void *create_and_report(void *arg)
{
    struct creator *c = arg;
    c->tid = gettid();
    c->fd = create_in(&K, c->name, 0);
    if (c->fd >= 0)
        close(c->fd);
    return NULL;
}

TEST(concurrent_requests_each_get_their_own_senders_record)
{
    /* eight threads create at once: their requests queue up together, and
     * each must be decided on its own sender's record (matched by the
     * request's unique id) */
    struct creator c[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        snprintf(c[i].name, sizeof c[i].name, "m%d", i);
        pthread_create(&t[i], NULL, create_and_report, &c[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++) {
        struct logrec cr = logged(&K, "create", c[i].name, 0);
        struct logrec f = logged(&K, "flush", c[i].name, 0);
        CHECK(cr.found && f.found);
        CHECK_EQ_INT(cr.tid, c[i].tid);
        CHECK_EQ_INT(f.tid, c[i].tid);
        CHECK_EQ_STR(f.decision, "seal");
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "__exit"))
        return 0; /* the image exec tests run */
    int early = fs_test_start(argc, argv);
    if (early >= 0)
        return early;
    self_exe = realpath("/proc/self/exe", NULL);
    char bwhy[256], note[160];
    struct bpf_context *bc = bpf_context_open(CLOSETRACKER_MAP_DEFAULT, bwhy, sizeof bwhy, note,
                                              sizeof note);
    if (!bc) {
        printf("SKIP: BPF contexts cannot load: %s\n", bwhy);
        free(self_exe);
        return 77;
    }
    bpf_context_close(bc);
    if (fs_mount_ctx(&K, argv[1], "kmod", "bpf") < 0) {
        free(self_exe);
        return 1;
    }
    if (fs_mount_ctx(&C, argv[1], "fuse-closetracker", "bpf") < 0) {
        real_mount_stop(&K);
        free(self_exe);
        return 1;
    }
    int rc = run_tests();
    if (real_mount_stop(&K) != 0 || real_mount_stop(&C) != 0) {
        fprintf(stderr, "ternrig fs did not unmount cleanly on SIGTERM\n");
        rc = 1;
    }
    free(self_exe);
    return rc;
}
