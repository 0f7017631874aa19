/* nodes.h - the embedded filesystem's node store: directories and files
 * in memory, by inode number and by (parent, name).
 *
 * Owns: the nodes (ino = index + 1; 1 is the root; numbers are never
 * reused), their TernFS state (transient, sealed, aborted, gone), their
 * data, the name index (a chained hash on parent and name: lookups in
 * O(1)) and each directory's children in inode order (readdir and rmdir
 * touch only them).  Knows nothing of FUSE requests, contexts or the log.
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
};

struct nodes {
    struct node *v;
    size_t n, cap;
    node_ino *bucket; /* name index heads, nbuckets a power of two */
    size_t nbuckets, nindexed;
};

/* The node of `ino`, or NULL. */
struct node *node_of(struct nodes *ns, node_ino ino);
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
/* An abort: the file keeps its name, not its data. */
void node_drop_data(struct node *nd);
/* Append `size` bytes.  Returns 0, or -1 when out of memory. */
int node_append(struct node *nd, const char *buf, size_t size);

/* Free everything (the file contexts are the caller's to close first). */
void nodes_free(struct nodes *ns);

#endif
