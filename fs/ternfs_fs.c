/* ternfs_fs.c - TernFS semantics on libfuse3's low-level API.
 *
 * A created file is transient: absent from readdir, ENOENT to lookup, and
 * writable only through the open file that created it, appending.  A flush
 * asks the core: seal makes it visible and immutable, abort removes it for
 * good.  Entries and attributes are never cached by the kernel (timeouts
 * 0), so visibility is always asked of us.  Single-threaded: handlers are
 * short and never wait on anything but /proc status files and BPF map
 * lookups.
 *
 * The requester's context comes from BPF when it loaded (bpf_context.h: the
 * kernel's own task_struct and mm pointers, recorded when the request was
 * sent, matched by the request header's unique id), else from /proc.
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "bpf_context.h"
#include "proc_context.h"
#include "ternfs_fs.h"

enum node_state { N_DIR, N_TRANSIENT, N_SEALED, N_ABORTED, N_GONE };

struct node {
    fuse_ino_t parent;
    char name[256];
    enum node_state state;
    char *data;
    size_t size, cap;
    struct file_record rec; /* creator: (tgid, start time) */
    int pidfd;              /* the creator process, to tell pid reuse */
    int mm_pin;             /* kmod: /proc/<creator>/mem, see pin_mm() */
    pid_t creator;
    uint64_t nlookup;       /* the kernel's references (lookup - forget) */
    fuse_ino_t hnext;       /* next in its name-index chain, 0 = end    */
    bool indexed;           /* in the name index (every state but gone) */
    bool is_dir;            /* made as a directory (it stays one, gone)  */
    /* a directory's children (every state but gone), in inode order, so
     * that readdir and rmdir touch only them */
    fuse_ino_t first_child, last_child, next_sib, prev_sib;
    unsigned long writes;   /* successful write calls, for the log */
    size_t written;         /* their bytes, kept when an abort drops them */
};

/* Nodes live in one array (ino = index + 1; 1 is the root).  A name index
 * (a chained hash on parent and name) finds children in O(1); a gone
 * node's data is freed, its slot kept (inode numbers are not reused). */
struct fs {
    enum policy policy;
    struct bpf_context *bpf; /* NULL: /proc contexts */
    uint64_t unique;         /* header of the request being handled */
    FILE *log;
    char log_path[4096]; /* absolute, for the user.ternrig.log xattr */
    struct node *nodes;
    size_t n, cap;
    fuse_ino_t *bucket; /* name index heads, nbuckets a power of two */
    size_t nbuckets, nindexed;
    unsigned long flushes;
};

static struct node *node_of(struct fs *fs, fuse_ino_t ino)
{
    return ino >= 1 && ino <= fs->n ? &fs->nodes[ino - 1] : NULL;
}

static bool visible(const struct node *nd)
{
    return nd->state == N_DIR || nd->state == N_SEALED;
}

static size_t name_hash(fuse_ino_t parent, const char *name)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)parent;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

static bool index_grow(struct fs *fs)
{
    size_t nb = fs->nbuckets ? fs->nbuckets * 2 : 1024;
    fuse_ino_t *b = calloc(nb, sizeof *b);
    if (!b)
        return false;
    for (size_t i = 0; i < fs->n; i++) {
        struct node *nd = &fs->nodes[i];
        if (!nd->indexed)
            continue;
        size_t k = name_hash(nd->parent, nd->name) & (nb - 1);
        nd->hnext = b[k];
        b[k] = i + 1;
    }
    free(fs->bucket);
    fs->bucket = b;
    fs->nbuckets = nb;
    return true;
}

/* Link `ino` among its parent's children, keeping inode order (new nodes
 * go last; a renamed one finds its place from the end). */
static void children_link(struct fs *fs, fuse_ino_t ino)
{
    struct node *nd = &fs->nodes[ino - 1];
    if (nd->parent == ino)
        return; /* the root */
    struct node *dir = &fs->nodes[nd->parent - 1];
    fuse_ino_t after = dir->last_child;
    while (after && after > ino)
        after = fs->nodes[after - 1].prev_sib;
    nd->prev_sib = after;
    nd->next_sib = after ? fs->nodes[after - 1].next_sib : dir->first_child;
    if (after)
        fs->nodes[after - 1].next_sib = ino;
    else
        dir->first_child = ino;
    if (nd->next_sib)
        fs->nodes[nd->next_sib - 1].prev_sib = ino;
    else
        dir->last_child = ino;
}

static void children_unlink(struct fs *fs, fuse_ino_t ino)
{
    struct node *nd = &fs->nodes[ino - 1];
    if (nd->parent == ino)
        return;
    struct node *dir = &fs->nodes[nd->parent - 1];
    if (nd->prev_sib)
        fs->nodes[nd->prev_sib - 1].next_sib = nd->next_sib;
    else
        dir->first_child = nd->next_sib;
    if (nd->next_sib)
        fs->nodes[nd->next_sib - 1].prev_sib = nd->prev_sib;
    else
        dir->last_child = nd->prev_sib;
    nd->prev_sib = nd->next_sib = 0;
}

