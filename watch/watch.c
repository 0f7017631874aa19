/* watch.c - a command on the embedded filesystem, and its files' fates. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "grow.h"
#include "watch.h"

/* ---- the mount ---- */

int watch_fs_runs_policy(const char *exe, enum policy pol, char *why,
                         size_t cap)
{
    int p[2];
    if (pipe(p) < 0) {
        snprintf(why, cap, "pipe: %s", strerror(errno));
        return -1;
    }
    /* /proc/0 never exists: the fs checks the policy first, then says the
     * mount point is not a directory, and mounts nothing */
    char *argv[] = {(char *)(exe ? exe : "/proc/self/exe"), "fs", "--policy",
                    (char *)policy_name(pol), "/proc/0/ternrig-probe", NULL};
    struct child_spec s = {.argv = argv, .in_fd = -1, .out_fd = p[1],
                           .err_fd = p[1], .timeout_s = 10,
                           .only_std_fds = true};
    struct child_outcome o;
    int rc = child_run(&s, &o, why, cap);
    close(p[1]);
    char msg[512] = "";
    ssize_t n = rc == 0 ? read(p[0], msg, sizeof msg - 1) : 0;
    close(p[0]);
    if (rc < 0)
        return -1;
    msg[n > 0 ? n : 0] = 0;
    msg[strcspn(msg, "\n")] = 0;
    if (strstr(msg, "is not a directory"))
        return 1;
    if (child_exit_code(&o) != 2 || !msg[0]) {
        snprintf(why, cap, "ternrig fs gave no answer about policy %s (%s)",
                 policy_name(pol), msg[0] ? msg : "no message");
        return -1;
    }
    const char *prefix = "ternrig fs: ";
    snprintf(why, cap, "%s",
             strncmp(msg, prefix, strlen(prefix)) ? msg : msg + strlen(prefix));
    return 0;
}

int watch_mount_open(struct watch_mount *m, enum policy pol,
                     unsigned closetracker_map, char *why, size_t cap)
{
    memset(m, 0, sizeof *m);
    int runs = watch_fs_runs_policy(NULL, pol, why, cap);
    if (runs <= 0)
        return -1;
    struct real_mount_opts ro = {.closetracker_map = closetracker_map};
    if (real_mount_start_opts(&m->rm, NULL, pol, &ro, why, cap) < 0)
        return -1;
    snprintf(m->dir, sizeof m->dir, "%s", m->rm.dir);
    snprintf(m->log, sizeof m->log, "%s", m->rm.log);
    m->policy = pol;
    m->ours = true;
    return 0;
}

/* A ternrig fs root's attribute as a string; false when absent. */
static bool ternrig_xattr(const char *dir, const char *name, char *buf,
                          size_t cap)
{
    ssize_t n = getxattr(dir, name, buf, cap - 1);
    buf[n > 0 ? n : 0] = 0;
    return n > 0;
}

int watch_mount_use(struct watch_mount *m, const char *dir, char *why,
                    size_t cap)
{
    memset(m, 0, sizeof *m);
    char pol[64];
    if (!ternrig_xattr(dir, "user.ternrig.policy", pol, sizeof pol)) {
        snprintf(why, cap,
                 "%s is not the root of a ternrig fs mount (no "
                 "user.ternrig.policy attribute)",
                 dir);
        return -1;
    }
    if (!policy_from_name(pol, strlen(pol), &m->policy)) {
        snprintf(why, cap, "%s: unknown policy '%s'", dir, pol);
        return -1;
    }
    if (!ternrig_xattr(dir, "user.ternrig.log", m->log, sizeof m->log)) {
        snprintf(why, cap,
                 "%s keeps no flush log: mount it with `ternrig fs --log "
                 "FILE`",
                 dir);
        return -1;
    }
    char bad[4400];
    if (real_mount_log_usable(m->log, bad, sizeof bad) < 0) {
        snprintf(why, cap, "%s: %s", dir, bad);
        return -1;
    }
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    return 0;
}

int watch_mount_close(struct watch_mount *m)
{
    int rc = 0;
    if (m->ours)
        rc = real_mount_stop(&m->rm);
    m->ours = false;
    return rc;
}

/* ---- what the directory shows ---- */

struct entry {
    unsigned long ino;
    char path[1024];
    bool dir;
    long long size;
};

