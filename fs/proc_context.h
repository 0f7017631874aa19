/* proc_context.h - who is flushing, as far as /proc can tell.
 *
 * Owns: turning a FUSE request's thread id into the context the core needs
 * (task_ctx in core.h), from /proc/<tid>/status and /proc/<tgid>/task/.
 * Only `status` files are read inside request handlers: MEASURED.md shows
 * that /proc/<pid>/stat blocks while that process is in execve and waiting
 * for the very flush being handled.  The process start time is therefore
 * read at create only, and at flush the creator is recognized by its tgid
 * plus a pidfd taken at create (a pidfd turns readable once the process
 * has exited, so a reused pid never matches).
 *
 * proc_context_source() (flush_context.h) is this source behind the
 * filesystem's one context interface.
 */
#ifndef TERNRIG_PROC_CONTEXT_H
#define TERNRIG_PROC_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "core.h"

struct proc_facts {
    bool known;          /* /proc answered; false: decide safely        */
    pid_t tid, tgid;
    bool mm_alive;       /* VmSize: present in the flusher's status       */
    bool other_mm_alive; /* some other thread of the process has VmSize:  */
    bool kthread;        /* Kthread: 1 (a kernel thread, like nfsd)       */
    char why[96];        /* when !known: what /proc could not tell         */
};

/* Read the facts for thread `tid` (0: outside our pid namespace). */
void proc_facts_of(pid_t tid, struct proc_facts *out);

/* Process start time (field 22 of /proc/<tgid>/stat), read with a time
 * limit; 0 when unknown.  Call at create, never at flush. */
uint64_t proc_start_time(pid_t tgid, int timeout_ms);

/* Is the process of `pidfd` still alive (not yet exited)? */
bool pidfd_alive(int pidfd);
int pidfd_of(pid_t tgid);

#endif
