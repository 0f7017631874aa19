/* test_mountinfo.c - finding a FUSE connection's dev_t in mountinfo (pure:
 * the BPF context source watches the connection it finds this way). */
#include "bpf_context.h"
#include "check.h"

static const char mountinfo[] =
    "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "35 22 0:44 / /tmp/ternrig-real-AbC rw,nosuid shared:9 - fuse.ternrig "
    "ternrig rw,user_id=0\n"
    "36 22 0:300 / /tmp/with\\040space rw - fuse.ternrig ternrig rw\n"
    "37 35 0:45 / /tmp/ternrig-real-AbC rw - fuse.ternrig ternrig rw\n"
    "38 22 259:1048575 / /mnt/big rw - fuse.x x rw\n";

static int find(const char *mp, uint32_t *dev)
{
    int found = -1;
    char line[256];
    for (const char *l = mountinfo; *l;) {
        size_t n = strcspn(l, "\n");
        snprintf(line, sizeof line, "%.*s", (int)n, l);
        if (mountinfo_dev(line, mp, dev) == 0)
            found = 0;
        l += n + (l[n] == '\n');
    }
    return found;
}

TEST(the_mount_on_top_wins)
{
    uint32_t dev = 0;
    CHECK_EQ_INT(find("/tmp/ternrig-real-AbC", &dev), 0);
    CHECK_EQ_INT(dev, 45); /* line 37, mounted over line 35 */
}

TEST(escaped_paths_and_kernel_dev_encoding)
{
    uint32_t dev = 0;
    CHECK_EQ_INT(find("/tmp/with space", &dev), 0);
    CHECK_EQ_INT(dev, 300); /* minor > 255: MKDEV, not the user encoding */
    CHECK_EQ_INT(find("/mnt/big", &dev), 0);
    CHECK_EQ_INT(dev, (259u << 20) | 1048575u);
}

TEST(no_mount_no_dev)
{
    uint32_t dev = 7;
    CHECK_EQ_INT(find("/tmp/ternrig-real", &dev), -1); /* a prefix only */
    CHECK_EQ_INT(find("/nowhere", &dev), -1);
    CHECK_EQ_INT(dev, 7);
    CHECK_EQ_INT(mountinfo_dev("garbage", "/", &dev), -1);
    CHECK_EQ_INT(mountinfo_dev("", "/", &dev), -1);
}

int main(void)
{
    return run_tests();
}
