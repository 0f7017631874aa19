/* cmd_fs.c - `ternrig fs MOUNTPOINT`: the embedded reference filesystem. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "commands.h"

static const char fs_help[] =
    "usage: ternrig fs [--policy P] [--log FILE] [--daemon] [--debug] "
    "MOUNTPOINT\n"
    "\n"
    "Mount an in-memory filesystem with TernFS semantics: a created file is\n"
    "transient (invisible, writable only by its open file, append only)\n"
    "until a flush seals it (visible, immutable) or aborts it (gone).  Every\n"
    "create and flush is decided by ternrig's flush-classification core,\n"
    "over the flusher's context read from /proc.  Unmounts on SIGINT,\n"
    "SIGTERM or SIGHUP (or fusermount3 -u MOUNTPOINT).\n"
    "\n"
    "  -p, --policy P   reference (default) or fuse-naive.  kmod, kmod-2024\n"
    "                   and fuse-closetracker need kernel facts /proc does\n"
    "                   not show (task_struct pointers, close(2) counts):\n"
    "                   they come with the BPF context source\n"
    "  -l, --log FILE   append every flush and its decision as JSON lines\n"
    "  -D, --daemon     detach once mounted\n"
    "  -d, --debug      libfuse debug output\n"
    "  -h, --help       this help\n"
    "\n"
    "When /proc cannot tell who is flushing (a task outside this pid\n"
    "namespace, a vanished thread), the flush is not sealed: the safe\n"
    "choice, logged with the reason.\n";

#ifdef TERNRIG_HAVE_FUSE
#include "ternfs_fs.h"

int cmd_fs(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"log", required_argument, 0, 'l'},
        {"daemon", no_argument, 0, 'D'},
        {"debug", no_argument, 0, 'd'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct fs_options o = {NULL, POLICY_REFERENCE, NULL, false, false};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:l:Ddh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!policy_from_name(optarg, strlen(optarg), &o.policy))
                return usage_error("fs", "unknown policy '%s'", optarg);
            if (o.policy != POLICY_REFERENCE && o.policy != POLICY_FUSE_NAIVE)
                return usage_error("fs",
                                   "policy '%s' needs kernel facts /proc "
                                   "cannot give (BPF contexts, not built "
                                   "yet); use reference or fuse-naive",
                                   optarg);
            break;
        case 'l': o.log_path = optarg; break;
        case 'D': o.daemon = true; break;
        case 'd': o.debug = true; break;
        case 'h': fputs(fs_help, stdout); return 0;
        default: return usage_error("fs", "bad option");
        }
    }
    if (optind != argc - 1)
        return usage_error("fs", "give exactly one mount point");
    o.mountpoint = argv[optind];
    struct stat st;
    if (stat(o.mountpoint, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ternrig fs: %s is not a directory\n", o.mountpoint);
        return 2;
    }
    return ternfs_fs_run(&o) == 0 ? 0 : 2;
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
