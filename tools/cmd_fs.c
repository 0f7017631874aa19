/* cmd_fs.c - `ternrig fs MOUNTPOINT`: the embedded reference filesystem. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "commands.h"
#include "util.h"

static const char fs_help[] =
    "usage: ternrig fs [--policy P] [--context bpf|proc|auto] [--log FILE] "
    "[--daemon]\n"
    "                  [--closetracker-map N] [--expire S] [--threads N] "
    "[--debug]\n"
    "                  MOUNTPOINT\n"
    "\n"
    "Mount an in-memory filesystem with TernFS semantics: a created file is\n"
    "transient (invisible, writable only by its open file, append only)\n"
    "until a flush seals it (visible, immutable) or aborts it (gone).  Every\n"
    "create and flush is decided by ternrig's flush-classification core,\n"
    "over the requesting task's context.  Unmounts on SIGINT, SIGTERM or\n"
    "SIGHUP (or fusermount3 -u MOUNTPOINT).  MOUNTPOINT must be an empty\n"
    "directory (a symlink to one is followed): a file, or a directory with\n"
    "something in it, is refused with exit 2.\n"
    "\n"
    "  -p, --policy P   the flush policy (default reference; see below).\n"
    "                   Those that decide on kernel facts /proc does not\n"
    "                   show (task_struct and mm pointers, close(2) counts:\n"
    "                   marked * by `ternrig policies --long`) need BPF\n"
    "                   contexts\n"
    "  -c, --context S  where the requester's context comes from:\n"
    "                   bpf   a BPF program on the tracepoint\n"
    "                         fuse:fuse_request_send records the sender's\n"
    "                         task_struct, group_leader and mm pointers, and\n"
    "                         one on syscalls:sys_enter_close counts close(2)\n"
    "                         per inode (root, kernel BTF; mounts tracefs if\n"
    "                         needed); fails (exit 2) if it cannot load\n"
    "                   proc  /proc/<tid>/status: tgid and whether mm is\n"
    "                         gone, no pointers, no close counts\n"
    "                   auto  bpf when it loads, else proc with a notice\n"
    "                         (the default)\n"
    "      --closetracker-map N\n"
    "                   the close tracker's capacity, for the policies that\n"
    "                   count close(2) (1..1048576; default 1048576, TernFS's\n"
    "                   map): a BPF hash map of one counter per inode, bumped\n"
    "                   by every close(2) on the mount, deleted only when a\n"
    "                   flush seals its file; when it is full, closes of\n"
    "                   files without a counter are not counted\n"
    "      --probe      only say whether BPF contexts load here (exit 0)\n"
    "                   or why not (exit 1); mounts nothing\n"
    "  -l, --log FILE   append every create and flush, with the raw context\n"
    "                   and the decision, as JSON lines (a regular file,\n"
    "                   made if missing: a device or FIFO is refused; a\n"
    "                   line that cannot be written is said at once and\n"
    "                   makes the exit status 2)\n"
    "      --log-late   log the flushes of files already sealed or aborted\n"
    "                   too, with their context and no decision (real runs\n"
    "                   read from them in which order a group's threads\n"
    "                   exited)\n"
    "      --expire S   an aborted file, or one left transient, that no\n"
    "                   process has open any more (the kernel forgot it)\n"
    "                   frees its name S seconds later (default 60; 0:\n"
    "                   never): until then creating it again fails with\n"
    "                   EEXIST; TernFS expires such files too.  Unlinked\n"
    "                   files and a removed directory's go at once\n"
    "  -t, --threads N  threads reading requests (1..64, default 1): with\n"
    "                   more, one reads the next request while another is\n"
    "                   served (served one at a time, under one lock)\n"
    "  -D, --daemon     detach once mounted\n"
    "  -d, --debug      libfuse debug output\n"
    "  -h, --help       this help\n"
    "\n"
    "When the context source cannot tell who is flushing (a task outside\n"
    "this pid namespace or a vanished thread for /proc, a lost record for\n"
    "BPF), the flush is not sealed: the safe choice, logged with the\n"
    "reason.\n";

#ifdef TERNRIG_HAVE_FUSE
#include "bpf_context.h"
#include "ternfs_fs.h"

static int probe_bpf(void)
{
    char why[256], note[160];
    struct bpf_context *bc = bpf_context_open(CLOSETRACKER_MAP_DEFAULT, why, sizeof why, note,
                                              sizeof note);
    if (note[0])
        fprintf(stderr, "ternrig fs: %s\n", note);
    if (!bc) {
        printf("BPF contexts cannot load: %s\n", why);
        return 1;
    }
    bpf_context_close(bc);
    printf("BPF contexts load\n");
    return 0;
}

/* What the filesystem says the user should know. */
static void print_notice(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "ternrig fs: %s\n", msg);
}