static void index_add(struct fs *fs, fuse_ino_t ino)
{
    struct node *nd = &fs->nodes[ino - 1];
    children_link(fs, ino);
    size_t k = name_hash(nd->parent, nd->name) & (fs->nbuckets - 1);
    nd->hnext = fs->bucket[k];
    fs->bucket[k] = ino;
    nd->indexed = true;
    fs->nindexed++;
}

static void index_remove(struct fs *fs, fuse_ino_t ino)
{
    struct node *nd = &fs->nodes[ino - 1];
    if (!nd->indexed)
        return;
    fuse_ino_t *link = &fs->bucket[name_hash(nd->parent, nd->name) &
                                   (fs->nbuckets - 1)];
    while (*link && *link != ino)
        link = &fs->nodes[*link - 1].hnext;
    if (*link)
        *link = nd->hnext;
    nd->hnext = 0;
    children_unlink(fs, ino);
    nd->indexed = false;
    fs->nindexed--;
}

/* A child by name, in any state but gone.  An aborted file keeps its name
 * (SPEC §3: creating a name a create made before fails with EEXIST) while
 * staying invisible. */
static fuse_ino_t child(struct fs *fs, fuse_ino_t parent, const char *name)
{
    if (!fs->nbuckets)
        return 0;
    fuse_ino_t ino = fs->bucket[name_hash(parent, name) & (fs->nbuckets - 1)];
    for (; ino; ino = fs->nodes[ino - 1].hnext)
        if (fs->nodes[ino - 1].parent == parent &&
            strcmp(fs->nodes[ino - 1].name, name) == 0)
            return ino;
    return 0;
}

static void drop_data(struct node *nd)
{
    free(nd->data);
    nd->data = NULL;
    nd->size = nd->cap = 0;
}

/* A node leaves the namespace: its name is free again.  Its data stays as
 * long as the kernel knows it (a reader may have it open, as POSIX lets an
 * unlinked file be read) and is dropped at the FORGET that ends that.
 * (Dropping it at once made readers see zeros: the kernel fills a short
 * read up to the size it knows.)  Inode numbers are not reused. */
static void make_gone(struct fs *fs, fuse_ino_t ino)
{
    struct node *nd = node_of(fs, ino);
    index_remove(fs, ino);
    nd->state = N_GONE;
    if (!nd->nlookup)
        drop_data(nd);
}

static fuse_ino_t new_node(struct fs *fs, fuse_ino_t parent, const char *name,
                           enum node_state st)
{
    if (strlen(name) >= sizeof fs->nodes[0].name)
        return 0;
    if (fs->nindexed + 1 > fs->nbuckets && !index_grow(fs))
        return 0;
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 64;
        struct node *nn = realloc(fs->nodes, cap * sizeof *nn);
        if (!nn)
            return 0;
        fs->nodes = nn;
        fs->cap = cap;
    }
    fuse_ino_t ino = ++fs->n;
    struct node *nd = &fs->nodes[ino - 1];
    memset(nd, 0, sizeof *nd);
    nd->parent = parent;
    snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->state = st;
    nd->is_dir = st == N_DIR;
    nd->pidfd = -1;
    nd->mm_pin = -1;
    index_add(fs, ino);
    return ino;
}

static void fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
    struct node *nd = node_of(fs, ino);
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_uid = getuid();
    st->st_gid = getgid();
    if (nd->is_dir) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = nd->state == N_GONE ? 0 : 2;
    } else if (nd->state == N_GONE) { /* unlinked, still open somewhere */
        st->st_mode = S_IFREG | 0444;
        st->st_size = (off_t)nd->size;
    } else {
        /* sealed files are read-only; a transient one is its writer's */
        st->st_mode = S_IFREG | (nd->state == N_SEALED ? 0444 : 0644);
        st->st_nlink = 1;
        st->st_size = (off_t)nd->size;
    }
}

static void reply_entry(fuse_req_t req, struct fs *fs, fuse_ino_t ino,
                        struct fuse_file_info *fi)
{
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    e.ino = ino;
    e.attr_timeout = 0;  /* never cached: visibility is ours to say */
    e.entry_timeout = 0;
    fill_attr(fs, ino, &e.attr);
    node_of(fs, ino)->nlookup++; /* until the kernel forgets it */
    if (fi)
        fuse_reply_create(req, &e, fi);
    else
        fuse_reply_entry(req, &e);
}

/* Who sent the request being handled, as the context source saw it. */
struct requester {
    bool known;              /* else: decide safely, `why` says why    */
    bool bpf;                /* rec holds the kernel's view           */
    struct flushctx_rec rec; /* BPF: the sender at send time          */
    struct proc_facts pf;    /* tid, tgid, mm alive (from rec if bpf)  */
    char why[128];
};

