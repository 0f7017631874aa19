/* real_spawner.c - a stress worker's spawner, controller side (the
 * spawner's loop is real_task.c's real_spawner_loop), and the memory a
 * task forked from the controller gives back.
 *
 * Owns: starting and stopping a spawner (real_exec.h), and
 * run_drop_controller_memory (real_run.h).  Forking a run's tasks through
 * a spawner is real_exec.c's (spawn_task).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "real_exec.h"
#include "real_run.h"
#include "real_task.h"

/* In a task just forked from the controller: give back the controller's
 * static memory (the executable's .bss, past its first page, where the
 * copy-relocated stdout/stderr/optind live).  The task loop never reads
 * what the controller left there (real_task.c's statics are all set
 * before use, or mean "nothing yet" at zero), and the pages the
 * controller had touched (the model, its programs, the storm's
 * supervisor state: megabytes) would otherwise be copied, page table
 * entry by entry, into every process the task forks, and write-faulted
 * in the controller after each spawn.  Zero-filled on demand again. */
extern char __bss_start[], _end[];
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TERNRIG_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define TERNRIG_SANITIZED 1
#endif
#endif
void run_drop_controller_memory(void)
{
#ifdef TERNRIG_SANITIZED
    /* a sanitizer runtime linked statically (clang's) keeps its state in
     * this .bss: leave it all */
    return;
#else
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)__bss_start + page) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)_end + page - 1) & ~(page - 1);
    /* only when the libc objects this binary copied in (stdout, stderr,
     * optind, optarg) all lie in the page kept: the linker puts them
     * first, but it need not */
    const uintptr_t kept[] = {(uintptr_t)&stdout, (uintptr_t)&stderr,
                              (uintptr_t)&optind, (uintptr_t)&optarg};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (kept[i] >= lo && kept[i] < hi)
            return;
    /* a fresh mapping, not MADV_DONTNEED: that would leave the page
     * tables, empty, and fork copies every one of them (a process's
     * page tables cost it at fork, at exit and in between) */
    if (hi > lo &&
        mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
#endif
}

int real_spawner_start(struct real_spawner *s)
{
    s->chan = -1;
    s->pid = 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    /* before the fork: the spawner's children inherit "a subreaper above",
     * so the orphans of a run's tasks still come to the caller (reap,
     * end_tasks) rather than to init */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL); /* as spawn_task's tasks */
        signal(SIGTERM, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != me)
            _exit(1);
        int chan = REAL_CHANNEL_END + 2; /* its children close it */
        if (dup3(sv[1], chan, O_CLOEXEC) < 0)
            _exit(1);
        syscall(SYS_close_range, 3, chan - 1, 0);
        syscall(SYS_close_range, chan + 1, ~0U, 0);
        run_drop_controller_memory();
        real_spawner_loop(chan); /* never returns */
    }
    close(sv[1]);
    s->chan = sv[0];
    s->pid = pid;
    return 0;
}

void real_spawner_stop(struct real_spawner *s)
{
    if (s->chan >= 0)
        close(s->chan);
    s->chan = -1;
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    s->pid = 0;
}
