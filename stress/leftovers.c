/* leftovers.c - a storm's state directory, and cleaning up after storms
 * (see leftovers.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "leftovers.h"
#include "stress.h"
#include "util.h"



void write_state(const char *dir, const char *name, const char *val)
{
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fprintf(f, "%s\n", val);
        fclose(f);
    }
}

static bool read_state(const char *dir, const char *name, char *val,
                       size_t cap)
{
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return false;
    bool ok = fgets(val, (int)cap, f) != NULL;
    fclose(f);
    val[strcspn(val, "\n")] = 0;
    return ok && val[0];
}

static bool owner_alive(pid_t pid)
{
    char p[64], comm[64] = "";
    snprintf(p, sizeof p, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return false;
    bool ok = fgets(comm, sizeof comm, f) != NULL;
    fclose(f);
    return ok && !strncmp(comm, "ternrig", 7);
}

void stress_clean_leftovers(FILE *log)
{
    DIR *d = opendir("/tmp");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "ternrig-stress-", 15) != 0)
            continue;
        char dir[300], val[4200];
        snprintf(dir, sizeof dir, "/tmp/%s", de->d_name);
        if (!read_state(dir, "owner", val, sizeof val) ||
            owner_alive((pid_t)atoi(val)))
            continue; /* not a storm's, or one still running */
        if (read_state(dir, "mount", val, sizeof val)) {
            struct statfs sf;
            if (statfs(val, &sf) == 0 && sf.f_type == 0x65735546)
                umount2(val, MNT_DETACH);
            rmdir(val);
            char lg[4300];
            snprintf(lg, sizeof lg, "%s.log", val);
            unlink(lg);
        } else if (read_state(dir, "storm", val, sizeof val)) {
            remove_tree(val); /* ours, inside a mount we were given */
        }
        remove_tree(dir);
        if (log)
            fprintf(log, "ternrig stress: cleaned up after a storm that was "
                         "killed: %s\n", dir);
    }
    if (d)
        closedir(d);
}

/* SIGKILL our children other than the filesystem (orphaned scenario tasks
 * are ours: we are their subreaper); returns how many there were. */
unsigned kill_children(pid_t spare)
{
    unsigned n = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int pid = atoi(de->d_name);
        char path[64], buf[512];
        if (pid <= 0 || pid == spare)
            continue;
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0)
            continue;
        buf[len] = 0;
        const char *rp = strrchr(buf, ')');
        int ppid = 0;
        if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 &&
            ppid == (int)getpid()) {
            kill(pid, SIGKILL);
            n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

