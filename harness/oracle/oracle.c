/* oracle.c - SPEC §5 over a plain event list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oracle.h"

struct ofile {
    uint8_t state;     /* enum outcome */
    bool created, uncertain;
    bool tmpfile;      /* visible only by link: no early-seal, no
                          visible-after-abort; lost-file after a link */
    bool closed;       /* the creator consciously closed it (or may have) */
    bool done;         /* the creator reached a done point of the rule   */
    bool pend_exit;    /* the pending check is a normal exit's: the dying
                          creator's own teardown closes do not settle it */
    bool reported[FIND_KIND_COUNT];
    bool pending;      /* a conscious close waits for its result */
    uint32_t pending_index;
    uint64_t pend_lo, pend_hi; /* lo, hi at that close */
    uint16_t creator;
    uint64_t lo, hi;   /* bytes successfully written: sure, possible */
    uint64_t sealed_bytes;
    uint32_t seal_index;
};

struct oracle {
    uint32_t max_files, max_procs;
    struct ofile *file;
    uint8_t *dead;
    struct file_outcome *outcome;
    struct finding findings[MAX_FINDINGS];
    uint32_t nfindings;
    bool truncated;
    bool looks_only;   /* the history being judged: see event.h */
    unsigned done;     /* enum done_rule bits of the judgement */
};

struct oracle *oracle_new(uint32_t max_files, uint32_t max_procs)
{
    struct oracle *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->max_files = max_files;
    o->max_procs = max_procs;
    o->file = calloc(max_files ? max_files : 1, sizeof *o->file);
    o->outcome = calloc(max_files ? max_files : 1, sizeof *o->outcome);
    o->dead = calloc(max_procs ? max_procs : 1, 1);
    if (!o->file || !o->outcome || !o->dead) {
        oracle_free(o);
        return NULL;
    }
    return o;
}

void oracle_free(struct oracle *o)
{
    if (!o)
        return;
    free(o->file);
    free(o->outcome);
    free(o->dead);
    free(o);
}

static struct finding *report(struct oracle *o, enum finding_kind k,
                              uint16_t file, uint32_t index)
{
    struct ofile *f = &o->file[file];
    if (f->reported[k])
        return NULL;
    f->reported[k] = true;
    if (o->nfindings == MAX_FINDINGS) {
        o->truncated = true;
        return NULL;
    }
    struct finding *r = &o->findings[o->nfindings++];
    memset(r, 0, sizeof *r);
    r->kind = (uint8_t)k;
    r->file = file;
    r->index = index;
    r->cause = index;
    return r;
}

/* Right after a conscious close and its flush: sealed with exactly what the
 * creator wrote?  Checked at the next event of the file that is not the
 * close's own outcome (flush, seal, abort, observation), or at the end, so
 * that events of other files may come in between (real ledgers). */
static void check_pending(struct oracle *o, uint16_t fi, uint32_t at)
{
    struct ofile *f = &o->file[fi];
    if (!f->pending)
        return;
    f->pending = false;
    bool at_exit = f->pend_exit;
    f->pend_exit = false;
    if (f->uncertain)
        return;
    bool ok = f->state == OUTCOME_SEALED && f->sealed_bytes >= f->pend_lo &&
              f->sealed_bytes <= f->pend_hi;
    if (ok)
        return;
    struct finding *r = report(o, FIND_LOST_FILE, fi, f->pending_index);
    if (r) {
        r->state = f->state;
        r->unseen = o->looks_only && f->state != OUTCOME_SEALED;
        r->after_link = f->tmpfile;
        r->at_exit = at_exit;
        r->expected = f->pend_lo;
        r->got = f->sealed_bytes;
        r->cause = at; /* what settled it: the next event, or a look */
    }
}

/* The file became visible with `bytes` (a seal, or an observer saw it). */
static void became_visible(struct oracle *o, uint16_t fi, uint64_t bytes,
                           uint32_t index)
{
    struct ofile *f = &o->file[fi];
    if (f->state == OUTCOME_SEALED) {
        if (bytes != f->sealed_bytes) {
            struct finding *r = report(o, FIND_MUTATED_AFTER_SEAL, fi, index);
            if (r) {
                r->cause = f->seal_index;
                r->expected = f->sealed_bytes;
                r->got = bytes;
            }
        }
        return;
    }
    f->state = OUTCOME_SEALED;
    f->sealed_bytes = bytes;
    f->seal_index = index;
    if (f->closed || !f->created || f->uncertain || f->tmpfile)
        return;
    struct finding *r = report(o, o->dead[f->creator]
                                      ? FIND_VISIBLE_AFTER_ABORT
                                      : FIND_EARLY_SEAL,
                               fi, index);
    if (r)
        r->got = bytes;
}

