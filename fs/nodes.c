/* nodes.c - the node store: an array, a name index, children lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nodes.h"

struct node *node_of(struct nodes *ns, node_ino ino)
{
    uint32_t slot = node_slot(ino);
    if (slot < 1 || slot > ns->n)
        return NULL;
    struct node *nd = node_at(ns, slot);
    return nd->live && nd->gen == (uint32_t)(ino >> 32) ? nd : NULL;
}

bool node_visible(const struct node *nd)
{
    return nd->state == N_DIR || nd->state == N_SEALED;
}

const char *node_state_name(enum node_state st)
{
    return st == N_SEALED ? "sealed" : st == N_ABORTED ? "aborted"
                                                       : "transient";
}

static size_t name_hash(node_ino parent, const char *name)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)parent;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

static bool index_grow(struct nodes *ns)
{
    size_t nb = ns->nbuckets ? ns->nbuckets * 2 : 1024;
    node_ino *b = calloc(nb, sizeof *b);
    if (!b)
        return false;
    for (size_t i = 0; i < ns->n; i++) {
        struct node *nd = &ns->v[i];
        if (!nd->live || !nd->indexed)
            continue;
        size_t k = name_hash(nd->parent, nd->name) & (nb - 1);
        nd->hnext = b[k];
        b[k] = node_ino_of((uint32_t)i + 1, nd->gen);
    }
    free(ns->bucket);
    ns->bucket = b;
    ns->nbuckets = nb;
    return true;
}

/* Link `ino` among its parent's children, keeping inode order (new nodes
 * go last; a renamed one finds its place from the end). */
static void children_link(struct nodes *ns, node_ino ino)
{
    struct node *nd = node_at(ns, ino);
    if (nd->parent == ino)
        return; /* the root */
    struct node *dir = node_at(ns, nd->parent);
    node_ino after = dir->last_child;
    while (after && after > ino)
        after = node_at(ns, after)->prev_sib;
    nd->prev_sib = after;
    nd->next_sib = after ? node_at(ns, after)->next_sib : dir->first_child;
    if (after)
        node_at(ns, after)->next_sib = ino;
    else
        dir->first_child = ino;
    if (nd->next_sib)
        node_at(ns, nd->next_sib)->prev_sib = ino;
    else
        dir->last_child = ino;
}

static void children_unlink(struct nodes *ns, node_ino ino)
{
    struct node *nd = node_at(ns, ino);
    if (nd->parent == ino)
        return;
    struct node *dir = node_at(ns, nd->parent);
    if (nd->prev_sib)
        node_at(ns, nd->prev_sib)->next_sib = nd->next_sib;
    else
        dir->first_child = nd->next_sib;
    if (nd->next_sib)
        node_at(ns, nd->next_sib)->prev_sib = nd->prev_sib;
    else
        dir->last_child = nd->prev_sib;
    nd->prev_sib = nd->next_sib = 0;
}

static void index_add(struct nodes *ns, node_ino ino)
{
    struct node *nd = node_at(ns, ino);
    children_link(ns, ino);
    size_t k = name_hash(nd->parent, nd->name) & (ns->nbuckets - 1);
    nd->hnext = ns->bucket[k];
    ns->bucket[k] = ino;
    nd->indexed = true;
    ns->nindexed++;
}

static void index_remove(struct nodes *ns, node_ino ino)
{
    struct node *nd = node_at(ns, ino);
    if (!nd->indexed)
        return;
    node_ino *link = &ns->bucket[name_hash(nd->parent, nd->name) &
                                 (ns->nbuckets - 1)];
    while (*link && *link != ino)
        link = &node_at(ns, *link)->hnext;
    if (*link)
        *link = nd->hnext;
    nd->hnext = 0;
    children_unlink(ns, ino);
    nd->indexed = false;
    ns->nindexed--;
}

node_ino node_child(struct nodes *ns, node_ino parent, const char *name)
{
    if (!ns->nbuckets)
        return 0;
    node_ino ino = ns->bucket[name_hash(parent, name) & (ns->nbuckets - 1)];
    for (; ino; ino = node_at(ns, ino)->hnext)
        if (node_at(ns, ino)->parent == parent &&
            strcmp(node_at(ns, ino)->name, name) == 0)
            return ino;
    return 0;
}

void node_drop_data(struct node *nd)
{
    free(nd->data);
    nd->data = NULL;
    nd->size = nd->cap = 0;
}

/* (Dropping the data at once made readers see zeros: the kernel fills a
 * short read up to the size it knows.) */
void node_make_gone(struct nodes *ns, node_ino ino)
{
    struct node *nd = node_of(ns, ino);
    index_remove(ns, ino);
    nd->state = N_GONE;
    if (!nd->nlookup)
        node_drop_data(nd);
}

void node_forget(struct nodes *ns, node_ino ino, uint64_t nlookup)
{
    struct node *nd = node_of(ns, ino);
    if (!nd)
        return;
    nd->nlookup = nlookup < nd->nlookup ? nd->nlookup - nlookup : 0;
    if (!nd->nlookup && nd->state == N_GONE)
        node_drop_data(nd); /* nobody can read it any more */
}

/* A new node, not yet in the name index: a freed slot under its next
 * generation, else a new slot. */
