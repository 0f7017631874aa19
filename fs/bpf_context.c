/* bpf_context.c - load bpf/flushctx.bpf.c and read its records. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bpf_context.h"

/* ---------------------------------------------------------------- pure */

/* Copy a mountinfo path field (octal escapes \040 \011 \012 \134) into
 * out; returns the end of the field in `p`. */
static const char *mountinfo_path(const char *p, char *out, size_t cap)
{
    size_t o = 0;
    while (*p && *p != ' ' && *p != '\n') {
        char c = *p++;
        if (c == '\\' && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' &&
            p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
            c = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
            p += 3;
        }
        if (o + 1 < cap)
            out[o++] = c;
    }
    out[o] = 0;
    return p;
}

int mountinfo_dev(const char *line, const char *mountpoint, uint32_t *dev)
{
    /* id parent major:minor root mountpoint ... */
    unsigned id, parent, major, minor;
    int n = 0;
    if (sscanf(line, "%u %u %u:%u %n", &id, &parent, &major, &minor, &n) !=
            4 ||
        n == 0)
        return -1;
    char root[4096], mp[4096];
    const char *p = mountinfo_path(line + n, root, sizeof root);
    if (*p != ' ')
        return -1;
    mountinfo_path(p + 1, mp, sizeof mp);
    if (strcmp(mp, mountpoint) != 0)
        return -1;
    *dev = (uint32_t)(major << 20 | (minor & 0xfffff));
    return 0;
}

#ifdef TERNRIG_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include "flushctx.skel.h"

#define TRACEFS_MAGIC 0x74726163

struct bpf_context {
    struct flushctx *skel;
    uint32_t dev;
    bool count_closes;
};

/* libbpf's messages: kept (the last warning says why a load failed), not
 * printed over the filesystem's output. */
static char libbpf_last[256];

static int keep_libbpf_message(enum libbpf_print_level level,
                               const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = 0;
    if (line[0])
        snprintf(libbpf_last, sizeof libbpf_last, "%s", line);
    return 0;
}

static void why_set(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void why_set(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

/* Kernel lockdown in confidentiality mode forbids reading kernel memory
 * from BPF. */
static bool locked_down(void)
{
    char buf[128] = {0};
    FILE *f = fopen("/sys/kernel/security/lockdown", "r");
    if (!f)
        return false;
    bool locked = fgets(buf, sizeof buf, f) && strstr(buf, "[confidentiality]");
    fclose(f);
    return locked;
}

static bool is_tracefs(const char *dir)
{
    struct statfs sf;
    char events[256];
    snprintf(events, sizeof events, "%s/events", dir);
    return statfs(dir, &sf) == 0 && sf.f_type == TRACEFS_MAGIC &&
           access(events, R_OK) == 0;
}

/* Tracepoints are found through tracefs (libbpf reads the event ids
 * there). */
static int ensure_tracefs(char *why, size_t cap, char *note, size_t ncap)
{
    if (is_tracefs("/sys/kernel/tracing") ||
        is_tracefs("/sys/kernel/debug/tracing"))
        return 0;
    if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0) {
        why_set(why, cap, "tracefs is not mounted and mounting it on "
                          "/sys/kernel/tracing failed: %s",
                strerror(errno));
        return -1;
    }
    why_set(note, ncap, "mounted tracefs on /sys/kernel/tracing (the "
                        "tracepoints are found there); it stays mounted");
    return 0;
}

struct bpf_context *bpf_context_open(bool count_closes, char *why,
                                     size_t cap, char *note, size_t note_cap)
{
    note[0] = 0;
    if (geteuid() != 0) {
        why_set(why, cap, "BPF needs root (CAP_BPF and CAP_PERFMON)");
        return NULL;
    }
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
        why_set(why, cap, "the kernel has no BTF (/sys/kernel/btf/vmlinux): "
                          "CO-RE cannot relocate");
        return NULL;
    }
    if (locked_down()) {
        why_set(why, cap, "the kernel is locked down (confidentiality): BPF "
                          "may not read kernel memory");
        return NULL;
    }
    if (count_closes && ensure_tracefs(why, cap, note, note_cap) < 0)
        return NULL; /* the raw tracepoint needs no tracefs */
    libbpf_set_print(keep_libbpf_message);
    libbpf_last[0] = 0;
    struct bpf_context *bc = calloc(1, sizeof *bc);
    if (!bc) {
        why_set(why, cap, "out of memory");
        return NULL;
    }
    bc->count_closes = count_closes;
    bc->skel = flushctx__open();
    if (bc->skel && !count_closes)
        bpf_program__set_autoload(bc->skel->progs.on_sys_enter_close, false);
    if (!bc->skel || flushctx__load(bc->skel) < 0) {
        why_set(why, cap, "loading the BPF program failed: %s%s%s",
                strerror(errno), libbpf_last[0] ? ": " : "", libbpf_last);
        flushctx__destroy(bc->skel);
        free(bc);
        return NULL;
    }
    if (flushctx__attach(bc->skel) < 0) {
        why_set(why, cap, "attaching the BPF programs failed: %s%s%s",
                strerror(errno), libbpf_last[0] ? ": " : "", libbpf_last);
        flushctx__destroy(bc->skel);
        free(bc);
        return NULL;
    }
    return bc;
}