static void on_create(struct oracle *o, const struct event *e, uint32_t i)
{
    struct ofile *f = &o->file[e->file];
    if (f->created) /* an existing name: EEXIST, or an unknown retry */
        return;
    if (e->result == 0 || e->result == RESULT_UNKNOWN) {
        memset(f, 0, sizeof *f);
        f->created = true;
        f->tmpfile = e->tmpfile;
        f->uncertain = e->result == RESULT_UNKNOWN;
        f->creator = e->proc;
        f->state = OUTCOME_TRANSIENT;
        return;
    }
    /* EEXIST is no refusal; EOPNOTSUPP is a TernFS without tmpfiles */
    if (e->result == -ERR_EEXIST || e->result == -ERR_EOPNOTSUPP)
        return;
    struct finding *r = report(o, e->kthread ? FIND_KERNEL_CREATE_REFUSED
                                             : FIND_CREATE_FAILED,
                               e->file, i);
    if (r)
        r->err = -e->result;
}

static void on_write(struct oracle *o, const struct event *e, uint32_t i)
{
    struct ofile *f = &o->file[e->file];
    if (e->rdonly)
        return; /* through a read-only fd: not the file's content */
    if (e->result == 0) {
        if (f->state == OUTCOME_SEALED) {
            struct finding *r = report(o, FIND_MUTATED_AFTER_SEAL, e->file, i);
            if (r) {
                r->cause = f->seal_index;
                r->by_write = true;
                r->expected = f->sealed_bytes;
                r->got = e->bytes;
            }
        } else if (f->state == OUTCOME_TRANSIENT) {
            f->lo += e->bytes;
            f->hi += e->bytes;
        }
    } else if (e->result == RESULT_UNKNOWN) {
        if (f->state == OUTCOME_TRANSIENT)
            f->hi += e->bytes;
    } else if (f->state == OUTCOME_SEALED) {
        report(o, FIND_WRITE_AFTER_SEAL, e->file, i);
    }
}

/* Arm the lost-file check: right after this event (a conscious close, or
 * a tmpfile's link, a normal exit: `at_exit`), F must be sealed with the
 * bytes written so far. */
static void expect_sealed_now(struct oracle *o, uint16_t fi, uint32_t i,
                              bool at_exit)
{
    struct ofile *f = &o->file[fi];
    f->pending = true;
    f->pend_exit = at_exit;
    f->pending_index = i;
    f->pend_lo = f->lo;
    f->pend_hi = f->hi;
    if (o->looks_only && f->state == OUTCOME_SEALED)
        check_pending(o, fi, f->seal_index); /* a look proved the seal,
                                                which is final */
}

static void on_close(struct oracle *o, const struct event *e, uint32_t i)
{
    struct ofile *f = &o->file[e->file];
    if (!f->created || !close_cause_is_explicit((enum close_cause)e->cause) ||
        e->rdonly || e->proc != f->creator || o->dead[e->proc])
        return;
    f->closed = true;
    if ((o->done & DONE_LAST_FD) && e->table_fds > 0)
        return; /* another fd of the closer's table holds it: not done */
    f->done = true;
    if (f->tmpfile)
        return; /* a tmpfile is made visible by link, not by a close */
    if (e->result == RESULT_UNKNOWN || e->result < 0)
        return;
    if (f->pending && o->looks_only)
        return; /* still waiting for a look after the first one */
    expect_sealed_now(o, e->file, i, false);
}

/* A link of tmpfile F by a thread of its live creator process, before any
 * conscious close of F: F must be sealed with what was written (whatever
 * the link returned: a refused link is the lost file). */
static void on_link(struct oracle *o, const struct event *e, uint32_t i)
{
    if (e->file == EV_NONE) /* a failed fd: no file */
        return;
    struct ofile *f = &o->file[e->file];
    if (!f->created || !f->tmpfile || f->uncertain || f->done ||
        e->proc != f->creator || o->dead[e->proc] ||
        e->result == RESULT_UNKNOWN || f->pending)
        return;
    expect_sealed_now(o, e->file, i, false);
}

