/* bench_task_reuse.c - how often does the kernel hand a freed task_struct
 * to the next new task?  SPEC §2 (and the model) say: always, LIFO.
 *
 * Mounts `ternrig fs` under the first policy that reads task_struct
 * pointers, kmod (BPF contexts: its log shows each creator's task_struct
 * pointer), then, N times for each scenario, lets a task create a file
 * (its pointer is logged), frees that task, creates a new task that
 * creates a file, and compares the two pointers:
 *   thread   a thread exits (SYS_exit); a new thread of the same process
 *   process  a forked child exits and is reaped; a new child is forked
 *   exec     a non-leader thread execs (de_thread frees the old leader);
 *            the new image forks a child
 * each plain, after running the pending RCU callbacks (a task_struct is
 * freed by one, a grace period after the task is released: rcu_barrier,
 * through rcutree's do_rcu_barrier knob), pinned to one CPU (SLUB's free
 * lists are per CPU), and both.  Prints the reuse rate of each.
 * usage: bench_task_reuse TERNRIG [N]  (root, /dev/fuse and BPF needed) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_support.h"
#include "flushlog.h"

enum scenario { S_THREAD, S_PROCESS, S_EXEC, S_COUNT };
static const char *const scenario_names[S_COUNT] = {
    "thread exits, next thread", "child reaped, next fork",
    "non-leader exec, next fork"};
#define V_RCU 1u /* rcu_barrier before the new task */
#define V_PIN 2u /* everything on CPU 0 */

static bool wait_rcu;

static void create_file(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd >= 0)
        close(fd);
}

/* Run the pending RCU callbacks (rcu_barrier), among them the one that
 * frees the last task_struct: rcutree's do_rcu_barrier knob. */
static void grace_period(void)
{
    if (!wait_rcu)
        return;
    int fd = open("/sys/module/rcutree/parameters/do_rcu_barrier",
                  O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "1", 1) != 1)
        perror("rcutree/parameters/do_rcu_barrier");
    if (fd >= 0)
        close(fd);
}

struct thread_arg {
    const char *dir;
    char name[64];
};

static void *thread_creates(void *arg)
{
    struct thread_arg *a = arg;
    create_file(a->dir, a->name);
    return NULL;
}

/* A thread is released once its /proc entry is gone. */
static void wait_thread_released(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
    for (int i = 0; i < 100000 && access(path, F_OK) == 0; i++)
        sched_yield();
}

struct tid_arg {
    struct thread_arg a;
    pid_t tid;
};

static void *thread_creates_tid(void *arg)
{
    struct tid_arg *t = arg;
    t->tid = gettid();
    thread_creates(&t->a);
    return NULL;
}

static void run_thread(const char *dir, int i)
{
    struct tid_arg t = {{dir, ""}, 0};
    pthread_t th;
    snprintf(t.a.name, sizeof t.a.name, "a%d", i);
    pthread_create(&th, NULL, thread_creates_tid, &t);
    pthread_join(th, NULL);
    wait_thread_released(t.tid);
    grace_period();
    snprintf(t.a.name, sizeof t.a.name, "b%d", i);
    pthread_create(&th, NULL, thread_creates_tid, &t);
    pthread_join(th, NULL);
    wait_thread_released(t.tid);
}

