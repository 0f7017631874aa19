/* test_nodes.c - the node store keeps only what is reachable: files
 * unlinked, in a removed directory, never linked (tmpfiles) or expired are
 * freed once the kernel forgets them, and their slots go to later nodes
 * under a new generation, so that an inode number is never given twice.
 * No mount: nodes.c alone. */
#include <stdio.h>
#include "check.h"
#include "nodes.h"

static struct nodes ns;

static void root(void)
{
    nodes_free(&ns);
    node_ino r = node_new(&ns, 1, "", N_DIR);
    REQUIRE(r == 1);
}

/* The kernel learns `ino` (an entry reply) and later forgets it. */
static void looked_up(node_ino ino) { node_of(&ns, ino)->nlookup++; }

static bool forget_and_free(node_ino ino, uint64_t n, double now)
{
    node_forget(&ns, ino, n);
    node_note_dead(&ns, ino, now);
    if (!node_reclaimable(&ns, ino))
        return false;
    node_free(&ns, ino);
    return true;
}

TEST(unlinked_files_go_at_the_last_forget)
{
    root();
    node_ino dir = node_new(&ns, 1, "d", N_DIR);
    size_t base = ns.nlive;
    node_ino f[500];
    for (int i = 0; i < 500; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        REQUIRE((f[i] = node_new(&ns, dir, name, N_SEALED)));
        looked_up(f[i]);
        REQUIRE(node_append(node_of(&ns, f[i]), "data", 4) == 0);
    }
    CHECK_EQ_INT((long)ns.nlive, (long)(base + 500));
    for (int i = 0; i < 500; i++) {
        node_make_gone(&ns, f[i]);
        CHECK(!node_reclaimable(&ns, f[i])); /* the kernel still knows it */
        CHECK(node_of(&ns, f[i])->size == 4); /* an open fd reads it */
        CHECK(forget_and_free(f[i], 1, 0));
        CHECK(node_of(&ns, f[i]) == NULL);
    }
    CHECK_EQ_INT((long)ns.nlive, (long)base);
    CHECK_EQ_INT((long)ns.nfreed, 500);
}

TEST(a_freed_slot_is_reused_under_a_new_generation)
{
    root();
    node_ino a = node_new(&ns, 1, "a", N_SEALED);
    looked_up(a);
    size_t slots = ns.n;
    node_make_gone(&ns, a);
    REQUIRE(forget_and_free(a, 1, 0));
    node_ino b = node_new(&ns, 1, "a", N_TRANSIENT);
    CHECK(b != 0 && b != a);
    CHECK(node_slot(b) == node_slot(a));       /* the same slot ...    */
    CHECK(node_of(&ns, b)->gen == node_of(&ns, b)->gen &&
          (b >> 32) == (a >> 32) + 1);         /* ... a new generation */
    CHECK_EQ_INT((long)ns.n, (long)slots);     /* no new slot          */
    CHECK(node_of(&ns, a) == NULL);            /* the old number is dead */
    CHECK(node_child(&ns, 1, "a") == b);
}

TEST(many_files_over_time_keep_the_store_flat)
{
    root();
    node_ino dir = node_new(&ns, 1, "w", N_DIR);
    size_t base = ns.nlive, slots = 0;
    for (int round = 0; round < 50; round++) {
        node_ino f[100];
        for (int i = 0; i < 100; i++) {
            char name[32];
            snprintf(name, sizeof name, "r%d-f%d", round, i);
            f[i] = node_new(&ns, dir, name, N_TRANSIENT);
            looked_up(f[i]);
        }
        for (int i = 0; i < 100; i++) {
            struct node *nd = node_of(&ns, f[i]);
            if (i % 2) { /* sealed, then unlinked */
                nd->state = N_SEALED;
                node_make_gone(&ns, f[i]);
                CHECK(forget_and_free(f[i], 1, round));
            } else { /* aborted: named until it expires */
                nd->state = N_ABORTED;
                CHECK(!forget_and_free(f[i], 1, round));
            }
        }
        node_ino x;
        while ((x = node_expired(&ns, round, 2))) {
            CHECK(node_reclaimable(&ns, x));
            node_free(&ns, x);
        }
        if (round == 10)
            slots = ns.n;
    }
    CHECK(ns.n == slots); /* warm after 10 rounds: no slot more */
    CHECK(ns.nlive <= base + 3 * 50); /* the last rounds' aborted files */
}

TEST(an_aborted_file_keeps_its_name_until_it_expires)
{
    root();
    node_ino f = node_new(&ns, 1, "x", N_TRANSIENT);
    looked_up(f);
    node_of(&ns, f)->state = N_ABORTED;
    node_note_dead(&ns, f, 0); /* still known: not dead, ignored */
    CHECK(node_expired(&ns, 100, 1) == 0);
    CHECK(!forget_and_free(f, 1, 10));
    CHECK(node_child(&ns, 1, "x") == f); /* EEXIST */
    CHECK(node_expired(&ns, 10.5, 1) == 0);
    node_ino e = node_expired(&ns, 11, 1);
    CHECK(e == f);
    CHECK(node_child(&ns, 1, "x") == 0); /* the name is free again */
    CHECK(node_reclaimable(&ns, f));
    node_free(&ns, f);
    CHECK_EQ_INT((long)ns.nexpired, 1);
}

TEST(a_removed_directory_takes_its_invisible_files)
{
    root();
    node_ino d = node_new(&ns, 1, "d", N_DIR);
    looked_up(d);
    node_ino t = node_new(&ns, d, "t", N_TRANSIENT); /* still open */
    looked_up(t);
    node_ino a = node_new(&ns, d, "a", N_ABORTED);  /* forgotten */
    node_make_gone(&ns, a);
    CHECK(node_reclaimable(&ns, a));
    node_free(&ns, a);
    node_make_gone(&ns, t);
    CHECK(!node_reclaimable(&ns, t)); /* its writer still has it */
    node_make_gone(&ns, d);
    CHECK(forget_and_free(t, 1, 0));
    CHECK(forget_and_free(d, 1, 0));
    CHECK_EQ_INT((long)ns.nlive, 1);
}

TEST(an_unlinked_tmpfile_goes_when_forgotten)
{
    root();
    node_ino t = node_new_unnamed(&ns, 1, N_TRANSIENT);
    looked_up(t);
    node_of(&ns, t)->state = N_ABORTED; /* closed without a link */
    CHECK(forget_and_free(t, 1, 0));
    CHECK_EQ_INT((long)ns.nlive, 1);
}

int main(void)
{
    int rc = run_tests();
    nodes_free(&ns);
    return rc;
}
