// SPDX-License-Identifier: GPL-2.0
/* flushctx.bpf.c - kernel-exact flush contexts for ternrig fs.
 *
 * Two programs, both on tracepoints (this kernel has no kprobes, and
 * refuses fentry):
 *   (a) raw_tp/fuse_request_send: for the watched FUSE connection and the
 *       CREATE, TMPFILE, LINK, FLUSH and RELEASE opcodes, records the sending task's
 *       context (task and group_leader pointers, their mm pointers, the
 *       process start time, exiting flags, exit code; at a FLUSH the
 *       number of fds of the sender's table on the flushed open file,
 *       counted with bpf_loop over fdt->fd) under the request's unique id.
 *       The tracepoint fires in the sender's context, before the request
 *       reaches the filesystem, which is blocked on nothing: the
 *       filesystem reads the record when it handles the request.
 *   (b) tp/syscalls/sys_enter_close: counts close(2) calls per inode of the
 *       watched connection in a bounded map, as TernFS's FUSE client does
 *       (fuse-closetracker): every inode, any fd, until the map is full.
 *   (c) raw_tp/task_newtask: the task_struct pointer of every new task, by
 *       thread id, as copy_process() made it (a real run asks which
 *       released task's memory a new task got: SPEC v2's `reuses`).
 * The layouts of the records are in flushctx.h.  CO-RE: every kernel
 * field is read with BPF_CORE_READ, relocated against the running kernel's
 * BTF at load time.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "flushctx.h"

char LICENSE[] SEC("license") = "GPL";

/* Kernel constants that BTF does not carry (macros). */
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000
#define SIGNAL_GROUP_EXIT 0x00000004

/* The watched connection: the kernel dev_t of the mount (fuse_conn->dev,
 * the superblock's s_dev), set by the loader once the mount exists; 0
 * watches nothing. */
__u32 watched_dev;
/* How many records could not be stored (map full): the loader reports it. */
__u64 lost_records;
/* close(2) calls not counted because the close tracker's map was full. */
__u64 uncounted_closes;

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, __u64);
    __type(value, struct flushctx_rec);
} requests SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u64);
    __type(value, struct flushctx_file);
} files SEC(".maps");

/* The close tracker (flushctx.h): no preallocation, so that a map of
 * TernFS's size costs memory only for the counters it holds; full is full
 * either way (an insert past max_entries fails with E2BIG). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, FLUSHCTX_CLOSETRACKER_ENTRIES);
    __type(key, __u64);
    __type(value, __u64);
} closetracker SEC(".maps");

/* Map `tasks` (LRU hash, key: thread id in the initial pid namespace):
 * the task_struct pointer of each new task.  Every clone on the machine
 * lands here (one map update; the LRU drops the oldest), and a real run
 * looks its new task up right after making it. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, __u64);
} tasks SEC(".maps");

SEC("raw_tp/task_newtask")
int on_task_newtask(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *t = (struct task_struct *)ctx->args[0];
    __u32 tid = (__u32)BPF_CORE_READ(t, pid);
    __u64 ptr = (__u64)t;
    bpf_map_update_elem(&tasks, &tid, &ptr, BPF_ANY);
    return 0;
}

/* Counting the fds of the flusher's table that refer to the flushed
 * open file (the last-fd candidates): one bpf_loop step per fd slot. */
struct fd_count {
    struct file **fds;
    __u64 nodeid, fh;
    __u32 dev, n;
};

static long count_fd(__u64 i, void *arg)
{
    struct fd_count *c = arg;
    struct file *file = NULL;
    /* plain reads: struct fd_count is ours, not the kernel's (no CO-RE) */
    if (bpf_probe_read_kernel(&file, sizeof file, c->fds + i) < 0 || !file)
        return 0;
    if (BPF_CORE_READ(file, f_inode, i_sb, s_dev) != c->dev)
        return 0;
    /* a file of the watched FUSE mount: its private_data is the
     * fuse_file, which holds the node and the filesystem's handle */
    struct fuse_file *ff = BPF_CORE_READ(file, private_data);
    if (ff && BPF_CORE_READ(ff, nodeid) == c->nodeid &&
        BPF_CORE_READ(ff, fh) == c->fh)
        c->n++;
    return 0;
}

/* The FLUSH's own open file is named by (nodeid, fh): ternrig fs gives
 * the creator's open file its own fh (flushctx.h).  Returns false when
 * the task has no fd table (exit_files cleared it) or a read faults. */
static bool count_table_fds(struct task_struct *t, struct fuse_req *req,
                            __u32 dev, __u64 nodeid, __u32 *out)
{
    struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
    const void *in = BPF_CORE_READ(req, args, in_args[0].value);
    struct fd_count c = {.nodeid = nodeid, .dev = dev};
    if (!fdt || !in || bpf_probe_read_kernel(&c.fh, sizeof c.fh, in) < 0)
        return false;
    c.fds = BPF_CORE_READ(fdt, fd);
    __u32 max = BPF_CORE_READ(fdt, max_fds);
    if (bpf_loop(max, count_fd, &c, 0) < 0)
        return false;
    *out = c.n;
    return true;
}

