/* nodes.h - the embedded filesystem's node store: directories and files
 * in memory, by inode number and by (parent, name).
 *
 * Owns: the nodes, their TernFS state (transient, sealed, aborted, gone),
 * their data, the name index (a chained hash on parent and name: lookups
 * in O(1)) and each directory's children in inode order (readdir and
 * rmdir touch only them).  Knows nothing of FUSE requests, contexts or the
 * log.
 *
 * Memory stays flat over a night: a node nobody can reach any more (out
 * of the namespace - unlinked, in a removed directory, or a tmpfile never
 * linked - and forgotten by the kernel) is freed (node_reclaimable,
 * node_free) and its slot is taken by a later node.  A slot's generation
 * counts its reuses; the inode number is (generation << 32) | slot, slot
 * from 1 (1 is the root, generation 0), so an inode number is never given
 * twice in a mount's life (the kernel, the flush log and its readers can
 * never take one file for another) while the store holds only the live
 * nodes.  The generation is also the FUSE entry's.
 */
#ifndef TERNRIG_NODES_H
#define TERNRIG_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flush_context.h"

typedef uint64_t node_ino; /* a FUSE inode number (fuse_ino_t) */

enum node_state { N_DIR, N_TRANSIENT, N_SEALED, N_ABORTED, N_GONE };

struct node {
    node_ino parent;
    char name[256];
    enum node_state state;
    char *data;
    size_t size, cap;
    struct file_ctx file;   /* creator record and what its flushes need */
    uint64_t nlookup;       /* the kernel's references (lookup - forget) */
    node_ino hnext;         /* next in its name-index chain, 0 = end    */
    bool indexed;           /* in the name index (every state but gone) */
    bool is_dir;            /* made as a directory (it stays one, gone)  */
    /* a directory's children (every state but gone), in inode order */
    node_ino first_child, last_child, next_sib, prev_sib;
    unsigned long writes;   /* successful write calls, for the log */
    size_t written;         /* their bytes, kept when an abort drops them */
    uint32_t gen;           /* the slot's generation (its reuses)       */
    bool live;              /* in use (else on the free list)           */
    uint32_t free_next;     /* next free slot, 0 = end                  */
};

struct nodes {
    struct node *v;   /* slots: slot s is v[s - 1] */
    size_t n, cap;    /* slots made, allocated */
    node_ino *bucket; /* name index heads, nbuckets a power of two */
    size_t nbuckets, nindexed;
    uint32_t free_head; /* freed slots, most recent first (0: none) */
    size_t nlive;       /* live nodes (the root included) */
    uint64_t nfreed;    /* nodes freed so far */
    /* dead files (node_note_dead) in the order they died: a ring */
    struct node_dead { node_ino ino; double t; } *dead;
    size_t dead_head, dead_len, dead_cap;
    uint64_t nexpired;  /* dead files whose names expired so far */
};

/* An inode number's slot and generation, and back. */
static inline uint32_t node_slot(node_ino ino) { return (uint32_t)ino; }
static inline node_ino node_ino_of(uint32_t slot, uint32_t gen)
{
    return ((node_ino)gen << 32) | slot;
}
/* The node of `ino` (live, of that generation), or NULL. */
struct node *node_of(struct nodes *ns, node_ino ino);
/* The node of an inode number known to be live (children lists, name
 * chains): no checks. */
static inline struct node *node_at(struct nodes *ns, node_ino ino)
{
    return &ns->v[node_slot(ino) - 1];
}
/* Directories and sealed files are visible; the rest is not. */
bool node_visible(const struct node *nd);
/* "transient", "sealed", "aborted" (a file's state for the log). */
const char *node_state_name(enum node_state st);

/* A child by name, in any state but gone (0: none).  An aborted file keeps
 * its name (SPEC §3: creating it again fails with EEXIST) while staying
 * invisible. */
node_ino node_child(struct nodes *ns, node_ino parent, const char *name);

/* A new node (file_ctx cleared, no fds).  Returns its ino, or 0 when the
 * name is too long or memory is out. */
node_ino node_new(struct nodes *ns, node_ino parent, const char *name,
                  enum node_state st);
/* A new node outside the namespace (an O_TMPFILE file): no name, in no
 * directory, until node_link().  Returns its ino, or 0 (out of memory). */
node_ino node_new_unnamed(struct nodes *ns, node_ino parent,
                          enum node_state st);
/* Give an unnamed node its first name in `parent` (linkat).  Returns 0, or
 * -1 (it has a name already, the name is too long, out of memory); the
 * caller checked that the name is free. */
int node_link(struct nodes *ns, node_ino ino, node_ino parent,
              const char *name);
/* Give `ino` a new parent and name (the caller checked the name fits). */
void node_rename(struct nodes *ns, node_ino ino, node_ino newparent,
                 const char *newname);
/* The node leaves the namespace: its name is free again.  Its data stays
 * while the kernel knows it (nlookup) and goes at the last forget. */
void node_make_gone(struct nodes *ns, node_ino ino);
/* The kernel forgets `nlookup` references. */
void node_forget(struct nodes *ns, node_ino ino, uint64_t nlookup);
/* Whether `ino` can be freed: live, not the root, out of the namespace
 * (gone, or a tmpfile never linked: no name can reach it) and forgotten
 * by the kernel (no lookup count: no open file, no request can name it).
 * An aborted file that keeps its name (EEXIST) is not: it goes with its
 * directory (rmdir). */
bool node_reclaimable(struct nodes *ns, node_ino ino);
/* Expiry.  A file the kernel has forgotten (no open file, no lookup)
 * that is not visible - aborted, or transient with its writer gone - can
 * never be written, flushed or looked up again: only its name stays taken
 * (a create of it fails with EEXIST, SPEC §3).  TernFS expires such files;
 * so does this store, `deadline` seconds after they died (the filesystem's
 * --expire): their name is freed and they go.  node_note_dead: `ino` may
 * have died at `now` (after a forget; anything else is ignored).
 * node_expired: the next dead file whose deadline has passed at `now`,
 * taken out of the namespace (so reclaimable: free it), or 0. */
void node_note_dead(struct nodes *ns, node_ino ino, double now);
node_ino node_expired(struct nodes *ns, double now, double deadline);
/* Free a reclaimable node (its file context is the caller's to close
 * first): its slot goes to a later node, under the next generation. */
void node_free(struct nodes *ns, node_ino ino);
/* An abort: the file keeps its name, not its data. */
void node_drop_data(struct node *nd);
/* Append `size` bytes.  Returns 0, or -1 when out of memory. */
int node_append(struct node *nd, const char *buf, size_t size);

/* Free everything (the file contexts are the caller's to close first). */
void nodes_free(struct nodes *ns);

#endif