static void requester_of(struct fs *fs, fuse_req_t req, struct requester *r)
{
    memset(r, 0, sizeof *r);
    if (!fs->bpf) {
        proc_facts_of(fuse_req_ctx(req)->pid, &r->pf);
        r->known = r->pf.known;
        snprintf(r->why, sizeof r->why, "%s", r->pf.why);
        return;
    }
    r->bpf = true;
    if (!bpf_context_take(fs->bpf, fs->unique, &r->rec)) {
        snprintf(r->why, sizeof r->why, "no BPF record of request %llu",
                 (unsigned long long)fs->unique);
        return;
    }
    const struct flushctx_rec *k = &r->rec;
    r->known = r->pf.known = true;
    r->pf.tid = (pid_t)k->tid;
    r->pf.tgid = (pid_t)k->tgid;
    r->pf.mm_alive = k->mm != 0;
    r->pf.kthread = (k->flags & FLUSHCTX_KTHREAD) != 0;
    /* signal->live counts the threads not yet in do_exit, which all still
     * have their mm (exit_mm comes later); in a group exit every thread is
     * dying whatever the count says. */
    r->pf.other_mm_alive = !(k->flags & FLUSHCTX_GROUP_EXIT) &&
                           k->live > (k->mm ? 1 : 0);
}

/* The core's view of the requesting task, from BPF: the kernel's own. */
static struct task_ctx bpf_ctx_of(const struct requester *r)
{
    struct task_ctx c;
    memset(&c, 0, sizeof c);
    c.proc.tgid = r->rec.tgid;
    c.proc.start_time = r->rec.start_ns; /* exec keeps it (de_thread) */
    c.task = r->rec.task;
    c.leader = r->rec.leader;
    c.mm = r->rec.mm;
    c.leader_mm = r->rec.leader_mm;
    c.other_thread_has_mm = r->pf.other_mm_alive;
    c.kthread = r->pf.kthread;
    return c;
}

/* The core's view of the requesting task, from /proc. */
static struct task_ctx ctx_of(const struct proc_facts *pf, uint64_t start)
{
    struct task_ctx c;
    memset(&c, 0, sizeof c);
    c.proc.tgid = (uint64_t)pf->tgid;
    c.proc.start_time = start;
    c.task = (uint64_t)pf->tid;
    c.leader = (uint64_t)pf->tgid; /* /proc shows no task_struct pointers */
    c.mm = pf->mm_alive ? 1 : 0;
    c.leader_mm = c.mm;
    c.other_thread_has_mm = pf->other_mm_alive;
    c.kthread = pf->kthread;
    return c;
}

/* The TernFS kmod mmgrab()s the mm it records at create, so that pointer
 * is never reused while the file lives (SPEC §2).  An open /proc/<tid>/mem
 * does the same (proc_mem_open() mmgrabs the task's mm until the file is
 * closed): without it the kernel would hand the freed mm_struct to the
 * next new process and kmod-2024's owner->mm test would see it again.
 * Safe in the CREATE handler: the creator is in open(), not in execve. */
static int pin_mm(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)tid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* A file name as a JSON string body (names come from any user). */
static void json_name(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 7 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = 0;
}

/* The task's command name, JSON-escaped, for the log ("?" when gone).
 * /proc/<tid>/comm, like status, never waits on an exec in progress. */
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
    json_name(raw, out, cap);
}

/* The start of a log line: time, op, file, and the requester's context,
 * raw (every pointer the kernel showed, with BPF). */
static void log_requester(struct fs *fs, const char *op, fuse_ino_t ino,
                          const char *fname, const struct requester *who)
{
    struct timespec ts;
    char name[6 * 256 + 8];
    const struct proc_facts *pf = &who->pf;
    json_name(fname, name, sizeof name);
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(fs->log,
            "{\"t\":%lld.%09ld,\"op\":\"%s\",\"ino\":%lu,\"name\":\"%s\","
            "\"policy\":\"%s\",\"ctx\":\"%s\",\"tid\":%d,\"tgid\":%d,"
            "\"known\":%s,\"mm_alive\":%s,\"other_mm_alive\":%s",
            (long long)ts.tv_sec, ts.tv_nsec, op, (unsigned long)ino, name,
            policy_name(fs->policy), who->bpf ? "bpf" : "proc", (int)pf->tid,
            (int)pf->tgid, who->known ? "true" : "false",
            pf->mm_alive ? "true" : "false",
            pf->other_mm_alive ? "true" : "false");
    if (who->bpf && who->known) {
        const struct flushctx_rec *k = &who->rec;
        fprintf(fs->log,
                ",\"unique\":%llu,\"task\":\"0x%llx\",\"leader\":\"0x%llx\","
                "\"mm\":\"0x%llx\",\"leader_mm\":\"0x%llx\",\"start_ns\":%llu,"
                "\"live\":%d,\"exiting\":%s,\"group_exit\":%s",
                (unsigned long long)k->unique, (unsigned long long)k->task,
                (unsigned long long)k->leader, (unsigned long long)k->mm,
                (unsigned long long)k->leader_mm,
                (unsigned long long)k->start_ns, (int)k->live,
                k->flags & FLUSHCTX_EXITING ? "true" : "false",
                k->flags & FLUSHCTX_GROUP_EXIT ? "true" : "false");
    }
}