struct tree {
    struct entry *e;
    size_t n, cap;
};

static int tree_add(struct tree *t, unsigned long ino, const char *path,
                    bool dir, long long size)
{
    if (grow(&t->e, &t->cap, t->n, sizeof *t->e, 64) < 0)
        return -1;
    struct entry *e = &t->e[t->n++];
    e->ino = ino;
    snprintf(e->path, sizeof e->path, "%s", path);
    e->dir = dir;
    e->size = size;
    return 0;
}

/* Every file and directory below `root` ("" is root itself), by inode. */
static int walk(const char *root, const char *rel, struct tree *t, int depth)
{
    char path[2048];
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d)
        return depth ? 0 : -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && rc == 0) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char sub[1024], full[3200];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) < 0)
            continue;
        rc = tree_add(t, (unsigned long)st.st_ino, sub, S_ISDIR(st.st_mode),
                      (long long)st.st_size);
        if (rc == 0 && S_ISDIR(st.st_mode) && depth < 32)
            rc = walk(root, sub, t, depth + 1);
    }
    closedir(d);
    return rc;
}

static int cmp_ino(const void *a, const void *b)
{
    unsigned long x = ((const struct entry *)a)->ino,
                  y = ((const struct entry *)b)->ino;
    return x < y ? -1 : x > y;
}

/* The entry of inode `ino` (the tree sorted by inode). */
static const struct entry *by_ino(const struct tree *t, unsigned long ino)
{
    struct entry key;
    key.ino = ino;
    return t->n ? bsearch(&key, t->e, t->n, sizeof *t->e, cmp_ino) : NULL;
}

static void place(const struct fate *f, const struct tree *t,
                  unsigned long root_ino, struct watch_file *w)
{
    memset(w, 0, sizeof *w);
    const struct entry *e = f->ino ? by_ino(t, f->ino) : NULL;
    const struct entry *dir = f->parent != root_ino ? by_ino(t, f->parent)
                                                    : NULL;
    char created[1024];
    if (snprintf(created, sizeof created, "%s%s%s", dir ? dir->path : "",
                 dir ? "/" : "", f->name) >= (int)sizeof created)
        created[sizeof created - 1] = 0; /* a path this deep: cut */
    if (e && !e->dir) {
        snprintf(w->path, sizeof w->path, "%s", e->path);
        w->visible = true;
        w->size_now = e->size;
        w->renamed = strcmp(e->path, created) != 0;
    } else {
        snprintf(w->path, sizeof w->path, "%s", created);
        w->gone = f->verdict == FATE_SEALED || f->verdict == FATE_EMPTY ||
                  f->verdict == FATE_TRUNCATED;
        w->size_now = -1;
    }
}

/* ---- one command ---- */

int watch_command(const struct watch_mount *m, const char *dir,
                  const struct child_spec *cmd, struct watch_result *r,
                  char *why, size_t cap)
{
    memset(r, 0, sizeof *r);
    long off = flushlog_end(m->log);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->t0 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    if (child_run(cmd, &r->run, why, cap) < 0)
        return -1;
    /* every process of the command is gone: its flushes are all logged */
    if (flushlog_read(m->log, off, &r->log, &r->bad_lines, why, cap) < 0)
        return -1;
    if (fates_build(&r->log, &r->fates) < 0) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    struct tree t = {0};
    struct stat st;
    if (stat(dir, &st) < 0 || walk(dir, "", &t, 0) < 0) {
        snprintf(why, cap, "%s: %s", dir, strerror(errno));
        free(t.e);
        return -1;
    }
    if (t.n > 1)
        qsort(t.e, t.n, sizeof *t.e, cmp_ino);
    r->files = calloc(r->fates.n ? r->fates.n : 1, sizeof *r->files);
    if (!r->files) {
        free(t.e);
        snprintf(why, cap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->fates.n; i++)
        place(&r->fates.f[i], &t, (unsigned long)st.st_ino, &r->files[i]);
    free(t.e);
    return 0;
}

void watch_result_free(struct watch_result *r)
{
    flushlog_free(&r->log);
    fates_free(&r->fates);
    free(r->files);
    r->files = NULL;
}

bool watch_lost_something(const struct watch_result *r)
{
    for (size_t i = 0; i < r->fates.n; i++)
        if (fate_is_loss(&r->fates.f[i]))
            return true;
    return false;
}