static node_ino node_alloc(struct nodes *ns, node_ino parent, const char *name,
                           enum node_state st)
{
    uint32_t slot = ns->free_head, gen = 0;
    if (slot) {
        struct node *nd = &ns->v[slot - 1];
        ns->free_head = nd->free_next;
        gen = nd->gen + 1;
        if (!gen) /* 2^32 reuses of one slot: keep ino 1's generation 0 ours */
            gen = 1;
    } else {
        if (ns->n >= UINT32_MAX)
            return 0;
        if (ns->n == ns->cap) {
            size_t cap = ns->cap ? ns->cap * 2 : 64;
            struct node *nn = realloc(ns->v, cap * sizeof *nn);
            if (!nn)
                return 0;
            ns->v = nn;
            ns->cap = cap;
        }
        slot = (uint32_t)++ns->n;
    }
    struct node *nd = &ns->v[slot - 1];
    memset(nd, 0, sizeof *nd);
    nd->gen = gen;
    nd->live = true;
    nd->parent = parent;
    snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->state = st;
    nd->is_dir = st == N_DIR;
    file_ctx_init(&nd->file);
    ns->nlive++;
    return node_ino_of(slot, gen);
}

bool node_reclaimable(struct nodes *ns, node_ino ino)
{
    struct node *nd = node_of(ns, ino);
    return nd && ino != 1 && !nd->indexed && !nd->nlookup &&
           !nd->first_child;
}

void node_free(struct nodes *ns, node_ino ino)
{
    struct node *nd = node_of(ns, ino);
    if (!nd)
        return;
    node_drop_data(nd);
    nd->live = false;
    nd->state = N_GONE;
    nd->free_next = ns->free_head;
    ns->free_head = node_slot(ino);
    ns->nlive--;
    ns->nfreed++;
}

node_ino node_new(struct nodes *ns, node_ino parent, const char *name,
                  enum node_state st)
{
    if (strlen(name) >= sizeof ns->v[0].name)
        return 0;
    if (ns->nindexed + 1 > ns->nbuckets && !index_grow(ns))
        return 0;
    node_ino ino = node_alloc(ns, parent, name, st);
    if (ino)
        index_add(ns, ino);
    return ino;
}

node_ino node_new_unnamed(struct nodes *ns, node_ino parent,
                          enum node_state st)
{
    return node_alloc(ns, parent, "", st);
}

int node_link(struct nodes *ns, node_ino ino, node_ino parent,
              const char *name)
{
    struct node *nd = node_of(ns, ino);
    if (!nd || nd->indexed || strlen(name) >= sizeof nd->name)
        return -1;
    if (ns->nindexed + 1 > ns->nbuckets && !index_grow(ns))
        return -1;
    nd->parent = parent;
    snprintf(nd->name, sizeof nd->name, "%s", name);
    index_add(ns, ino);
    return 0;
}

void node_rename(struct nodes *ns, node_ino ino, node_ino newparent,
                 const char *newname)
{
    struct node *nd = node_of(ns, ino);
    index_remove(ns, ino);
    nd->parent = newparent;
    snprintf(nd->name, sizeof nd->name, "%s", newname);
    index_add(ns, ino);
}

int node_append(struct node *nd, const char *buf, size_t size)
{
    if (nd->size + size > nd->cap) {
        size_t cap = nd->cap ? nd->cap : 4096;
        while (cap < nd->size + size)
            cap *= 2;
        char *d = realloc(nd->data, cap);
        if (!d)
            return -1;
        nd->data = d;
        nd->cap = cap;
    }
    memcpy(nd->data + nd->size, buf, size);
    nd->size += size;
    nd->writes++;
    nd->written += size;
    return 0;
}

/* Dead: out of the kernel's sight, invisible, but named. */
static bool is_dead(const struct node *nd)
{
    return nd->indexed && !nd->nlookup &&
           (nd->state == N_ABORTED || nd->state == N_TRANSIENT);
}

void node_note_dead(struct nodes *ns, node_ino ino, double now)
{
    struct node *nd = node_of(ns, ino);
    if (!nd || !is_dead(nd))
        return;
    if (ns->dead_len == ns->dead_cap) { /* grow the ring, unwrapped */
        size_t cap = ns->dead_cap ? ns->dead_cap * 2 : 256;
        struct node_dead *d = malloc(cap * sizeof *d);
        if (!d)
            return; /* it keeps its name: a leak, never a wrong answer */
        for (size_t i = 0; i < ns->dead_len; i++)
            d[i] = ns->dead[(ns->dead_head + i) % ns->dead_cap];
        free(ns->dead);
        ns->dead = d;
        ns->dead_cap = cap;
        ns->dead_head = 0;
    }
    ns->dead[(ns->dead_head + ns->dead_len++) % ns->dead_cap] =
        (struct node_dead){ino, now};
}

node_ino node_expired(struct nodes *ns, double now, double deadline)
{
    while (ns->dead_len && now - ns->dead[ns->dead_head].t >= deadline) {
        node_ino ino = ns->dead[ns->dead_head].ino;
        ns->dead_head = (ns->dead_head + 1) % ns->dead_cap;
        ns->dead_len--;
        struct node *nd = node_of(ns, ino); /* NULL: freed meanwhile */
        if (nd && is_dead(nd)) {
            node_make_gone(ns, ino);
            ns->nexpired++;
            return ino;
        }
    }
    return 0;
}

void nodes_free(struct nodes *ns)
{
    free(ns->dead);
    for (size_t i = 0; i < ns->n; i++)
        if (ns->v[i].live)
            free(ns->v[i].data);
    free(ns->v);
    free(ns->bucket);
    memset(ns, 0, sizeof *ns);
}
