/* ledger.c - the file-backed ring (see ledger.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ledger.h"

#define LEDGER_MAGIC 0x7465726e6c656467ULL /* "ternledg" */

struct ledger_header {
    uint64_t magic;
    uint32_t capacity; /* records, a power of two */
    uint32_t rec_size;
    uint64_t next_seq; /* atomically incremented by every writer */
    uint8_t pad[40];
};

struct ledger {
    struct ledger_header *h;
    struct ledger_rec *rec;
    size_t map_len;
    uint64_t stuck_seq, stuck_since; /* reader: a record not written yet */
};

#define STUCK_NS 200000000ULL /* a writer finishes a record in microseconds */

_Static_assert(sizeof(struct ledger_rec) == 56, "fixed-size records");
_Static_assert(sizeof(struct ledger_header) == 64, "header size");

uint64_t ledger_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* FNV-1a over the record up to its checksum, mixed with the seq so that a
 * stale record in a reused slot never passes for a new one. */
static uint32_t checksum(const struct ledger_rec *r)
{
    const unsigned char *p = (const unsigned char *)r;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < offsetof(struct ledger_rec, sum); i++)
        h = (h ^ p[i]) * 16777619u;
    return h ^ 0x5bd1e995u;
}

static struct ledger *map(int fd, size_t len, int prot, char *why, size_t cap)
{
    void *m = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        snprintf(why, cap, "mmap: %s", strerror(errno));
        return NULL;
    }
    struct ledger *l = calloc(1, sizeof *l);
    if (!l) {
        munmap(m, len);
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    l->h = m;
    l->rec = (struct ledger_rec *)((char *)m + sizeof(struct ledger_header));
    l->map_len = len;
    return l;
}

struct ledger *ledger_create(const char *path, uint32_t capacity, char *why,
                             size_t cap)
{
    uint32_t c = 1024;
    while (c < capacity && c < (1u << 26))
        c <<= 1;
    size_t len = sizeof(struct ledger_header) + (size_t)c * sizeof(struct ledger_rec);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (ftruncate(fd, (off_t)len) < 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    struct ledger *l = map(fd, len, PROT_READ | PROT_WRITE, why, cap);
    close(fd);
    if (!l)
        return NULL;
    l->h->capacity = c;
    l->h->rec_size = sizeof(struct ledger_rec);
    l->h->next_seq = 1;
    __atomic_store_n(&l->h->magic, LEDGER_MAGIC, __ATOMIC_RELEASE);
    return l;
}

struct ledger *ledger_open(const char *path, char *why, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    struct ledger_header h;
    if (fstat(fd, &st) < 0 || pread(fd, &h, sizeof h, 0) != sizeof h ||
        h.magic != LEDGER_MAGIC || h.rec_size != sizeof(struct ledger_rec) ||
        !h.capacity || (h.capacity & (h.capacity - 1)) ||
        (uint64_t)st.st_size < sizeof h + (uint64_t)h.capacity * h.rec_size) {
        snprintf(why, cap, "%s: not a ternrig ledger (or truncated)", path);
        close(fd);
        return NULL;
    }
    struct ledger *l = map(fd, (size_t)st.st_size, PROT_READ, why, cap);
    close(fd);
    return l;
}

void ledger_close(struct ledger *l)
{
    if (!l)
        return;
    munmap(l->h, l->map_len);
    free(l);
}

uint64_t ledger_append(struct ledger *l, struct ledger_rec *r)
{
    uint64_t seq = __atomic_fetch_add(&l->h->next_seq, 1, __ATOMIC_ACQ_REL);
    struct ledger_rec *slot = &l->rec[seq & (l->h->capacity - 1)];
    r->seq = seq;
    r->t_ns = ledger_now_ns();
    r->sum = checksum(r);
    /* the checksum field last: a reader never sees a half-written record
     * with a valid sum */
    __atomic_store_n(&slot->sum, 0, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(slot, r, offsetof(struct ledger_rec, sum));
    __atomic_store_n(&slot->sum, r->sum, __ATOMIC_RELEASE);
    return seq;
}

uint64_t ledger_next_seq(const struct ledger *l)
{
    return __atomic_load_n(&l->h->next_seq, __ATOMIC_ACQUIRE);
}

size_t ledger_read(struct ledger *l, uint64_t *after, struct ledger_rec *out,
                   size_t max, uint64_t *lost, uint64_t *torn, bool final)
{
    uint64_t next = ledger_next_seq(l), capn = l->h->capacity;
    uint64_t seq = *after + 1;
    if (next > capn && seq < next - capn) { /* overwritten before read */
        *lost += next - capn - seq;
        seq = next - capn;
    }
    size_t n = 0;
    for (; seq < next && n < max; seq++) {
        const struct ledger_rec *slot = &l->rec[seq & (capn - 1)];
        uint32_t sum = __atomic_load_n(&slot->sum, __ATOMIC_ACQUIRE);
        struct ledger_rec r;
        memcpy(&r, slot, sizeof r);
        r.sum = sum;
        if (r.seq == seq && checksum(&r) == sum) {
            out[n++] = r;
            continue;
        }
        /* not (fully) written yet: a live writer finishes within
         * microseconds, a killed one never does.  Wait for it unless the
         * writers are all gone or it has been stuck for long. */
        if (!final) {
            uint64_t now = ledger_now_ns();
            if (l->stuck_seq != seq) {
                l->stuck_seq = seq;
                l->stuck_since = now;
            }
            if (now - l->stuck_since < STUCK_NS)
                break;
        }
        (*torn)++; /* a writer killed mid-record: as if never written */
    }
    *after = seq - 1;
    return n;
}