static void log_create(struct fs *fs, fuse_ino_t ino, fuse_ino_t parent,
                       const char *name, const struct requester *who, int err,
                       const char *why)
{
    if (!fs->log)
        return;
    char comm[6 * 64];
    comm_of(who->pf.tid, comm, sizeof comm);
    log_requester(fs, "create", ino, name, who);
    fprintf(fs->log, ",\"parent\":%lu,\"comm\":\"%s\",\"result\":%d,"
                     "\"why\":\"%s\"}\n",
            (unsigned long)parent, comm, -err, why);
    fflush(fs->log);
}

/* What a flush decided on besides the requester (BPF contexts). */
struct flush_facts {
    int64_t closes;        /* close(2) count, -1: not read */
    bool owner_read;       /* owner_mm_now was read          */
    uint64_t owner_mm_now;
};

static double log_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A write or truncate the file refused: op "write" or "truncate". */
static void log_refused(struct fs *fs, fuse_req_t req, fuse_ino_t ino,
                        const struct node *nd, const char *op, off_t off,
                        size_t len, int err)
{
    if (!fs->log)
        return;
    struct proc_facts pf;
    proc_facts_of(fuse_req_ctx(req)->pid, &pf);
    char name[6 * 256 + 8], comm[6 * 64];
    json_name(nd->name, name, sizeof name);
    comm_of(pf.tid, comm, sizeof comm);
    fprintf(fs->log,
            "{\"t\":%.9f,\"op\":\"%s\",\"ino\":%lu,\"name\":\"%s\","
            "\"tid\":%d,\"tgid\":%d,\"comm\":\"%s\",\"off\":%lld,"
            "\"len\":%zu,\"size\":%zu,\"state\":\"%s\",\"result\":\"%s\"}\n",
            log_time(), op, (unsigned long)ino, name, (int)pf.tid,
            (int)pf.tgid, comm, (long long)off, len, nd->size,
            nd->state == N_SEALED    ? "sealed"
            : nd->state == N_ABORTED ? "aborted"
                                     : "transient",
            strerrorname_np(err));
    fflush(fs->log);
}

static void log_flush(struct fs *fs, fuse_ino_t ino, const struct node *nd,
                      const struct requester *who,
                      const struct flush_facts *ff, const char *decision,
                      const char *why)
{
    if (!fs->log)
        return;
    char comm[6 * 64];
    comm_of(who->pf.tid, comm, sizeof comm);
    log_requester(fs, "flush", ino, nd->name, who);
    if (who->bpf)
        fprintf(fs->log,
                ",\"owner\":\"0x%llx\",\"owner_mm\":\"0x%llx\",\"closes\":%lld",
                (unsigned long long)nd->rec.owner,
                (unsigned long long)nd->rec.owner_mm, (long long)ff->closes);
    if (ff->owner_read)
        fprintf(fs->log, ",\"owner_mm_now\":\"0x%llx\"",
                (unsigned long long)ff->owner_mm_now);
    fprintf(fs->log,
            ",\"creator\":%d,\"state\":\"%s\",\"size\":%zu,"
            "\"decision\":\"%s\",\"why\":\"%s\",\"comm\":\"%s\","
            "\"writes\":%lu,\"written\":%zu}\n",
            (int)nd->creator,
            nd->state == N_SEALED ? "sealed"
            : nd->state == N_ABORTED ? "aborted"
                                     : "transient",
            nd->size, decision, why, comm, nd->writes, nd->written);
    fflush(fs->log);
}