int cmd_fs(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"context", required_argument, 0, 'c'},
        {"probe", no_argument, 0, 'P'},
        {"log", required_argument, 0, 'l'},
        {"log-late", no_argument, 0, 'L'},
        {"closetracker-map", required_argument, 0, 'M'},
        {"threads", required_argument, 0, 't'},
        {"expire", required_argument, 0, 'E'},
        {"daemon", no_argument, 0, 'D'},
        {"debug", no_argument, 0, 'd'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct fs_options o = {NULL, POLICY_REFERENCE, FS_CONTEXT_AUTO, NULL,
                           false, false, print_notice, NULL, false, 0, 60, 1};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:c:l:t:Ddh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (policy_arg("fs", optarg, &o.policy))
                return 2;
            break;
        case 'c':
            if (!strcmp(optarg, "bpf"))
                o.context = FS_CONTEXT_BPF;
            else if (!strcmp(optarg, "proc"))
                o.context = FS_CONTEXT_PROC;
            else if (!strcmp(optarg, "auto"))
                o.context = FS_CONTEXT_AUTO;
            else
                return usage_error("fs", "--context '%s': bpf, proc or auto",
                                   optarg);
            break;
        case 'P': return probe_bpf();
        case 'l': o.log_path = optarg; break;
        case 'L': o.log_late = true; break;
        case 'M':
            if (closetracker_map_arg("fs", optarg, &o.closetracker_map))
                return 2;
            break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || end == optarg || n < 1 || n > 64)
                return usage_error("fs", "--threads '%s': 1..64", optarg);
            o.threads = (unsigned)n;
            break;
        }
        case 'E': {
            char *end;
            double e = strtod(optarg, &end);
            if (*end || end == optarg || !(e >= 0 && e <= 1e9))
                return usage_error("fs", "--expire '%s': seconds, 0 or more",
                                   optarg);
            o.expire_s = e;
            break;
        }
        case 'D': o.daemon = true; break;
        case 'd': o.debug = true; break;
        case 'h': return policy_help(fs_help);
        default: return usage_error("fs", "bad option");
        }
    }
    if (optind != argc - 1)
        return usage_error("fs", "give exactly one mount point");
    if (o.context == FS_CONTEXT_PROC && policy_needs_bpf(o.policy))
        return usage_error("fs",
                           "policy '%s' decides on kernel facts /proc cannot "
                           "give (task_struct/mm pointers, close(2) counts): "
                           "use --context bpf or auto",
                           policy_name(o.policy));
    o.mountpoint = argv[optind];
    struct stat st;
    if (stat(o.mountpoint, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ternrig fs: %s is not a directory\n", o.mountpoint);
        return 2;
    }
    /* FUSE 3 mounts over a non-empty directory without a word: what is
     * in it would vanish under the mount (a mistyped path, a home) */
    int empty = dir_is_empty(o.mountpoint);
    if (empty <= 0) {
        fprintf(stderr, "ternrig fs: %s: %s\n", o.mountpoint,
                empty < 0 ? strerror(errno)
                          : "not empty (its files would be hidden under "
                            "the mount): give an empty directory");
        return 2;
    }
    char why[512];
    if (ternfs_fs_run(&o, why, sizeof why) == 0)
        return 0;
    if (why[0])
        fprintf(stderr, "ternrig fs: %s\n", why);
    return 2;
}

#else

int cmd_fs(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(fs_help, stdout);
        return 0;
    }
    fprintf(stderr, "ternrig fs: this ternrig was built without libfuse3 "
                    "(install libfuse3-dev and pkg-config, then rebuild)\n");
    return 2;
}

#endif
