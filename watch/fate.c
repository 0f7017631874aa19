/* fate.c - per-file verdicts and explanations from the filesystem's log. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fate.h"
#include "grow.h"

#define NO_EVENT ((size_t)-1)

static const char *const verdict_names[FATE_VERDICT_COUNT] = {
    "sealed", "empty", "truncated", "aborted", "lost", "create-failed",
};

const char *fate_verdict_name(enum fate_verdict v)
{
    return v < FATE_VERDICT_COUNT ? verdict_names[v] : "?";
}

bool fate_is_loss(const struct fate *f)
{
    return f->verdict == FATE_EMPTY || f->verdict == FATE_TRUNCATED ||
           f->verdict == FATE_ABORTED || f->verdict == FATE_LOST;
}

static int add_event(struct fate *f, size_t k)
{
    if (grow(&f->events, &f->cap, f->nevents, sizeof *f->events, 8) < 0)
        return -1;
    f->events[f->nevents++] = k;
    return 0;
}

static struct fate *new_fate(struct fates *out, const struct flog_event *e)
{
    if (grow(&out->f, &out->cap, out->n, sizeof *out->f, 16) < 0)
        return NULL;
    struct fate *f = &out->f[out->n++];
    memset(f, 0, sizeof *f);
    f->ino = e->ino;
    f->parent = e->parent;
    f->tmpfile = e->tmpfile;
    snprintf(f->name, sizeof f->name, "%s", e->tmpfile ? "" : e->name);
    f->creator_tgid = e->tgid;
    f->creator_tid = e->tid;
    snprintf(f->creator_comm, sizeof f->creator_comm, "%s", e->comm);
    f->t_create = e->t;
    f->decider = NO_EVENT;
    f->size = f->writes = f->written = f->first_bad_off = -1;
    return f;
}

/* Which fate an inode number is now (the filesystem reuses the numbers of
 * files it has forgotten): live[ino] = fate index + 1, 0 for none. */
struct live_map {
    size_t *at;
    size_t cap;
};
#define LIVE_MAP_MAX (1u << 24) /* larger numbers: a linear search */

static int live_set(struct live_map *m, unsigned long ino, size_t fate)
{
    if (ino >= LIVE_MAP_MAX)
        return 0;
    while (ino >= m->cap) {
        size_t old = m->cap;
        if (grow(&m->at, &m->cap, m->cap, sizeof *m->at, 256) < 0)
            return -1;
        memset(m->at + old, 0, (m->cap - old) * sizeof *m->at);
    }
    m->at[ino] = fate + 1;
    return 0;
}

/* The live fate of inode `ino` (refused creates have ino 0, never live). */
static struct fate *fate_of(struct fates *out, const struct live_map *m,
                            unsigned long ino)
{
    if (!ino)
        return NULL;
    if (ino < LIVE_MAP_MAX)
        return ino < m->cap && m->at[ino] ? &out->f[m->at[ino] - 1] : NULL;
    for (size_t i = out->n; i-- > 0;)
        if (out->f[i].ino == ino)
            return &out->f[i];
    return NULL;
}

static void count_event(struct fate *f, const struct flog_event *e, size_t k)
{
    if (e->writes > f->writes)
        f->writes = e->writes;
    if (e->written > f->written)
        f->written = e->written;
    switch (e->op) {
    case FLOG_FLUSH:
        f->flushes++;
        if (!strcmp(e->decision, "seal") || !strcmp(e->decision, "abort")) {
            if (f->decider == NO_EVENT) {
                f->decider = k;
                f->size = e->size;
            }
        } else {
            f->ignored++;
            f->ignored_from_others += e->tgid != f->creator_tgid;
            if (f->decider == NO_EVENT && e->size >= 0)
                f->size = e->size; /* the size so far, for a lost file */
        }
        break;
    case FLOG_WRITE:
        if (!strcmp(e->result, "EINVAL")) {
            if (!f->refused_append)
                f->first_bad_off = e->off;
            f->refused_append++;
        } else if (!strcmp(e->state, "sealed")) {
            f->refused_sealed++;
        } else {
            f->refused_other++;
        }
        f->refused_bytes += e->len > 0 ? e->len : 0;
        f->refused_by_creator |= e->tgid == f->creator_tgid;
        if (e->tgid != f->creator_tgid && !f->other_writer[0])
            snprintf(f->other_writer, sizeof f->other_writer, "%s", e->comm);
        break;
    case FLOG_TRUNCATE: f->truncates_refused++; break;
    case FLOG_LINK:
        if (e->err) {
            if (!f->links_refused++)
                snprintf(f->link_refused, sizeof f->link_refused, "%s",
                         e->result);
        } else if (f->decider == NO_EVENT) { /* the link sealed it */
            f->decider = k;
            f->size = e->size;
            f->parent = e->parent;
            snprintf(f->name, sizeof f->name, "%s", e->name);
        }
        break;
    default: break;
    }
}