/* ------------------------------------------------------------- handlers */

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fs *fs = fuse_req_userdata(req);
    fuse_ino_t ino = child(fs, parent, name);
    if (!ino || !visible(node_of(fs, ino)))
        fuse_reply_err(req, ENOENT); /* transient files stay invisible */
    else
        reply_entry(req, fs, ino, NULL);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    (void)fi;
    struct fs *fs = fuse_req_userdata(req);
    struct stat st;
    struct node *nd = node_of(fs, ino);
    if (!nd || (nd->state == N_GONE && !nd->nlookup)) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    fill_attr(fs, ino, &st); /* gone but known: an open, unlinked file */
    fuse_reply_attr(req, &st, 0);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
                       int to_set, struct fuse_file_info *fi)
{
    struct fs *fs = fuse_req_userdata(req);
    struct node *nd = node_of(fs, ino);
    if (!nd || nd->state == N_GONE) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if ((to_set & FUSE_SET_ATTR_SIZE) &&
        (nd->state != N_TRANSIENT || (size_t)attr->st_size != nd->size)) {
        if (nd->state != N_DIR)
            log_refused(fs, req, ino, nd, "truncate", attr->st_size, 0, EPERM);
        fuse_reply_err(req, EPERM); /* immutable; transient: append only */
        return;
    }
    op_getattr(req, ino, fi); /* modes and times: accepted, not kept */
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    (void)fi;
    struct fs *fs = fuse_req_userdata(req);
    char *buf = calloc(1, size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    size_t used = 0;
    struct node *dir = node_of(fs, ino);
    /* offsets: 1 after ".", 2 after "..", then a child's inode + 2: the
     * children are kept in inode order, so a listing resumes right after
     * the last child returned, whatever came or went meanwhile */
    for (off_t k = off; k < 2; k++) {
        struct stat st = {0};
        st.st_ino = k == 0 ? ino : 1;
        st.st_mode = S_IFDIR;
        size_t need = fuse_add_direntry(req, buf + used, size - used,
                                        k == 0 ? "." : "..", &st, k + 1);
        if (need > size - used)
            goto full;
        used += need;
    }
    for (fuse_ino_t c = dir ? dir->first_child : 0; c;
         c = fs->nodes[c - 1].next_sib) {
        struct node *nd = &fs->nodes[c - 1];
        if ((off_t)c + 2 <= off || !visible(nd))
            continue;
        struct stat st;
        fill_attr(fs, c, &st);
        size_t need = fuse_add_direntry(req, buf + used, size - used,
                                        nd->name, &st, (off_t)c + 2);
        if (need > size - used)
            break;
        used += need;
    }
full:
    fuse_reply_buf(req, buf, used);
    free(buf);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
                     mode_t mode)
{
    (void)mode;
    struct fs *fs = fuse_req_userdata(req);
    if (child(fs, parent, name)) {
        fuse_reply_err(req, EEXIST);
        return;
    }
    fuse_ino_t ino = new_node(fs, parent, name, N_DIR);
    if (!ino)
        fuse_reply_err(req, ENAMETOOLONG);
    else
        reply_entry(req, fs, ino, NULL);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
                      mode_t mode, struct fuse_file_info *fi)
{
    (void)mode;
    struct fs *fs = fuse_req_userdata(req);
    struct requester who; /* first: its BPF record is taken in any case */
    requester_of(fs, req, &who);
    if (child(fs, parent, name)) { /* sealed or transient: O_EXCL */
        fuse_reply_err(req, EEXIST);
        return;
    }
    if (!who.known) {
        log_create(fs, 0, parent, name, &who, EIO, who.why);
        fuse_reply_err(req, EIO); /* no creator identity: refuse */
        return;
    }
    struct task_ctx c = who.bpf ? bpf_ctx_of(&who)
                                : ctx_of(&who.pf,
                                         proc_start_time(who.pf.tgid, 200));
    struct file_record rec;
    int err = classify_create(fs->policy, &c, &rec);
    if (err) {
        log_create(fs, 0, parent, name, &who, err, "refused by the policy");
        fuse_reply_err(req, err);
        return;
    }
    fuse_ino_t ino = new_node(fs, parent, name, N_TRANSIENT);
    if (!ino) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    struct node *nd = node_of(fs, ino);
    nd->rec = rec;
    nd->creator = who.pf.tgid;
    const char *why = "";
    if (!who.bpf) /* BPF knows the creator's start time: no pidfd needed */
        nd->pidfd = pidfd_of(who.pf.tgid);
    else if (bpf_context_track(fs->bpf, ino, rec.owner) < 0)
        why = "BPF files map full: no close count, no owner->mm";
    bool kmod = fs->policy == POLICY_KMOD || fs->policy == POLICY_KMOD_2024;
    if (kmod && who.bpf && rec.owner_mm &&
        (nd->mm_pin = pin_mm(who.pf.tid)) < 0)
        why = "cannot mmgrab the creator's mm (/proc/<tid>/mem)";
    log_create(fs, ino, parent, name, &who, 0, why);
    fi->fh = 1; /* the writer's open file */
    fi->direct_io = 1;
    reply_entry(req, fs, ino, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct fs *fs = fuse_req_userdata(req);
    struct node *nd = node_of(fs, ino);
    if (!nd || nd->state != N_SEALED) {
        /* a transient file is its creator's alone; an aborted one is gone */
        fuse_reply_err(req, nd && nd->state == N_DIR ? EISDIR : ENOENT);
        return;
    }
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
        fuse_reply_err(req, EPERM); /* sealed: immutable */
        return;
    }
    fi->fh = 0;
    fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    (void)fi;
    struct fs *fs = fuse_req_userdata(req);
    struct node *nd = node_of(fs, ino);
    if (!nd || nd->state == N_DIR) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    if ((size_t)off >= nd->size)
        size = 0;
    else if (size > nd->size - (size_t)off)
        size = nd->size - (size_t)off;
    fuse_reply_buf(req, nd->data + (size ? off : 0), size);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
                     size_t size, off_t off, struct fuse_file_info *fi)
{
    struct fs *fs = fuse_req_userdata(req);
    struct node *nd = node_of(fs, ino);
    if (!nd || fi->fh != 1 || nd->state == N_SEALED) {
        if (nd)
            log_refused(fs, req, ino, nd, "write", off, size, EPERM);
        fuse_reply_err(req, EPERM);
        return;
    }
    if (nd->state != N_TRANSIENT) {
        log_refused(fs, req, ino, nd, "write", off, size, EIO);
        fuse_reply_err(req, EIO); /* aborted */
        return;
    }
    if ((size_t)off != nd->size) {
        log_refused(fs, req, ino, nd, "write", off, size, EINVAL);
        fuse_reply_err(req, EINVAL); /* append only, in order */
        return;
    }
    if (nd->size + size > nd->cap) {
        size_t cap = nd->cap ? nd->cap : 4096;
        while (cap < nd->size + size)
            cap *= 2;
        char *d = realloc(nd->data, cap);
        if (!d) {
            fuse_reply_err(req, ENOSPC);
            return;
        }
        nd->data = d;
        nd->cap = cap;
    }
    memcpy(nd->data + nd->size, buf, size);
    nd->size += size;
    nd->writes++;
    nd->written += size;
    fuse_reply_write(req, size);
}

/* A flush decided on the kernel's facts: the flusher's pointers, the
 * close(2) count (fuse-closetracker) and owner->mm read at send time
 * through the file's owner pointer (kmod-2024). */
static enum flush_decision bpf_flush(struct fs *fs, fuse_ino_t ino,
                                     struct node *nd,
                                     const struct requester *who,
                                     struct flush_facts *ff,
                                     const char **why)
{
    struct task_ctx c = bpf_ctx_of(who);
    struct flush_inputs in = {0};
    ff->closes = bpf_context_closes(fs->bpf, ino);
    if (who->rec.flags & FLUSHCTX_OWNER_READ &&
        who->rec.owner == nd->rec.owner) {
        ff->owner_read = true;
        ff->owner_mm_now = in.owner_mm_now = who->rec.owner_mm_now;
    }
    if (fs->policy == POLICY_FUSE_CLOSETRACKER) {
        if (ff->closes < 0) {
            *why = "no close count: the inode is not tracked";
            return FLUSH_IGNORE;
        }
        nd->rec.close_count = (uint32_t)ff->closes;
    }
    if (fs->policy == POLICY_KMOD_2024 && !ff->owner_read &&
        c.leader == nd->rec.owner) {
        *why = "owner->mm was not read at send time";
        return FLUSH_IGNORE;
    }
    enum flush_decision d = classify_flush(fs->policy, &nd->rec, &c, &in);
    if (d == FLUSH_SEAL)
        note_sealed(&nd->rec);
    return d;
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    struct fs *fs = fuse_req_userdata(req);
    struct node *nd = node_of(fs, ino);
    fs->flushes++;
    struct requester who; /* first: its BPF record is taken in any case */
    if (fs->bpf || (nd && nd->state == N_TRANSIENT))
        requester_of(fs, req, &who);
    if (!nd || nd->state != N_TRANSIENT) {
        fuse_reply_err(req, 0); /* sealed or aborted: nothing to decide */
        return;
    }
    const char *why = "";
    enum flush_decision d;
    struct flush_facts ff = {-1, false, 0};
    if (!who.known) {
        d = FLUSH_IGNORE; /* unsure: never seal */
        why = who.why;
    } else if (who.bpf) {
        d = bpf_flush(fs, ino, nd, &who, &ff, &why);
    } else {
        const struct proc_facts pf = who.pf;
        struct task_ctx c = ctx_of(&pf, nd->rec.creator.start_time);
        /* Same tgid and the creator has not exited: the same process
         * (pidfd instead of re-reading /proc/<pid>/stat, see
         * proc_context.h). */
        /* no pidfd (pidfd_open failed at create): the tgid alone */
        if ((pid_t)c.proc.tgid != nd->creator ||
            (nd->pidfd >= 0 && !pidfd_alive(nd->pidfd)))
            c.proc.start_time = ~nd->rec.creator.start_time;
        struct flush_inputs in = {0};
        d = classify_flush(fs->policy, &nd->rec, &c, &in);
    }
    if (d == FLUSH_SEAL)
        nd->state = N_SEALED;
    else if (d == FLUSH_ABORT) {
        nd->state = N_ABORTED; /* keeps its name (EEXIST), not its data */
        free(nd->data);
        nd->data = NULL;
        nd->size = nd->cap = 0;
    }
    if (nd->state != N_TRANSIENT && nd->pidfd >= 0) {
        close(nd->pidfd); /* decided: only transient files hold one */
        nd->pidfd = -1;
    }
    if (nd->state != N_TRANSIENT && fs->bpf)
        bpf_context_untrack(fs->bpf, ino);
    log_flush(fs, ino, nd, &who, &ff, flush_decision_name(d), why);
    fuse_reply_err(req, d == FLUSH_FAIL ? EIO : 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    struct fs *fs = fuse_req_userdata(req);
    struct node *nd = node_of(fs, ino);
    struct flushctx_rec rec; /* RELEASE is recorded too: drop it */
    if (fs->bpf)
        bpf_context_take(fs->bpf, fs->unique, &rec);
    if (fs->bpf && fi->fh == 1) /* no flush of the writer's file follows */
        bpf_context_untrack(fs->bpf, ino);
    if (nd && fi->fh == 1 && nd->mm_pin >= 0) { /* the kmod's mmdrop */
        close(nd->mm_pin);
        nd->mm_pin = -1;
    }
    /* the writer's open file is gone: no flush of it can follow */
    if (nd && fi->fh == 1 && nd->pidfd >= 0) {
        close(nd->pidfd);
        nd->pidfd = -1;
        nd->creator = 0; /* and nobody can seal it any more */
    }
    fuse_reply_err(req, 0);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fs *fs = fuse_req_userdata(req);
    fuse_ino_t ino = child(fs, parent, name);
    struct node *nd = node_of(fs, ino);
    if (!nd || nd->state != N_SEALED) {
        fuse_reply_err(req, nd && nd->state == N_DIR ? EISDIR : ENOENT);
        return;
    }
    make_gone(fs, ino);
    fuse_reply_err(req, 0);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fs *fs = fuse_req_userdata(req);
    fuse_ino_t ino = child(fs, parent, name);
    struct node *nd = node_of(fs, ino);
    if (!nd || nd->state != N_DIR) {
        fuse_reply_err(req, nd ? ENOTDIR : ENOENT);
        return;
    }
    for (fuse_ino_t c = nd->first_child; c; c = fs->nodes[c - 1].next_sib)
        if (visible(&fs->nodes[c - 1])) {
            fuse_reply_err(req, ENOTEMPTY);
            return;
        }
    /* invisible children (transient, aborted) go with it: TernFS would
     * expire them */
    while (nd->first_child)
        make_gone(fs, nd->first_child);
    make_gone(fs, ino);
    fuse_reply_err(req, 0);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
                      fuse_ino_t newparent, const char *newname,
                      unsigned int flags)
{
    struct fs *fs = fuse_req_userdata(req);
    fuse_ino_t ino = child(fs, parent, name);
    struct node *nd = node_of(fs, ino);
    if (!nd || !visible(nd) || flags) {
        fuse_reply_err(req, !nd || !visible(nd) ? ENOENT : EINVAL);
        return;
    }
    if (strlen(newname) >= sizeof nd->name) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    fuse_ino_t old = child(fs, newparent, newname);
    struct node *victim = node_of(fs, old);
    if (victim && victim != nd) {
        if (victim->state != N_SEALED) { /* no replacing dirs/transients */
            fuse_reply_err(req, victim->state == N_DIR ? EISDIR : EEXIST);
            return;
        }
        make_gone(fs, old);
    }
    index_remove(fs, ino);
    nd->parent = newparent;
    snprintf(nd->name, sizeof nd->name, "%s", newname);
    index_add(fs, ino);
    fuse_reply_err(req, 0);
}

static void forget_one(struct fs *fs, fuse_ino_t ino, uint64_t nlookup)
{
    struct node *nd = node_of(fs, ino);
    if (!nd)
        return;
    nd->nlookup = nlookup < nd->nlookup ? nd->nlookup - nlookup : 0;
    if (!nd->nlookup && nd->state == N_GONE)
        drop_data(nd); /* nobody can read it any more */
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    forget_one(fuse_req_userdata(req), ino, nlookup);
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
                            struct fuse_forget_data *forgets)
{
    for (size_t i = 0; i < count; i++)
        forget_one(fuse_req_userdata(req), forgets[i].ino,
                   forgets[i].nlookup);
    fuse_reply_none(req);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    (void)ino;
    struct fs *fs = fuse_req_userdata(req);
    struct statvfs st = {0};
    st.f_files = fs->n; /* inode numbers given out (never reused) */
    st.f_bsize = st.f_frsize = 4096;
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
}

/* The root says which policy the mount runs: user.ternrig.policy, read by
 * `ternrig replay --mount` when it is not told. */
#define POLICY_XATTR "user.ternrig.policy"
/* ... and user.ternrig.log where its flush log is (`ternrig watch --mount`) */
#define LOG_XATTR "user.ternrig.log"
static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                        size_t size)
{
    struct fs *fs = fuse_req_userdata(req);
    bool log = strcmp(name, LOG_XATTR) == 0 && fs->log_path[0];
    const char *v = log ? fs->log_path : policy_name(fs->policy);
    size_t len = strlen(v);
    if (ino != 1 || (!log && strcmp(name, POLICY_XATTR) != 0))
        fuse_reply_err(req, ENODATA);
    else if (size == 0)
        fuse_reply_xattr(req, len);
    else if (size < len)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, v, len);
}

