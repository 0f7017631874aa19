/* bpf_context.h - who is creating or flushing, as the kernel itself sees
 * it: the BPF context source of ternrig fs.
 *
 * Owns: loading and attaching bpf/flushctx.bpf.c (a libbpf CO-RE skeleton),
 * pointing it at one FUSE connection, and reading what it recorded: the
 * sender's context of each CREATE, FLUSH and RELEASE request (task and
 * group_leader pointers, mm pointers, process start time; record layout
 * in bpf/flushctx.h), the close tracker's counter of each inode (TernFS's map), and
 * owner->mm read at a flush through the file's owner pointer.
 *
 * Requests are matched by the FUSE header's `unique` id, not by thread id:
 * unique is exact even when one thread has several requests in flight and
 * when the sender lives in another pid namespace (its pid then reads 0).
 *
 * When ternrig is built without libbpf/bpftool/clang, bpf_context_open()
 * fails and says so: callers fall back to /proc (proc_context.h).
 *
 * bpf_context_source() (flush_context.h) is this source behind the
 * filesystem's one context interface.
 */
#ifndef TERNRIG_BPF_CONTEXT_H
#define TERNRIG_BPF_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flushctx.h"

struct bpf_context;

/* Load and attach the programs (root; BTF at /sys/kernel/btf/vmlinux; no
 * lockdown).  The close tracker (close(2) counts, TernFS's map of
 * `closetracker_entries` counters) only when that is above 0: a syscall
 * tracepoint puts every syscall of every task on the machine on the slow
 * path (about +0.5 us per close(2) measured here), so it is attached only
 * for the policy that needs it.  Mounts tracefs on /sys/kernel/tracing when
 * no tracefs is mounted, and then says so in `note` (else note is "").
 * Returns NULL with `why` filled when BPF cannot be used. */
struct bpf_context *bpf_context_open(uint32_t closetracker_entries,
                                     char *why, size_t cap, char *note,
                                     size_t note_cap);
void bpf_context_close(struct bpf_context *bc);

/* Watch the FUSE connection mounted on `mountpoint`, an absolute path
 * without symlinks (resolve it before mounting: resolving it after would
 * ask the filesystem, which does not serve yet).  The mount is found in
 * /proc/self/mountinfo, which sends no FUSE request.  Returns 0, or -1 with
 * `why`. */
int bpf_context_watch(struct bpf_context *bc, const char *mountpoint,
                      char *why, size_t cap);

/* Take (read and delete) the record of request `unique`.  Returns false
 * when there is none (the request came before the watch began, or the
 * record was lost: see bpf_context_lost). */
bool bpf_context_take(struct bpf_context *bc, uint64_t unique,
                      struct flushctx_rec *out);

/* Track inode `ino` (a transient file) from its create on: its flushes
 * read owner->mm through `owner`.  Returns 0, or -1 (map full). */
int bpf_context_track(struct bpf_context *bc, uint64_t ino, uint64_t owner);
/* The close tracker's counter of `ino`: 0 when it has none (never counted,
 * or consumed); -1 when closes are not counted. */
int64_t bpf_context_closes(struct bpf_context *bc, uint64_t ino);
/* Delete the counter of `ino` (the flush that sealed it took it). */
void bpf_context_consume_closes(struct bpf_context *bc, uint64_t ino);
/* close(2) calls the full map could not count. */
uint64_t bpf_context_uncounted(const struct bpf_context *bc);
/* The close tracker's capacity (0: closes are not counted). */
uint32_t bpf_context_closetracker(const struct bpf_context *bc);
/* Stop tracking (the file is decided, or its writer is released). */
void bpf_context_untrack(struct bpf_context *bc, uint64_t ino);
/* Records the program could not store (request map full). */
uint64_t bpf_context_lost(const struct bpf_context *bc);
/* The task_struct pointer of the task with thread id `tid` (initial pid
 * namespace), as the kernel made it (its task_newtask tracepoint); 0 when
 * not recorded (made before the program was attached, or dropped by the
 * LRU map). */
uint64_t bpf_context_task(const struct bpf_context *bc, uint32_t tid);

/* Pure: if mountinfo `line` is the mount on `mountpoint` (an absolute
 * path, unescaped), set the kernel dev_t of the mount (major << 20 | minor)
 * and return 0; else -1.  Of several mounts on one point, the last line is
 * the one on top. */
int mountinfo_dev(const char *line, const char *mountpoint, uint32_t *dev);

#endif