static void run_process(const char *dir, int i)
{
    char name[64];
    pid_t c = fork();
    if (c == 0) {
        snprintf(name, sizeof name, "a%d", i);
        create_file(dir, name);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    grace_period();
    c = fork();
    if (c == 0) {
        snprintf(name, sizeof name, "b%d", i);
        create_file(dir, name);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

static char *self_exe;

static void *thread_execs(void *arg)
{
    struct thread_arg *a = arg;
    char *argv[] = {self_exe, "__after_exec", (char *)a->dir, a->name,
                    wait_rcu ? "1" : "0", NULL};
    execv("/proc/self/exe", argv);
    _exit(127);
}

/* The image after exec: fork a child that creates the second file. */
static int after_exec(char **argv)
{
    wait_rcu = argv[4][0] == '1';
    grace_period();
    pid_t c = fork();
    if (c == 0) {
        create_file(argv[2], argv[3]);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    return 0;
}

static void run_exec(const char *dir, int i)
{
    pid_t w = fork();
    if (w == 0) {
        struct thread_arg a = {dir, ""};
        snprintf(a.name, sizeof a.name, "a%d", i);
        create_file(dir, a.name); /* by the leader */
        snprintf(a.name, sizeof a.name, "b%d", i);
        pthread_t th;
        pthread_create(&th, NULL, thread_execs, &a);
        pause(); /* de_thread kills us */
        _exit(1);
    }
    waitpid(w, NULL, 0);
}

/* From the log of creates: the task_struct pointer of each a<i> and b<i>
 * create (0: not logged). */
static void read_tasks(const char *log, uint64_t *ta, uint64_t *tb, int n)
{
    struct flog lg = {0};
    char why[256];
    if (flushlog_read(log, 0, &lg, NULL, why, sizeof why) < 0) {
        fprintf(stderr, "%s\n", why);
        return;
    }
    for (size_t k = 0; k < lg.n; k++) {
        const struct flog_event *e = &lg.ev[k];
        if (e->op != FLOG_CREATE || !e->kernel_view)
            continue;
        char which = e->name[0];
        int i = atoi(e->name + 1);
        if ((which == 'a' || which == 'b') && i >= 0 && i < n)
            (which == 'a' ? ta : tb)[i] = e->task;
    }
    flushlog_free(&lg);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "__after_exec"))
        return after_exec(argv);
    const char *unmet = bench_fs_requirements();
    if (unmet) {
        printf("SKIP: %s\n", unmet);
        return 77;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s TERNRIG [N]\n", argv[0]);
        return 2;
    }
    self_exe = argv[0];
    int n = argc > 2 ? atoi(argv[2]) : 200;
    if (n < 1 || n > 100000) {
        fprintf(stderr, "N must be 1..100000\n");
        return 2;
    }
    enum policy pol = 0; /* one whose flush log shows task pointers */
    while (pol < POLICY_COUNT && !policy_needs(pol, POLICY_FACT_TASK_PTRS))
        pol++;
    if (pol == POLICY_COUNT) {
        fprintf(stderr, "no policy reads task_struct pointers\n");
        return 2;
    }
    printf("task_struct reuse: is a freed task_struct the next new task's?  "
           "%d tries each\n\n%-28s %10s %10s %10s %10s\n",
           n, "scenario", "plain", "after RCU", "1 CPU", "1 CPU+RCU");
    cpu_set_t all;
    sched_getaffinity(0, sizeof all, &all);
    int rc = 0;
    double t0 = bench_now_s();
    for (int s = 0; s < S_COUNT && rc == 0; s++) {
        printf("%-28s", scenario_names[s]);
        for (unsigned v = 0; v < 4 && rc == 0; v++) {
            struct real_mount m;
            char why[256];
            if (real_mount_start_ctx(&m, argv[1], pol, NULL, why,
                                     sizeof why) < 0) {
                fprintf(stderr, "%s\n", why);
                rc = 1;
                break;
            }
            wait_rcu = v & V_RCU;
            if (v & V_PIN) {
                cpu_set_t one;
                CPU_ZERO(&one);
                CPU_SET(0, &one);
                sched_setaffinity(0, sizeof one, &one);
            }
            for (int i = 0; i < n; i++)
                s == S_THREAD    ? run_thread(m.dir, i)
                : s == S_PROCESS ? run_process(m.dir, i)
                                 : run_exec(m.dir, i);
            sched_setaffinity(0, sizeof all, &all);
            uint64_t *ta = calloc((size_t)n, sizeof *ta);
            uint64_t *tb = calloc((size_t)n, sizeof *tb);
            if (ta && tb)
                read_tasks(m.log, ta, tb, n);
            int same = 0, seen = 0;
            for (int i = 0; ta && tb && i < n; i++) {
                if (!ta[i] || !tb[i])
                    continue;
                seen++;
                same += ta[i] == tb[i];
            }
            free(ta);
            free(tb);
            real_mount_stop(&m);
            if (seen < n / 2) {
                fprintf(stderr, "only %d of %d pairs logged\n", seen, n);
                rc = 1;
                break;
            }
            char cell[32];
            snprintf(cell, sizeof cell, "%.1f%%", 100.0 * same / seen);
            printf(" %10s", cell);
            fflush(stdout);
        }
        printf("\n");
    }
    printf("\n(%.1f s)\n", bench_now_s() - t0);
    return rc;
}