static const struct fuse_lowlevel_ops ternfs_ops = {
    .getxattr = op_getxattr,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readdir = op_readdir,
    .mkdir = op_mkdir,
    .rmdir = op_rmdir,
    .unlink = op_unlink,
    .rename = op_rename,
    .create = op_create,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .statfs = op_statfs,
};

/* fuse_session_loop, but each request's header `unique` is kept for the
 * handlers: it names the request's BPF record.  (The header starts every
 * request: len, opcode, unique; FUSE's stable ABI.) */
static int serve(struct fuse_session *se, struct fs *fs)
{
    struct fuse_buf buf = {0};
    int res = 0;
    while (!fuse_session_exited(se)) {
        res = fuse_session_receive_buf(se, &buf);
        if (res == -EINTR)
            continue;
        if (res <= 0)
            break;
        fs->unique = 0;
        if (!(buf.flags & FUSE_BUF_IS_FD) && buf.size >= 16)
            memcpy(&fs->unique, (const char *)buf.mem + 8, sizeof fs->unique);
        fuse_session_process_buf(se, &buf);
    }
    free(buf.mem);
    fuse_session_reset(se);
    return res < 0 ? -1 : 0;
}

/* The context source: BPF, /proc, or an error when the policy or the user
 * wants BPF and it cannot load. */