static void on_death(struct oracle *o, const struct event *e, uint32_t i,
                     uint32_t nfiles)
{
    o->dead[e->proc] = 1;
    /* A normal exit is a done point of the files the creator has not
     * reached one of (DONE_CLEAN_EXIT): judged once its teardown is over. */
    for (uint32_t fi = 0; e->clean_exit && (o->done & DONE_CLEAN_EXIT) &&
                          fi < nfiles; fi++) {
        struct ofile *f = &o->file[fi];
        if (!f->created || f->uncertain || f->tmpfile ||
            f->creator != e->proc || f->done)
            continue;
        f->closed = f->done = true;
        expect_sealed_now(o, (uint16_t)fi, i, true);
    }
    for (uint32_t fi = 0; fi < nfiles; fi++) {
        struct ofile *f = &o->file[fi];
        if (f->created && !f->uncertain && !f->tmpfile &&
            f->creator == e->proc && !f->closed &&
            f->state == OUTCOME_SEALED) {
            struct finding *r =
                report(o, FIND_VISIBLE_AFTER_ABORT, (uint16_t)fi, i);
            if (r) {
                r->cause = f->seal_index;
                r->got = f->sealed_bytes;
            }
        }
    }
}

/* Does event e settle the pending check of its file (see oracle_judge)? */
static bool settles(const struct oracle *o, const struct event *e)
{
    const struct ofile *f = &o->file[e->file];
    if (!f->pending || o->looks_only || e->type == EV_FLUSH ||
        e->type == EV_SEAL || e->type == EV_ABORT || e->type == EV_OBSERVE ||
        e->type == EV_UNSEEN)
        return false;
    return !(f->pend_exit && e->type == EV_CLOSE &&
             e->cause == CLOSE_TEARDOWN && e->proc == f->creator);
}

int oracle_judge(struct oracle *o, const struct history *h, uint32_t nfiles,
                 unsigned done, struct verdict *out, uint32_t *bad_index)
{
    if (nfiles > o->max_files)
        nfiles = o->max_files;
    memset(o->file, 0, nfiles * sizeof *o->file);
    memset(o->dead, 0, o->max_procs);
    o->nfindings = 0;
    o->truncated = false;
    o->looks_only = h->looks_only;
    o->done = done;
    for (uint32_t i = 0; i < h->len; i++) {
        const struct event *e = &h->ev[i];
        bool has_file = e->file != EV_NONE;
        /* Events about a file need it in range; those about a process (a
         * create, a close, a death) need the process. */
        bool needs_file = e->type == EV_CREATE || e->type == EV_CLOSE ||
                          e->type == EV_SEAL || e->type == EV_ABORT ||
                          e->type == EV_OBSERVE || e->type == EV_UNSEEN;
        bool needs_proc = e->type == EV_CREATE || e->type == EV_CLOSE ||
                          e->type == EV_DEATH || e->type == EV_LINK;
        if ((has_file && e->file >= nfiles) || (needs_file && !has_file) ||
            (e->proc != EV_NONE && e->proc >= o->max_procs) ||
            (needs_proc && e->proc == EV_NONE)) {
            *bad_index = i;
            return -1;
        }
        /* With decisions, a close's outcome is settled by the next event
         * of the file that is not that outcome (after a normal exit: nor
         * the dying creator's teardown).  With looks only, by the first
         * look after the close, and by nothing else: until a look, the
         * state after the close is unknown, not transient. */
        if (has_file && settles(o, e))
            check_pending(o, e->file, i);
        switch (e->type) {
        case EV_CREATE:
            on_create(o, e, i);
            break;
        case EV_WRITE:
            if (has_file)
                on_write(o, e, i);
            break;
        case EV_CLOSE:
            on_close(o, e, i);
            break;
        case EV_LINK:
            on_link(o, e, i);
            break;
        case EV_SEAL:
            became_visible(o, e->file, e->bytes, i);
            break;
        case EV_OBSERVE:
            became_visible(o, e->file, e->bytes, i);
            if (o->looks_only)
                check_pending(o, e->file, i);
            break;
        case EV_UNSEEN:
            /* not visible at a time after every earlier statement ended:
             * not sealed at any of them (a seal is final) */
            if (o->looks_only && o->file[e->file].state != OUTCOME_SEALED)
                check_pending(o, e->file, i);
            break;
        case EV_ABORT:
            if (o->file[e->file].state == OUTCOME_TRANSIENT)
                o->file[e->file].state = OUTCOME_ABORTED;
            break;
        case EV_DEATH:
            on_death(o, e, i, nfiles);
            break;
        default:
            break;
        }
    }
    for (uint32_t fi = 0; fi < nfiles && !o->looks_only; fi++)
        check_pending(o, (uint16_t)fi, o->file[fi].pending_index);
    for (uint32_t fi = 0; fi < nfiles; fi++) {
        const struct ofile *f = &o->file[fi];
        o->outcome[fi] = (struct file_outcome){
            f->created ? f->state : OUTCOME_TRANSIENT, f->created,
            f->state == OUTCOME_SEALED ? f->sealed_bytes : 0,
            o->looks_only && f->state != OUTCOME_SEALED};
    }
    out->looks_only = o->looks_only;
    out->findings = o->findings;
    out->nfindings = o->nfindings;
    out->truncated = o->truncated;
    out->files = o->outcome;
    out->nfiles = nfiles;
    return 0;
}