static void decide(struct fate *f, const struct flog *log)
{
    if (f->ino == 0) {
        f->verdict = FATE_CREATE_FAILED;
        return;
    }
    if (f->decider == NO_EVENT) {
        f->verdict = FATE_LOST;
        return;
    }
    if (log->ev[f->decider].op == FLOG_FLUSH &&
        !strcmp(log->ev[f->decider].decision, "abort")) {
        f->verdict = FATE_ABORTED;
        return;
    }
    bool refused = f->refused_sealed || f->refused_append ||
                   f->refused_other || f->truncates_refused;
    f->verdict = !refused ? FATE_SEALED
                 : f->size == 0 ? FATE_EMPTY
                                : FATE_TRUNCATED;
}

int fates_build(const struct flog *log, struct fates *out)
{
    memset(out, 0, sizeof *out);
    struct live_map live = {0};
    for (size_t k = 0; k < log->n; k++) {
        const struct flog_event *e = &log->ev[k];
        struct fate *f;
        if (e->op == FLOG_CREATE && (f = fate_of(out, &live, e->ino)) &&
            f->nevents == 1 && !strcmp(f->name, e->name)) {
            /* the same create logged twice (two context sources) */
            if (!strcmp(f->creator_comm, "?"))
                snprintf(f->creator_comm, sizeof f->creator_comm, "%s",
                         e->comm);
            if (!f->parent)
                f->parent = e->parent;
            continue;
        }
        if (e->op == FLOG_CREATE) {
            bool ok = !strcmp(e->result, "ok");
            /* a granted create of an inode number is a new file */
            if (!(f = new_fate(out, e)))
                goto oom;
            if (!ok)
                f->ino = 0;
            else if (live_set(&live, f->ino, out->n - 1) < 0)
                goto oom;
        } else if (!(f = fate_of(out, &live, e->ino))) {
            continue; /* created before this excerpt of the log */
        }
        if (add_event(f, k) < 0)
            goto oom;
        if (e->op != FLOG_CREATE)
            count_event(f, e, k);
    }
    for (size_t i = 0; i < out->n; i++)
        decide(&out->f[i], log);
    free(live.at);
    return 0;
oom:
    free(live.at);
    fates_free(out);
    return -1;
}

void fates_free(struct fates *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        free(fs->f[i].events);
    free(fs->f);
    memset(fs, 0, sizeof *fs);
}

/* ---- words ---- */

