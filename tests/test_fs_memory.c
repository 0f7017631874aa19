/* test_fs_memory.c - the embedded filesystem frees what nobody can reach
 * any more, on a real mount: files sealed then unlinked, aborted, never
 * linked (tmpfiles) or left in a removed directory go once the kernel
 * forgets them (the live node count, user.ternrig.stats, returns to where
 * it was), a freed node's slot comes back under a new generation (a new
 * inode number), an aborted name is free again after --expire, and
 * --threads N serves the same.  Needs root and /dev/fuse; skipped with the
 * reason otherwise (exit 77). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <sys/xattr.h>
#include "fs_fixture.h"
#include "check.h"

static const char *ternrig;
static struct real_mount M;

/* A field of the mount's user.ternrig.stats ("live", "freed", ...). */
static long long stat_of(const char *dir, const char *key)
{
    char v[512], want[40];
    ssize_t n = getxattr(dir, "user.ternrig.stats", v, sizeof v - 1);
    if (n <= 0)
        return -1;
    v[n] = 0;
    snprintf(want, sizeof want, " %s ", key);
    char *p = strstr(v, want);
    if (!p && !strncmp(v, want + 1, strlen(want + 1)))
        p = v - 1;
    return p ? atoll(p + strlen(want)) : -1;
}

/* Wait (up to 10 s) for the live count to come back to `want`: the kernel
 * sends its forgets when it likes, later on a loaded machine. */
static long long live_back_to(const char *dir, long long want)
{
    long long live = -1;
    for (int i = 0; i < 500; i++) {
        if ((live = stat_of(dir, "live")) <= want)
            break;
        usleep(20000);
    }
    return live;
}

/* DIR/NAME in one of this thread's four buffers (the creator threads of
 * several_threads_serve_the_same call it at once: shared buffers gave
 * one thread another's path, about one run in two) */
static char *at(const char *dir, const char *name)
{
    static _Thread_local char buf[4][1100];
    static _Thread_local int k;
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%.512s/%.512s", dir, name);
    return p;
}

/* A child creates `name`, writes, and exits with it open: reference
 * aborts it (its creator is dead at the flush). */
