/* observer.c - the storm's observer (see observer.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ledger.h"
#include "observer.h"
#include "real_exec.h"


struct seen {
    uint32_t scen;
    uint16_t file;
    uint64_t size_plus1;
};

/* Whether the file holds the pattern; *bad is the first wrong offset. */
static bool content_is_pattern(const char *path, const char *name,
                               uint64_t size, uint64_t *bad, uint32_t *got)
{
    static unsigned char buf[1 << 16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true; /* gone meanwhile: nothing to say */
    uint32_t id = stress_file_id(name);
    uint64_t off = 0;
    bool ok = true;
    while (ok && off < size) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t k = 0; k < n; k++)
            if (buf[k] != stress_pattern(id, off + (uint64_t)k)) {
                ok = false;
                *bad = off + (uint64_t)k;
                *got = buf[k] | (uint32_t)stress_pattern(id, *bad) << 8;
                break;
            }
        off += (uint64_t)n;
    }
    close(fd);
    return ok;
}

int observer_main(struct ledger *l, const char *storm_dir,
                  const volatile int *stop)
{
    static struct seen seen[8192];
    while (!*stop) {
        DIR *top = opendir(storm_dir);
        struct dirent *de;
        while (top && (de = readdir(top))) {
            if (de->d_name[0] != 'w')
                continue;
            char dpath[4200];
            snprintf(dpath, sizeof dpath, "%s/%s", storm_dir, de->d_name);
            uint64_t t0 = ledger_now_ns();
            DIR *d = opendir(dpath);
            struct dirent *fe;
            while (d && (fe = readdir(d))) {
                unsigned scen, file;
                if (sscanf(fe->d_name, "s%8x-f%u", &scen, &file) != 2)
                    continue;
                char fpath[4500];
                struct stat st;
                snprintf(fpath, sizeof fpath, "%s/%s", dpath, fe->d_name);
                if (stat(fpath, &st) != 0)
                    continue;
                struct seen *s = &seen[(scen * 64u + file) % 8192];
                if (s->scen == scen && s->file == file &&
                    s->size_plus1 == (uint64_t)st.st_size + 1)
                    continue;
                uint64_t bad = 0;
                uint32_t got = 0;
                bool ok = content_is_pattern(fpath, fe->d_name,
                                             (uint64_t)st.st_size, &bad, &got);
                s->scen = scen;
                s->file = (uint16_t)file;
                s->size_plus1 = (uint64_t)st.st_size + 1;
                struct ledger_rec r = {0};
                r.kind = LR_OBSERVE;
                r.scen = scen;
                r.step = (uint16_t)file;
                r.result = ok;
                r.pid = (int32_t)bad;
                r.worker = got; /* the byte seen, and the one written << 8 */
                r.a = (uint64_t)st.st_size;
                r.b = t0;
                ledger_append(l, &r);
            }
            if (d)
                closedir(d);
        }
        if (top)
            closedir(top);
        struct timespec ts = {0, 20000000}; /* 20 ms between sweeps */
        nanosleep(&ts, NULL);
    }
    return 0;
}

