/* tmpfile_linkat.c - a client of c-tmpfile-linkat.sh: the atomic-publish
 * pattern of programs that write a file whole before it may be seen
 * (systemd's open_tmpfile_linkable() and link_tmpfile() work this way):
 * open(".", O_TMPFILE), write, linkat(fd, "", ".", "out", AT_EMPTY_PATH),
 * close.  Where O_TMPFILE is not supported (EOPNOTSUPP, EISDIR) it falls
 * back, as those programs do, to a named temporary file renamed into
 * place once closed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char text[] = "published whole with O_TMPFILE\n";

static int fallback(void)
{
    int fd = open("out.tmp", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
        close(fd) != 0 || rename("out.tmp", "out") != 0) {
        perror("fallback: out.tmp");
        return 1;
    }
    fprintf(stderr, "no O_TMPFILE here: wrote out.tmp, renamed it\n");
    return 0;
}

int main(void)
{
    int fd = open(".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR))
        return fallback();
    if (fd < 0) {
        perror("open O_TMPFILE");
        return 1;
    }
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror("write");
        return 1;
    }
    if (linkat(fd, "", AT_FDCWD, "out", AT_EMPTY_PATH) != 0) {
        perror("linkat out");
        return 1;
    }
    if (close(fd) != 0) {
        perror("close");
        return 1;
    }
    return 0;
}