void bpf_context_close(struct bpf_context *bc)
{
    if (!bc)
        return;
    flushctx__destroy(bc->skel);
    free(bc);
}

int bpf_context_watch(struct bpf_context *bc, const char *mountpoint,
                      char *why, size_t cap)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) {
        why_set(why, cap, "/proc/self/mountinfo: %s", strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap_line = 0;
    uint32_t dev = 0;
    int found = -1;
    while (getline(&line, &cap_line, f) > 0)
        if (mountinfo_dev(line, mountpoint, &dev) == 0)
            found = 0; /* the last one is on top */
    free(line);
    fclose(f);
    if (found < 0) {
        why_set(why, cap, "no mount on %s in /proc/self/mountinfo",
                mountpoint);
        return -1;
    }
    bc->dev = dev;
    bc->skel->bss->watched_dev = dev;
    return 0;
}

uint32_t bpf_context_watched(const struct bpf_context *bc)
{
    return bc->dev;
}

bool bpf_context_take(struct bpf_context *bc, uint64_t unique,
                      struct flushctx_rec *out)
{
    return bpf_map__lookup_and_delete_elem(bc->skel->maps.requests, &unique,
                                           sizeof unique, out, sizeof *out,
                                           0) == 0;
}

int bpf_context_track(struct bpf_context *bc, uint64_t ino, uint64_t owner)
{
    struct flushctx_file f = {owner, 0};
    return bpf_map__update_elem(bc->skel->maps.files, &ino, sizeof ino, &f,
                                sizeof f, BPF_ANY) == 0
               ? 0
               : -1;
}

int64_t bpf_context_closes(struct bpf_context *bc, uint64_t ino)
{
    struct flushctx_file f;
    if (!bc->count_closes ||
        bpf_map__lookup_elem(bc->skel->maps.files, &ino, sizeof ino, &f,
                             sizeof f, 0) != 0)
        return -1;
    return (int64_t)f.closes;
}

void bpf_context_untrack(struct bpf_context *bc, uint64_t ino)
{
    bpf_map__delete_elem(bc->skel->maps.files, &ino, sizeof ino, 0);
}

uint64_t bpf_context_lost(const struct bpf_context *bc)
{
    return bc->skel->bss->lost_records;
}

#else /* built without libbpf, bpftool or clang */

struct bpf_context {
    uint32_t dev;
};

struct bpf_context *bpf_context_open(bool count_closes, char *why,
                                     size_t cap, char *note, size_t note_cap)
{
    (void)count_closes;
    if (note_cap)
        note[0] = 0;
    snprintf(why, cap, "this ternrig was built without BPF support "
                       "(install libbpf-dev, bpftool and clang, then "
                       "rebuild)");
    return NULL;
}

void bpf_context_close(struct bpf_context *bc)
{
    (void)bc;
}

int bpf_context_watch(struct bpf_context *bc, const char *mountpoint,
                      char *why, size_t cap)
{
    (void)bc;
    (void)mountpoint;
    snprintf(why, cap, "built without BPF support");
    return -1;
}

uint32_t bpf_context_watched(const struct bpf_context *bc)
{
    (void)bc;
    return 0;
}

bool bpf_context_take(struct bpf_context *bc, uint64_t unique,
                      struct flushctx_rec *out)
{
    (void)bc;
    (void)unique;
    (void)out;
    return false;
}

int bpf_context_track(struct bpf_context *bc, uint64_t ino, uint64_t owner)
{
    (void)bc;
    (void)ino;
    (void)owner;
    return -1;
}

int64_t bpf_context_closes(struct bpf_context *bc, uint64_t ino)
{
    (void)bc;
    (void)ino;
    return -1;
}

void bpf_context_untrack(struct bpf_context *bc, uint64_t ino)
{
    (void)bc;
    (void)ino;
}

uint64_t bpf_context_lost(const struct bpf_context *bc)
{
    (void)bc;
    return 0;
}

#endif
