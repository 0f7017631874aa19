/* bpf_context.c - load bpf/flushctx.bpf.c and read its records. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bpf_context.h"
#include "flush_context.h"

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
    uint32_t closetracker_entries; /* its map's capacity; 0: none */
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

struct bpf_context *bpf_context_open(uint32_t closetracker_entries,
                                     char *why, size_t cap, char *note,
                                     size_t note_cap)
{
    bool count_closes = closetracker_entries > 0;
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
    bc->closetracker_entries = closetracker_entries;
    bc->skel = flushctx__open();
    if (bc->skel && !count_closes)
        bpf_program__set_autoload(bc->skel->progs.on_sys_enter_close, false);
    if (bc->skel && count_closes &&
        bpf_map__set_max_entries(bc->skel->maps.closetracker,
                                 closetracker_entries) < 0) {
        why_set(why, cap, "cannot size the close tracker's map to %u",
                (unsigned)closetracker_entries);
        flushctx__destroy(bc->skel);
        free(bc);
        return NULL;
    }
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

bool bpf_context_take(struct bpf_context *bc, uint64_t unique,
                      struct flushctx_rec *out)
{
    return bpf_map__lookup_and_delete_elem(bc->skel->maps.requests, &unique,
                                           sizeof unique, out, sizeof *out,
                                           0) == 0;
}

int bpf_context_track(struct bpf_context *bc, uint64_t ino, uint64_t owner)
{
    struct flushctx_file f = {owner};
    return bpf_map__update_elem(bc->skel->maps.files, &ino, sizeof ino, &f,
                                sizeof f, BPF_ANY) == 0
               ? 0
               : -1;
}

int64_t bpf_context_closes(struct bpf_context *bc, uint64_t ino)
{
    uint64_t n = 0;
    if (!bc->count_closes)
        return -1;
    if (bpf_map__lookup_elem(bc->skel->maps.closetracker, &ino, sizeof ino,
                             &n, sizeof n, 0) != 0)
        return 0; /* no counter: no close counted (TernFS: ignore) */
    return (int64_t)n;
}

void bpf_context_consume_closes(struct bpf_context *bc, uint64_t ino)
{
    if (bc->count_closes)
        bpf_map__delete_elem(bc->skel->maps.closetracker, &ino, sizeof ino,
                             0);
}

uint64_t bpf_context_uncounted(const struct bpf_context *bc)
{
    return bc->count_closes ? bc->skel->bss->uncounted_closes : 0;
}

uint32_t bpf_context_closetracker(const struct bpf_context *bc)
{
    return bc->closetracker_entries;
}

void bpf_context_untrack(struct bpf_context *bc, uint64_t ino)
{
    bpf_map__delete_elem(bc->skel->maps.files, &ino, sizeof ino, 0);
}

uint64_t bpf_context_lost(const struct bpf_context *bc)
{
    return bc->skel->bss->lost_records;
}

uint64_t bpf_context_task(const struct bpf_context *bc, uint32_t tid)
{
    uint64_t ptr = 0;
    if (bpf_map__lookup_elem(bc->skel->maps.tasks, &tid, sizeof tid, &ptr,
                             sizeof ptr, 0) != 0)
        return 0;
    return ptr;
}

#else /* built without libbpf, bpftool or clang */

struct bpf_context {
    uint32_t dev;
};

struct bpf_context *bpf_context_open(uint32_t closetracker_entries,
                                     char *why, size_t cap, char *note,
                                     size_t note_cap)
{
    (void)closetracker_entries;
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

void bpf_context_consume_closes(struct bpf_context *bc, uint64_t ino)
{
    (void)bc;
    (void)ino;
}

uint64_t bpf_context_uncounted(const struct bpf_context *bc)
{
    (void)bc;
    return 0;
}

uint32_t bpf_context_closetracker(const struct bpf_context *bc)
{
    (void)bc;
    return 0;
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

uint64_t bpf_context_task(const struct bpf_context *bc, uint32_t tid)
{
    (void)bc;
    (void)tid;
    return 0;
}

#endif

/* -------------------------------------------- the BPF context source */

static void bpf_requester(struct context_source *src, uint64_t unique,
                          pid_t pid, struct requester *who)
{
    (void)pid; /* the record is matched by unique, exact (see the header) */
    memset(who, 0, sizeof *who);
    if (!bpf_context_take(src->state, unique, &who->rec)) {
        snprintf(who->why, sizeof who->why, "no BPF record of request %llu",
                 (unsigned long long)unique);
        return;
    }
    const struct flushctx_rec *k = &who->rec;
    who->known = true;
    who->tid = (pid_t)k->tid;
    who->tgid = (pid_t)k->tgid;
    who->mm_alive = k->mm != 0;
    who->kthread = (k->flags & FLUSHCTX_KTHREAD) != 0;
    /* signal->live counts the threads not yet in do_exit, which all still
     * have their mm (exit_mm comes later); in a group exit every thread is
     * dying whatever the count says. */
    who->other_mm_alive = !(k->flags & FLUSHCTX_GROUP_EXIT) &&
                          k->live > (k->mm ? 1 : 0);
}

static void bpf_forget(struct context_source *src, uint64_t unique)
{
    struct flushctx_rec rec;
    bpf_context_take(src->state, unique, &rec);
}

/* The core's view of the requesting task: the kernel's own. */
static void bpf_create_ctx(struct context_source *src,
                           const struct requester *who, struct task_ctx *c)
{
    (void)src;
    *c = (struct task_ctx){0};
    c->proc.tgid = who->rec.tgid;
    c->proc.start_time = who->rec.start_ns; /* exec keeps it (de_thread) */
    c->task = who->rec.task;
    c->leader = who->rec.leader;
    c->mm = who->rec.mm;
    c->leader_mm = who->rec.leader_mm;
    c->other_thread_has_mm = who->other_mm_alive;
    c->kthread = who->kthread;
}

/* The TernFS kmod mmgrab()s the mm it records at create, so that pointer
 * is never reused while the file lives (SPEC §2), and the model holds it
 * so for every file.  An open /proc/<tid>/mem does the same
 * (proc_mem_open() mmgrabs the task's mm until the file is closed):
 * without it the kernel would hand the freed mm_struct to the next new
 * process and kmod-2024's owner->mm test would see it again.  Only a
 * policy that reads kernel pointers can tell, so only those pay an fd per
 * file for it.
 * Safe in the CREATE handler: the creator is in open(), not in execve. */
static int pin_mm(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)tid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static const char *bpf_created(struct context_source *src, enum policy policy,
                               uint64_t ino, struct file_ctx *file,
                               const struct requester *who)
{
    const char *why = "";
    if (bpf_context_track(src->state, ino, file->rec.owner) < 0)
        why = "BPF files map full: no owner->mm for this file";
    bool pointers = policy_needs(policy, POLICY_FACTS_POINTERS);
    if (pointers && file->rec.owner_mm &&
        (file->mm_pin = pin_mm(who->tid)) < 0)
        why = "cannot mmgrab the creator's mm (/proc/<tid>/mem)";
    return why;
}

/* A flush on the kernel's facts: the flusher's pointers, the close(2)
 * count (fuse-closetracker) and owner->mm read at send time through the
 * file's owner pointer (kmod-2024). */
static enum facts bpf_flush_facts(struct context_source *src,
                                  enum policy policy, uint64_t ino,
                                  struct file_ctx *file,
                                  const struct requester *who,
                                  struct task_ctx *c, struct flush_inputs *in,
                                  struct flog_event *seen, const char **why)
{
    bpf_create_ctx(src, who, c);
    *in = (struct flush_inputs){0};
    seen->closes = bpf_context_closes(src->state, ino);
    if (who->rec.flags & FLUSHCTX_OWNER_READ &&
        who->rec.owner == file->rec.owner) {
        seen->owner_mm_now_read = true;
        seen->owner_mm_now = in->owner_mm_now = who->rec.owner_mm_now;
    }
    /* the last-fd candidates: the flusher's table, counted at send time;
     * a teardown flush has no table (exit_files cleared current->files):
     * none of it holds the file, as the core expects */
    if (who->rec.flags & FLUSHCTX_FDS_COUNTED)
        in->table_fds = who->rec.table_fds;
    else if (policy_needs(policy, POLICY_FACT_FD_COUNT) && who->mm_alive) {
        *why = "the flusher's fd table was not counted at send time";
        return FACTS_MISSING;
    }
    /* the clean-exit candidates: an exit code whose low 7 bits name no
     * signal is a status (exit, exit_group); read for exiting tasks only */
    in->exit_clean = !who->mm_alive && (who->rec.exit_code & 0x7f) == 0;
    if (policy_needs(policy, POLICY_FACT_CLOSE_COUNT)) {
        if (seen->closes < 0) {
            *why = "no close count: the inode is not tracked";
            return FACTS_MISSING;
        }
        file->rec.close_count = (uint32_t)seen->closes;
    }
    /* a flush by the owner itself decides on owner->mm: it must be read */
    if (policy_needs(policy, POLICY_FACT_MM_PTRS) &&
        !seen->owner_mm_now_read && c->leader == file->rec.owner) {
        *why = "owner->mm was not read at send time";
        return FACTS_MISSING;
    }
    return FACTS_KNOWN;
}

static void bpf_decided(struct context_source *src, uint64_t ino,
                        struct file_ctx *file, enum flush_decision d)
{
    bpf_context_untrack(src->state, ino);
    if (d == FLUSH_SEAL && !file->rec.tmpfile) /* as note_sealed */
        bpf_context_consume_closes(src->state, ino);
}

static void bpf_released(struct context_source *src, uint64_t unique,
                         uint64_t ino, bool writer, struct file_ctx *file)
{
    bpf_forget(src, unique); /* RELEASE is recorded too: drop it */
    if (!writer)
        return;
    bpf_context_untrack(src->state, ino); /* no flush of it follows */
    if (file->mm_pin >= 0) { /* the kmod's mmdrop */
        close(file->mm_pin);
        file->mm_pin = -1;
    }
}

/* A freed file: its entry in the files map goes (normally gone at its
 * decision or its writer's release already).  Its close tracker counter
 * stays: TernFS deletes one only at a seal, so an aborted or unlinked
 * file's counter stays until the map is full (what fuse-closetracker is
 * about; the map is bounded, --closetracker-map); inode numbers are never
 * given twice (nodes.h), so a later file never inherits it. */
static void bpf_freed(struct context_source *src, uint64_t ino,
                      struct file_ctx *file)
{
    (void)file;
    bpf_context_untrack(src->state, ino);
}

/* Raw: every pointer the kernel showed. */
static void bpf_describe(const struct requester *who,
                         const struct file_ctx *file, struct flog_event *ev)
{
    snprintf(ev->ctx, sizeof ev->ctx, "bpf");
    ev->tid = who->tid;
    ev->tgid = who->tgid;
    ev->known = who->known;
    ev->mm_alive = who->mm_alive;
    ev->other_mm_alive = who->other_mm_alive;
    if (who->known) {
        const struct flushctx_rec *k = &who->rec;
        ev->kernel_view = true;
        ev->unique = k->unique;
        ev->task = k->task;
        ev->leader = k->leader;
        ev->mm = k->mm;
        ev->leader_mm = k->leader_mm;
        ev->start_ns = k->start_ns;
        ev->live = (int)k->live;
        ev->exiting = (k->flags & FLUSHCTX_EXITING) != 0;
        ev->group_exit = (k->flags & FLUSHCTX_GROUP_EXIT) != 0;
        ev->exit_code = k->exit_code;
        ev->table_fds = k->flags & FLUSHCTX_FDS_COUNTED ? (long long)k->table_fds
                                                      : -1;
    }
    if (file) {
        ev->owner_known = true;
        ev->owner = file->rec.owner;
        ev->owner_mm = file->rec.owner_mm;
    }
}

static int bpf_watch(struct context_source *src, const char *mountpoint,
                     char *why, size_t cap)
{
    return bpf_context_watch(src->state, mountpoint, why, cap);
}

static uint64_t bpf_lost(const struct context_source *src)
{
    return bpf_context_lost(src->state);
}

static uint64_t bpf_uncounted(const struct context_source *src)
{
    return bpf_context_uncounted(src->state);
}

static uint32_t bpf_closetracker_map(const struct context_source *src)
{
    return bpf_context_closetracker(src->state);
}

static uint64_t bpf_task_ptr(const struct context_source *src, pid_t tid)
{
    return bpf_context_task(src->state, (uint32_t)tid);
}

static void bpf_close(struct context_source *src)
{
    bpf_context_close(src->state);
    free(src);
}

struct context_source *bpf_context_source(struct bpf_context *bc)
{
    struct context_source *src = calloc(1, sizeof *src);
    if (!src)
        return NULL;
    *src = (struct context_source){
        .name = "bpf",
        .state = bc,
        .requester = bpf_requester,
        .forget = bpf_forget,
        .create_ctx = bpf_create_ctx,
        .created = bpf_created,
        .flush_facts = bpf_flush_facts,
        .decided = bpf_decided,
        .released = bpf_released,
        .describe = bpf_describe,
        .watch = bpf_watch,
        .lost = bpf_lost,
        .uncounted = bpf_uncounted,
        .closetracker_map = bpf_closetracker_map,
        .task_ptr = bpf_task_ptr,
        .freed = bpf_freed,
        .close = bpf_close,
    };
    return src;
}