const char *outcome_name(enum outcome s)
{
    switch (s) {
    case OUTCOME_TRANSIENT: return "transient";
    case OUTCOME_SEALED: return "sealed";
    case OUTCOME_ABORTED: return "aborted";
    }
    return "?";
}

size_t finding_explain(const struct finding *f, const char *file, char *buf,
                       size_t cap)
{
    unsigned long long got = f->got, exp = f->expected;
    int n = 0;
    switch ((enum finding_kind)f->kind) {
    case FIND_EARLY_SEAL:
        n = snprintf(buf, cap,
                     "%s became visible with %llu bytes before its creator "
                     "consciously closed it",
                     file, got);
        break;
    case FIND_VISIBLE_AFTER_ABORT:
        n = snprintf(buf, cap,
                     "%s's creator died without consciously closing it, yet "
                     "%s is visible with %llu bytes",
                     file, file, got);
        break;
    case FIND_LOST_FILE: {
        const char *act = f->after_link ? "link"
                          : f->at_exit  ? "normal exit"
                                        : "close";
        if (f->state == OUTCOME_SEALED)
            n = snprintf(buf, cap,
                         "right after its creator's %s, %s is sealed "
                         "with %llu bytes, not the %llu written",
                         act, file, got, exp);
        else if (f->unseen)
            n = snprintf(buf, cap,
                         "right after its creator's %s, %s is not "
                         "visible (transient or aborted) instead of sealed "
                         "with the %llu bytes written: a look after the "
                         "%s did not find it",
                         act, file, exp, act);
        else
            n = snprintf(buf, cap,
                         "right after its creator's %s, %s is %s instead "
                         "of sealed with the %llu bytes written",
                         act, file, outcome_name((enum outcome)f->state),
                         exp);
        break;
    }
    case FIND_MUTATED_AFTER_SEAL:
        if (f->by_write)
            n = snprintf(buf, cap,
                         "a write of %llu bytes to %s succeeded after it was "
                         "sealed with %llu bytes",
                         got, file, exp);
        else
            n = snprintf(buf, cap,
                         "%s changed after it was sealed: its size went from "
                         "%llu to %llu bytes",
                         file, exp, got);
        break;
    case FIND_CREATE_FAILED:
        n = snprintf(buf, cap, "a live user task's create (or tmpfile) of "
                               "%s failed (errno %d)",
                     file, (int)f->err);
        break;
    case FIND_WRITE_AFTER_SEAL:
        n = snprintf(buf, cap,
                     "a write to %s was rejected because it was already "
                     "sealed",
                     file);
        break;
    case FIND_KERNEL_CREATE_REFUSED:
        n = snprintf(buf, cap,
                     "a kernel thread's create of %s was refused (errno %d): "
                     "no mm, as with nfsd, so NFS export breaks",
                     file, (int)f->err);
        break;
    default:
        n = snprintf(buf, cap, "?");
        break;
    }
    return n > 0 ? (size_t)n : 0;
}