static void aborted_file(const char *dir, const char *name)
{
    pid_t c = fork();
    if (c == 0) {
        int fd = open(at(dir, name), O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd >= 0 && write(fd, "x", 1) != 1)
            _exit(2);
        _exit(fd >= 0 ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
}

/* `n` files of every fate in `sub`, then the directory removed. */
static void every_fate(const char *dir, const char *sub, int n)
{
    char d[512];
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    REQUIRE(mkdir(d, 0755) == 0);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "s%d", i); /* sealed, unlinked */
        int fd = open(at(d, name), O_CREAT | O_EXCL | O_WRONLY, 0644);
        REQUIRE(fd >= 0);
        CHECK(write(fd, "hello", 5) == 5);
        close(fd);
        CHECK(unlink(at(d, name)) == 0);
        snprintf(name, sizeof name, "a%d", i); /* aborted */
        aborted_file(d, name);
        fd = open(d, O_TMPFILE | O_WRONLY, 0644); /* never linked */
        if (fd >= 0) {
            CHECK(write(fd, "t", 1) == 1);
            close(fd);
        }
    }
    snprintf(d, sizeof d, "%s/%s/kept", dir, sub); /* sealed, in the dir */
    int fd = open(d, O_CREAT | O_EXCL | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK(unlink(d) == 0);
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    CHECK(rmdir(d) == 0); /* the aborted files go with it */
}

TEST(every_fate_is_freed_once_forgotten)
{
    long long base = stat_of(M.dir, "live");
    REQUIRE(base >= 1);
    long long slots0 = stat_of(M.dir, "slots");
    every_fate(M.dir, "d1", 100);
    CHECK_EQ_INT(live_back_to(M.dir, base), base);
    long long slots1 = stat_of(M.dir, "slots");
    CHECK(slots1 > slots0);
    for (int r = 0; r < 3; r++) { /* again: the same slots serve */
        char sub[16];
        snprintf(sub, sizeof sub, "d%d", r + 2);
        every_fate(M.dir, sub, 100);
        CHECK_EQ_INT(live_back_to(M.dir, base), base);
    }
    CHECK(stat_of(M.dir, "slots") <= slots1 + 4);
    CHECK(stat_of(M.dir, "freed") >= 4 * 300);
}

TEST(a_new_file_in_a_freed_slot_has_a_new_inode_number)
{
    long long base = stat_of(M.dir, "live");
    int fd = open(at(M.dir, "g"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    close(fd);
    struct stat a, b;
    REQUIRE(stat(at(M.dir, "g"), &a) == 0);
    CHECK(unlink(at(M.dir, "g")) == 0);
    CHECK_EQ_INT(live_back_to(M.dir, base), base);
    fd = open(at(M.dir, "g"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    close(fd);
    REQUIRE(stat(at(M.dir, "g"), &b) == 0);
    CHECK(a.st_ino != b.st_ino);                      /* a new number ... */
    CHECK((uint32_t)a.st_ino == (uint32_t)b.st_ino);  /* ... same slot    */
    CHECK((b.st_ino >> 32) > (a.st_ino >> 32));       /* next generation  */
    unlink(at(M.dir, "g"));
}

/* `ternrig fs ARGS... DIR` of our own (real_mount.c has no --expire or
 * --threads): its pid, once the mount answers; 0 if it does not. */
static pid_t own_mount(const char *dir, const char *expire,
                       const char *threads)
{
    pid_t p = fork();
    if (p == 0) {
        execl(ternrig, "ternrig", "fs", "--context", "proc", "--expire",
              expire, "--threads", threads, dir, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 250; i++) {
        if (stat_of(dir, "live") >= 1)
            return p;
        usleep(20000);
    }
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
    return 0;
}

static void own_unmount(pid_t p)
{
    kill(p, SIGTERM);
    int st = 0;
    CHECK(waitpid(p, &st, 0) == p);
    CHECK(WIFEXITED(st));
}

TEST(an_aborted_name_is_free_again_after_expire)
{
    char dir[] = "/tmp/ternrig-test-expire-XXXXXX";
    REQUIRE(mkdtemp(dir));
    pid_t p = own_mount(dir, "1", "1");
    REQUIRE(p > 0);
    aborted_file(dir, "x");
    int fd = open(at(dir, "x"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    CHECK(fd < 0 && errno == EEXIST); /* SPEC §3: the name stays taken */
    bool free_again = false;
    for (int i = 0; i < 500 && !free_again; i++) { /* up to 10 s */
        usleep(20000);
        fd = open(at(dir, "x"), O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd >= 0) {
            free_again = true;
            close(fd);
        }
    }
    CHECK(free_again);
    CHECK(stat_of(dir, "expired") >= 1);
    own_unmount(p);
    rmdir(dir);
}

struct creator {
    const char *dir;
    int id, ok;
};

static void *create_many(void *arg)
{
    struct creator *c = arg;
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d-%d", c->id, i);
        int fd = open(at(c->dir, name), O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0)
            continue;
        bool w = write(fd, name, strlen(name)) == (ssize_t)strlen(name);
        close(fd);
        struct stat st;
        c->ok += w && stat(at(c->dir, name), &st) == 0 &&
                 st.st_size == (off_t)strlen(name) &&
                 unlink(at(c->dir, name)) == 0;
    }
    return NULL;
}

TEST(several_threads_serve_the_same)
{
    char dir[] = "/tmp/ternrig-test-threads-XXXXXX";
    REQUIRE(mkdtemp(dir));
    pid_t p = own_mount(dir, "60", "4");
    REQUIRE(p > 0);
    long long base = stat_of(dir, "live");
    pthread_t th[4];
    struct creator c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = (struct creator){dir, i, 0};
        pthread_create(&th[i], NULL, create_many, &c[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(c[i].ok, 200);
    }
    CHECK_EQ_INT(live_back_to(dir, base), base);
    own_unmount(p);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    int rc = fs_test_start(argc, argv);
    if (rc >= 0)
        return rc;
    ternrig = argv[1];
    if (fs_mount(&M, ternrig, "reference") < 0)
        return 1;
    rc = run_tests();
    real_mount_stop(&M);
    return rc;
}