struct text {
    char *buf;
    size_t cap, len;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
    if (t->len + 1 >= t->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < t->cap - t->len ? (size_t)n : t->cap - t->len - 1;
}

/* "bash[12]", or "bash" without pids. */
static void put_task(struct text *t, const char *comm, int pid, bool with_pids)
{
    if (with_pids && pid > 0)
        put(t, "%s[%d]", comm, pid);
    else
        put(t, "%s", comm);
}

void fate_describe_flusher(const struct fate *f, const struct flog_event *ev,
                           bool with_pids, char *buf, size_t cap)
{
    struct text t = {buf, cap, 0};
    buf[0] = 0;
    if (!ev->known) {
        put(&t, "a task /proc could not tell (%s)", ev->why);
        return;
    }
    bool creator = ev->tgid == f->creator_tgid;
    put(&t, "%s", creator ? (ev->tid != ev->tgid ? "a thread of its creator"
                                                 : "its creator")
                          : "another process");
    put(&t, " (");
    /* a log line without comm: the creator's, from its create */
    put_task(&t, strcmp(ev->comm, "?") || !creator ? ev->comm : f->creator_comm,
             ev->tgid, with_pids);
    if (with_pids && ev->tid != ev->tgid)
        put(&t, " thread %d", ev->tid);
    put(&t, ")");
    if (!ev->mm_alive)
        put(&t, ", exiting (mm gone)");
    if (ev->group_exit)
        put(&t, ", in its process's exit");
    if (ev->path[0])
        put(&t, ", by %s", ev->path);
}

static const char *plural(long long n)
{
    return n == 1 ? "" : "s";
}

/* The refused changes, as a clause: "; then 1 write (6 bytes) was
 * refused". */
static void put_refusals(struct text *t, const struct fate *f)
{
    unsigned late = f->refused_sealed + f->refused_other;
    if (late) {
        put(t, "; %u later write%s (%lld bytes", late, plural(late),
            f->refused_bytes);
        if (f->other_writer[0])
            put(t, ", %sby another process, %s",
                f->refused_by_creator ? "some " : "", f->other_writer);
        put(t, ") %s refused", late == 1 ? "was" : "were");
    }
    if (f->refused_append)
        put(t, "; %u write%s refused because not at the end of the file "
               "(first at offset %lld): files are append-only",
            f->refused_append, plural(f->refused_append), f->first_bad_off);
    if (f->truncates_refused)
        put(t, "; %u truncate%s refused: a sealed file is immutable",
            f->truncates_refused, plural(f->truncates_refused));
}

/* "; 22 bytes lost": what was written (a log without "written": the
 * size the file had). */
static void put_lost(struct text *t, const struct fate *f, long long size)
{
    long long n = f->written >= 0 ? f->written : size;
    if (n > 0)
        put(t, "; %lld byte%s lost", n, plural(n));
}

/* An O_TMPFILE file that was never linked: why it stayed unnamed. */
static void put_unlinked(struct text *t, const struct fate *f)
{
    if (!f->tmpfile)
        return;
    put(t, " (an O_TMPFILE file: only a link makes it visible");
    if (f->links_refused)
        put(t, "; %u link%s refused with %s", f->links_refused,
            f->links_refused == 1 ? " was" : "s were",
            f->link_refused);
    else
        put(t, "; it was never linked");
    put(t, ")");
}

static void put_ignored(struct text *t, const struct fate *f)
{
    if (!f->ignored)
        return;
    put(t, "; %u earlier flush%s ", f->ignored, f->ignored == 1 ? "" : "es");
    if (f->ignored_from_others == f->ignored)
        put(t, "from other processes ");
    put(t, "ignored");
}

/* A teardown flush by a thread other than the leader (a thread that held
 * its own fd table): the order in which the dying threads exited decided
 * what this flush saw (SPEC v2, `order`).  Says which order the kernel took,
 * from the leader's mm as the flush saw it (BPF contexts only). */
static void put_schedule(struct text *t, const struct flog_event *d,
                         bool with_pids)
{
    if (!d || !d->kernel_view || d->mm_alive || d->tid == d->tgid)
        return;
    put(t, " (schedule: the thread");
    if (with_pids)
        put(t, " %d", d->tid);
    put(t, " with the second fd table exited %s the leader%s, %s)",
        d->leader_mm ? "before" : "after",
        d->group_exit ? "" : " in another thread's exec",
        d->leader_mm ? "which still had its mm" : "whose mm was gone");
}

/* A flush from another process that a policy on task pointers took for the
 * creator's: its group leader is the creator's freed leader task_struct,
 * reused (SPEC v2, `reuses`).  Says so, from the pointers the flush
 * showed (BPF contexts only). */
static void put_reuse(struct text *t, const struct fate *f,
                      const struct flog_event *d)
{
    if (!d || !d->kernel_view || !d->owner_known || !d->owner ||
        d->leader != d->owner || d->tgid == f->creator_tgid)
        return;
    put(t, " (schedule: its group leader got the freed task_struct of the "
           "creator's leader, so the owner pointer matched it)");
}

static void put_sealed(struct text *t, const struct fate *f,
                       const struct flog_event *d, bool with_pids)
{
    char who[200];
    fate_describe_flusher(f, d, with_pids, who, sizeof who);
    bool creator = d->tgid == f->creator_tgid;
    put(t, "sealed with %lld byte%s", d->size, plural(d->size));
    if (f->writes >= 0)
        put(t, " (%lld write%s)", f->writes, plural(f->writes));
    if (d->op == FLOG_LINK) { /* O_TMPFILE: the link made it visible */
        put(t, " when %s linked it (O_TMPFILE, then linkat)", who);
        return;
    }
    if (creator && d->mm_alive)
        put(t, " at a close by %s", who);
    else if (creator) {
        put(t, " by the flush at its creator's exit: it never closed the "
               "file itself");
        put_schedule(t, d, with_pids);
    }
    else {
        put(t, " by a flush from %s", who);
        put_reuse(t, f, d);
    }
    if (f->verdict == FATE_EMPTY && creator && d->mm_alive &&
        f->refused_by_creator && f->refused_sealed)
        put(t, ", though it still had the file open on a second fd (open, "
               "dup2 onto another fd, close: that close seals)");
    else if (f->verdict == FATE_TRUNCATED && !creator)
        put(t, ", while its creator was still writing");
}

void fate_explain(const struct fate *f, const struct flog *log,
                  bool with_pids, char *buf, size_t cap)
{
    struct text t = {buf, cap, 0};
    buf[0] = 0;
    put(&t, "%s: ", fate_verdict_name(f->verdict));
    const struct flog_event *d =
        f->decider != NO_EVENT ? &log->ev[f->decider] : NULL;
    char who[200];
    switch (f->verdict) {
    case FATE_SEALED:
    case FATE_EMPTY:
    case FATE_TRUNCATED:
        put_sealed(&t, f, d, with_pids);
        put_refusals(&t, f);
        put_ignored(&t, f);
        break;
    case FATE_ABORTED:
        fate_describe_flusher(f, d, with_pids, who, sizeof who);
        if (d->tgid == f->creator_tgid && !d->mm_alive) {
            put(&t, "never visible: its creator (%s) exited without "
                    "closing it, and the flush at its exit (mm gone) aborts",
                f->creator_comm);
            put_schedule(&t, d, with_pids);
        } else {
            put(&t, "never visible: aborted by a flush from %s", who);
            put_reuse(&t, f, d);
        }
        put_unlinked(&t, f);
        put_lost(&t, f, d->size);
        put_refusals(&t, f);
        break;
    case FATE_LOST:
        if (!f->flushes) {
            put(&t, "never sealed, so never visible: no flush reached it "
                    "(still open, or closed without a flush)");
        } else {
            const struct flog_event *last = NULL;
            for (size_t k = f->nevents; k-- > 0 && !last;)
                if (log->ev[f->events[k]].op == FLOG_FLUSH)
                    last = &log->ev[f->events[k]];
            fate_describe_flusher(f, last, with_pids, who, sizeof who);
            put(&t, "never sealed, so never visible: %s %u flush%s %s "
                    "ignored (the last from %s)",
                f->flushes == 1 ? "its" : "all", f->flushes,
                f->flushes == 1 ? "" : "es", f->flushes == 1 ? "was" : "were",
                who);
        }
        put_unlinked(&t, f);
        put_lost(&t, f, f->size);
        put_refusals(&t, f);
        break;
    case FATE_CREATE_FAILED:
    default: {
        const struct flog_event *c = &log->ev[f->events[0]];
        put(&t, "the filesystem refused to create it for ");
        put_task(&t, c->comm, c->tgid, with_pids);
        put(&t, " (%s)", c->result);
        break;
    }
    }
}
