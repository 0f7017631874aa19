/* stressng.c - stress-ng beside a storm (see stressng.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "stressng.h"

void start_load(struct sup *s)
{
    const struct stress_options *o = s->o;
    if (!o->load)
        return;
    char spec[256];
    snprintf(spec, sizeof spec, "%s", o->load);
    char *argv[64];
    int argc = 0;
    static char args[64][300];
    argv[argc++] = "stress-ng";
    for (char *tok = strtok(spec, ","); tok && argc < 56; tok = strtok(NULL, ",")) {
        char *colon = strchr(tok, ':');
        snprintf(args[argc], sizeof args[0], "--%.*s",
                 colon ? (int)(colon - tok) : (int)strlen(tok), tok);
        argv[argc] = args[argc];
        argc++;
        snprintf(args[argc], sizeof args[0], "%s", colon ? colon + 1 : "1");
        argv[argc] = args[argc];
        argc++;
    }
    /* its filesystem stressors work inside the storm's directory */
    static char tp[4200], tmo[32];
    snprintf(tp, sizeof tp, "%s/load", s->storm_dir);
    mkdir(tp, 0755);
    snprintf(tmo, sizeof tmo, "%ds", (int)o->duration_s + 5);
    argv[argc++] = "--temp-path";
    argv[argc++] = tp;
    argv[argc++] = "--timeout";
    argv[argc++] = tmo;
    argv[argc++] = "--quiet";
    argv[argc] = NULL;
    pid_t pid = fork_tied();
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execvp("stress-ng", argv);
        _exit(127);
    }
    s->load_pid = pid;
    setpgid(pid, pid);
    snprintf(s->r->load_note, sizeof s->r->load_note, "stress-ng");
    for (int i = 1; i < argc; i++) {
        size_t l = strlen(s->r->load_note);
        snprintf(s->r->load_note + l, sizeof s->r->load_note - l, " %s",
                 argv[i]);
    }
}

void stop_load(struct sup *s)
{
    if (s->load_pid <= 0)
        return;
    int st;
    if (waitpid(s->load_pid, &st, WNOHANG) == s->load_pid) {
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
            snprintf(s->r->load_note, sizeof s->r->load_note,
                     "stress-ng not found: apt-get install stress-ng");
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            size_t l = strlen(s->r->load_note);
            snprintf(s->r->load_note + l, sizeof s->r->load_note - l,
                     " (stopped early: status %d)", st);
        }
        s->load_pid = 0;
        return;
    }
    kill(-s->load_pid, SIGKILL);
    waitpid(s->load_pid, NULL, 0);
    s->load_pid = 0;
}