static int open_context(struct fs *fs, const struct fs_options *o)
{
    if (o->context == FS_CONTEXT_PROC)
        return 0;
    char why[256], note[160];
    fs->bpf = bpf_context_open(o->policy == POLICY_FUSE_CLOSETRACKER, why,
                               sizeof why, note, sizeof note);
    if (note[0])
        fprintf(stderr, "ternrig fs: %s\n", note);
    if (fs->bpf)
        return 0;
    if (o->context == FS_CONTEXT_BPF || policy_needs_bpf(o->policy)) {
        fprintf(stderr, "ternrig fs: BPF contexts cannot load: %s%s\n", why,
                o->context == FS_CONTEXT_BPF
                    ? ""
                    : " (the policy needs them: task_struct/mm pointers or "
                      "close(2) counts)");
        return -1;
    }
    fprintf(stderr, "ternrig fs: BPF contexts unavailable (%s): using /proc, "
                    "which shows no task_struct or mm pointers and no "
                    "close(2) counts\n",
            why);
    return 0;
}

int ternfs_fs_run(const struct fs_options *o)
{
    struct fs fs = {0};
    fs.policy = o->policy;
    char mountpoint[4096]; /* resolved now: after mounting it would
                                  ask us, and we do not serve yet */
    if (!realpath(o->mountpoint, mountpoint)) {
        fprintf(stderr, "ternrig fs: %s: %s\n", o->mountpoint,
                strerror(errno));
        return -1;
    }
    if (open_context(&fs, o) < 0)
        return -1;
    if (!new_node(&fs, 1, "", N_DIR)) { /* the root, ino 1 */
        bpf_context_close(fs.bpf);
        return -1;
    }
    if (o->log_path) {
        fs.log = fopen(o->log_path, "a");
        if (!fs.log) {
            fprintf(stderr, "ternrig fs: %s: %s\n", o->log_path,
                    strerror(errno));
            free(fs.nodes);
            bpf_context_close(fs.bpf);
            free(fs.bucket);
            return -1;
        }
        if (!realpath(o->log_path, fs.log_path))
            fs.log_path[0] = 0;
    }
    char *argv[] = {"ternrig-fs", "-o", "fsname=ternrig,subtype=ternrig",
                    o->debug ? "-d" : NULL, NULL};
    struct fuse_args args = FUSE_ARGS_INIT(o->debug ? 4 : 3, argv);
    int rc = -1;
    struct fuse_session *se =
        fuse_session_new(&args, &ternfs_ops, sizeof ternfs_ops, &fs);
    if (!se)
        goto out;
    if (fuse_set_signal_handlers(se) != 0)
        goto out_session;
    if (fuse_session_mount(se, mountpoint) != 0) {
        fprintf(stderr, "ternrig fs: cannot mount on %s\n", o->mountpoint);
        goto out_signals;
    }
    if (fs.bpf) {
        char why[300];
        if (bpf_context_watch(fs.bpf, mountpoint, why, sizeof why) < 0) {
            fprintf(stderr, "ternrig fs: %s\n", why);
            goto out_unmount;
        }
    }
    if (fuse_daemonize(!o->daemon) != 0)
        goto out_unmount;
    rc = serve(se, &fs);
out_unmount:
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_session:
    fuse_session_destroy(se);
out:
    fuse_opt_free_args(&args);
    for (size_t i = 0; i < fs.n; i++) {
        free(fs.nodes[i].data);
        if (fs.nodes[i].pidfd >= 0)
            close(fs.nodes[i].pidfd);
        if (fs.nodes[i].mm_pin >= 0)
            close(fs.nodes[i].mm_pin);
    }
    free(fs.nodes);
    free(fs.bucket);
    if (fs.log)
        fclose(fs.log);
    if (fs.bpf && bpf_context_lost(fs.bpf))
        fprintf(stderr, "ternrig fs: %llu BPF records were lost (map "
                        "full)\n",
                (unsigned long long)bpf_context_lost(fs.bpf));
    bpf_context_close(fs.bpf);
    return rc;
}
