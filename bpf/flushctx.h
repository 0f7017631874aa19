/* flushctx.h - the records the BPF program (flushctx.bpf.c) leaves for
 * ternrig fs (fs/bpf_context.c) in its maps.  Shared by both sides: plain
 * fixed-width fields only.
 *
 * Map `requests` (LRU hash, key: the FUSE request's `unique`): the sender's
 * context of every CREATE, TMPFILE, LINK, FLUSH and RELEASE request of the watched FUSE
 * connection, written when the kernel queues the request, in the sender's
 * own context.  The filesystem reads the header's `unique` of the request
 * it is handling and takes (looks up, then deletes) that entry.
 *
 * Map `tasks` (LRU hash, key: thread id): the task_struct pointer of each
 * new task, written by copy_process()'s task_newtask tracepoint.
 *
 * Map `files` (hash, key: inode number): the transient files ternrig fs
 * tracks.  The filesystem inserts one at create (owner = the creator's
 * group_leader pointer) and deletes it when the file is decided; at a FLUSH
 * of it the BPF program reads owner->mm through the (maybe stale) owner
 * pointer, as the TernFS kernel module of 2024 does.
 *
 * Map `closetracker` (hash, key: inode number, value: a u64 counter): the
 * close tracker of TernFS's FUSE client, as TernFS builds it.  Every
 * close(2) by any task on an fd of any inode of the watched mount adds one
 * to the inode's counter, creating it when absent; when the map is full
 * (its max_entries, set by the loader: TernFS's is 1,048,576) a close of an
 * inode without a counter is not counted (`uncounted_closes` counts those).
 * Only the filesystem deletes a counter: at the flush that seals a
 * transient regular file.  Counters of sealed files and tmpfiles stay.
 */
#ifndef TERNRIG_FLUSHCTX_H
#define TERNRIG_FLUSHCTX_H

#ifndef __VMLINUX_H__
#include <stdint.h>
typedef uint64_t flushctx_u64;
typedef uint32_t flushctx_u32;
typedef int32_t flushctx_s32;
#else
typedef __u64 flushctx_u64;
typedef __u32 flushctx_u32;
typedef __s32 flushctx_s32;
#endif

/* FUSE opcodes (include/uapi/linux/fuse.h) the program records. */
#define FLUSHCTX_OP_LINK 13
#define FLUSHCTX_OP_RELEASE 18
#define FLUSHCTX_OP_FLUSH 25
#define FLUSHCTX_OP_CREATE 35
#define FLUSHCTX_OP_TMPFILE 51

/* flushctx_rec.flags */
#define FLUSHCTX_EXITING 0x1u    /* current->flags & PF_EXITING           */
#define FLUSHCTX_KTHREAD 0x2u    /* current->flags & PF_KTHREAD           */
#define FLUSHCTX_GROUP_EXIT 0x4u /* signal->flags & SIGNAL_GROUP_EXIT     */
#define FLUSHCTX_OWNER_READ 0x8u /* owner_mm_now was read (tracked file)  */
#define FLUSHCTX_OWNER_FAULT 0x10u /* reading owner->mm faulted            */
#define FLUSHCTX_FDS_COUNTED 0x20u /* FLUSH: table_fds was counted         */

struct flushctx_rec {
    flushctx_u64 unique;    /* the request's unique id (the map key)      */
    flushctx_u64 nodeid;    /* the inode the request is about             */
    flushctx_u64 task;      /* current                                     */
    flushctx_u64 leader;    /* current->group_leader                       */
    flushctx_u64 mm;        /* current->mm (0: NULL, the task is exiting)  */
    flushctx_u64 leader_mm; /* current->group_leader->mm                   */
    flushctx_u64 start_ns;  /* group_leader->start_boottime: with the tgid,
                               the process identity (exec keeps it)         */
    flushctx_u64 owner;     /* FLUSH of a tracked file: its owner pointer  */
    flushctx_u64 owner_mm_now; /* ... and owner->mm read now               */
    flushctx_u32 opcode;
    flushctx_u32 tid;       /* in the initial pid namespace                */
    flushctx_u32 tgid;
    flushctx_u32 flags;     /* FLUSHCTX_*                                   */
    flushctx_s32 live;      /* signal->live: threads not yet in do_exit    */
    flushctx_s32 exit_code; /* signal->group_exit_code in a group death
                               (FLUSHCTX_GROUP_EXIT), else
                               current->exit_code (do_exit sets it before
                               exit_mm and exit_files); low 7 bits the
                               killing signal, else (status << 8)        */
    /* FLUSH (FLUSHCTX_FDS_COUNTED): fds of current->files that refer to
     * the flushed open file (same inode of the mount, same FUSE fh),
     * counted when the request is sent: the closed fd is already out of
     * the table.  Not counted when current->files is NULL (teardown). */
    flushctx_u32 table_fds;
    flushctx_u32 pad;
};

struct flushctx_file {
    flushctx_u64 owner; /* the creator's group_leader pointer             */
};

/* The close tracker's capacity when the loader sets none: TernFS's. */
#define FLUSHCTX_CLOSETRACKER_ENTRIES 1048576u

#endif