SEC("raw_tp/fuse_request_send")
int on_fuse_request_send(struct bpf_raw_tracepoint_args *ctx)
{
    struct fuse_req *req = (struct fuse_req *)ctx->args[0];
    __u32 dev = watched_dev;
    if (!dev || BPF_CORE_READ(req, fm, fc, dev) != dev)
        return 0;
    __u32 op = BPF_CORE_READ(req, in.h.opcode);
    if (op != FLUSHCTX_OP_CREATE && op != FLUSHCTX_OP_FLUSH &&
        op != FLUSHCTX_OP_RELEASE && op != FLUSHCTX_OP_TMPFILE &&
        op != FLUSHCTX_OP_LINK)
        return 0;

    struct flushctx_rec r = {};
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct task_struct *leader = BPF_CORE_READ(t, group_leader);
    __u64 id = bpf_get_current_pid_tgid();
    r.unique = BPF_CORE_READ(req, in.h.unique);
    r.nodeid = BPF_CORE_READ(req, in.h.nodeid);
    r.opcode = op;
    r.tid = (__u32)id;
    r.tgid = (__u32)(id >> 32);
    r.task = (__u64)t;
    r.leader = (__u64)leader;
    r.mm = (__u64)BPF_CORE_READ(t, mm);
    r.leader_mm = (__u64)BPF_CORE_READ(leader, mm);
    r.start_ns = BPF_CORE_READ(leader, start_boottime);
    r.live = BPF_CORE_READ(t, signal, live.counter);
    __u32 pf = BPF_CORE_READ(t, flags);
    if (pf & PF_EXITING)
        r.flags |= FLUSHCTX_EXITING;
    if (pf & PF_KTHREAD)
        r.flags |= FLUSHCTX_KTHREAD;
    r.exit_code = BPF_CORE_READ(t, exit_code);
    if (BPF_CORE_READ(t, signal, flags) & SIGNAL_GROUP_EXIT) {
        r.flags |= FLUSHCTX_GROUP_EXIT;
        /* a group death's fate is the group's: set (the killing signal,
         * or exit_group's status << 8) before any of its threads starts
         * to exit, so every flusher of the group reads the same, even one
         * that has not reached do_exit's own exit_code yet */
        r.exit_code = BPF_CORE_READ(t, signal, group_exit_code);
    }
    if (op == FLUSHCTX_OP_FLUSH &&
        count_table_fds(t, req, dev, r.nodeid, &r.table_fds))
        r.flags |= FLUSHCTX_FDS_COUNTED;
    if (op == FLUSHCTX_OP_FLUSH) {
        __u64 ino = r.nodeid;
        struct flushctx_file *f = bpf_map_lookup_elem(&files, &ino);
        if (f && f->owner) {
            /* kmod-2024 reads owner->mm now, through a pointer that may
             * name a freed or recycled task_struct: so do we.  A fault
             * (the memory went back to the page allocator) reads as 0. */
            struct task_struct *owner = (struct task_struct *)f->owner;
            __u64 mm = 0;
            r.owner = f->owner;
            r.flags |= FLUSHCTX_OWNER_READ;
            if (bpf_core_read(&mm, sizeof mm, &owner->mm) < 0) {
                r.flags |= FLUSHCTX_OWNER_FAULT;
                mm = 0;
            }
            r.owner_mm_now = mm;
        }
    }
    if (bpf_map_update_elem(&requests, &r.unique, &r, BPF_ANY) < 0)
        __sync_fetch_and_add(&lost_records, 1);
    return 0;
}

SEC("tp/syscalls/sys_enter_close")
int on_sys_enter_close(struct trace_event_raw_sys_enter *ctx)
{
    __u32 dev = watched_dev;
    if (!dev)
        return 0;
    unsigned int fd = (unsigned int)ctx->args[0];
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
    if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
        return 0;
    struct file **fds = BPF_CORE_READ(fdt, fd);
    struct file *file = NULL;
    if (bpf_core_read(&file, sizeof file, &fds[fd]) < 0 || !file)
        return 0;
    struct inode *inode = BPF_CORE_READ(file, f_inode);
    if (BPF_CORE_READ(inode, i_sb, s_dev) != dev)
        return 0;
    __u64 ino = BPF_CORE_READ(inode, i_ino);
    __u64 *n = bpf_map_lookup_elem(&closetracker, &ino);
    if (n) {
        __sync_fetch_and_add(n, 1);
        return 0;
    }
    __u64 one = 1;
    long err = bpf_map_update_elem(&closetracker, &ino, &one, BPF_NOEXIST);
    if (err == -17 /* EEXIST: another close made it meanwhile */) {
        if ((n = bpf_map_lookup_elem(&closetracker, &ino)))
            __sync_fetch_and_add(n, 1);
    } else if (err) { /* E2BIG: full */
        __sync_fetch_and_add(&uncounted_closes, 1);
    }
    return 0;
}
