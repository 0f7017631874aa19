/* fs_log.c - the filesystem's events as flush-log lines. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "fs_log.h"
#include "proc_context.h"

/* The task's command name ("?" when gone).  /proc/<tid>/comm, like
 * status, never waits on an exec in progress. */
static void comm_of(pid_t tid, char *out, size_t cap)
{
    char path[64], raw[64] = "?";
    snprintf(path, sizeof path, "/proc/%d/comm", (int)tid);
    int fd = tid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        ssize_t n = read(fd, raw, sizeof raw - 1);
        close(fd);
        raw[n > 0 ? n : 0] = 0;
        raw[strcspn(raw, "\n")] = 0;
    }
    snprintf(out, cap, "%s", raw);
}

static void set_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int fs_log_create(FILE *log, enum policy policy, struct context_source *src,
                  const struct requester *who, node_ino ino, node_ino parent,
                  const char *name, int err, bool tmpfile,
                  const char *why)
{
    if (!log)
        return 0;
    struct flog_event ev;
    flushlog_event_init(&ev, FLOG_CREATE);
    comm_of(who->tid, ev.comm, sizeof ev.comm);
    src->describe(who, NULL, &ev);
    set_str(ev.policy, sizeof ev.policy, policy_name(policy));
    ev.ino = (unsigned long)ino;
    ev.parent = (unsigned long)parent;
    set_str(ev.name, sizeof ev.name, name);
    ev.err = err;
    ev.tmpfile = tmpfile;
    set_str(ev.why, sizeof ev.why, why);
    return flushlog_write(log, &ev);
}

int fs_log_link(FILE *log, enum policy policy, struct context_source *src,
                const struct requester *who, node_ino ino,
                const struct node *nd, node_ino parent, const char *name,
                int err, const char *why)
{
    if (!log)
        return 0;
    struct flog_event ev;
    flushlog_event_init(&ev, FLOG_LINK);
    comm_of(who->tid, ev.comm, sizeof ev.comm);
    src->describe(who, nd ? &nd->file : NULL, &ev);
    set_str(ev.policy, sizeof ev.policy, policy_name(policy));
    ev.ino = (unsigned long)ino;
    ev.parent = (unsigned long)parent;
    set_str(ev.name, sizeof ev.name, name);
    ev.err = err;
    if (nd) {
        set_str(ev.state, sizeof ev.state, node_state_name(nd->state));
        ev.size = (long long)nd->size;
        ev.writes = (long long)nd->writes;
        ev.written = (long long)nd->written;
    }
    set_str(ev.why, sizeof ev.why, why);
    return flushlog_write(log, &ev);
}

int fs_log_flush(FILE *log, enum policy policy, struct context_source *src,
                 const struct requester *who, node_ino ino,
                 const struct node *nd, struct flog_event *seen,
                 enum flush_decision d, const char *why)
{
    if (!log)
        return 0;
    struct flog_event *ev = seen;
    ev->op = FLOG_FLUSH;
    comm_of(who->tid, ev->comm, sizeof ev->comm);
    src->describe(who, &nd->file, ev);
    set_str(ev->policy, sizeof ev->policy, policy_name(policy));
    ev->ino = (unsigned long)ino;
    set_str(ev->name, sizeof ev->name, nd->name);
    ev->creator = (int)nd->file.creator;
    set_str(ev->state, sizeof ev->state, node_state_name(nd->state));
    ev->size = (long long)nd->size;
    set_str(ev->decision, sizeof ev->decision, flush_decision_name(d));
    set_str(ev->why, sizeof ev->why, why);
    ev->writes = (long long)nd->writes;
    ev->written = (long long)nd->written;
    return flushlog_write(log, ev);
}

int fs_log_late_flush(FILE *log, enum policy policy,
                      struct context_source *src, const struct requester *who,
                      node_ino ino, const struct node *nd)
{
    if (!log)
        return 0;
    struct flog_event ev;
    flushlog_event_init(&ev, FLOG_FLUSH);
    comm_of(who->tid, ev.comm, sizeof ev.comm);
    src->describe(who, &nd->file, &ev);
    set_str(ev.policy, sizeof ev.policy, policy_name(policy));
    ev.ino = (unsigned long)ino;
    set_str(ev.name, sizeof ev.name, nd->name);
    ev.creator = (int)nd->file.creator;
    set_str(ev.state, sizeof ev.state, node_state_name(nd->state));
    ev.size = (long long)nd->size;
    set_str(ev.why, sizeof ev.why, "decided already");
    return flushlog_write(log, &ev);
}

int fs_log_refused(FILE *log, pid_t pid, node_ino ino, const struct node *nd,
                   enum flog_op op, off_t off, size_t len, int err)
{
    if (!log)
        return 0;
    struct proc_facts pf;
    proc_facts_of(pid, &pf);
    struct flog_event ev;
    flushlog_event_init(&ev, op);
    ev.ino = (unsigned long)ino;
    set_str(ev.name, sizeof ev.name, nd->name);
    ev.tid = pf.tid;
    ev.tgid = pf.tgid;
    comm_of(pf.tid, ev.comm, sizeof ev.comm);
    ev.off = (long long)off;
    ev.len = (long long)len;
    ev.size = (long long)nd->size;
    set_str(ev.state, sizeof ev.state, node_state_name(nd->state));
    ev.err = err;
    return flushlog_write(log, &ev);
}
