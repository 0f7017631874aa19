/* fork_child_exits.c - a client of c-fork-child-exits-while-writing.sh:
 * create out, write, fork a child that exits at once (the kernel flushes
 * the child's copy of the fd as its fd table goes, with its mm gone), wait
 * for it, write again, close. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int put(int fd, const char *s, size_t n)
{
    if (write(fd, s, n) != (ssize_t)n) {
        perror("write out");
        return -1;
    }
    return 0;
}

int main(void)
{
    int fd = open("out", O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        perror("open out");
        return 1;
    }
    if (put(fd, "before\n", 7) < 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0)
        _exit(0);
    if (waitpid(pid, NULL, 0) != pid) {
        perror("waitpid");
        return 1;
    }
    if (put(fd, "after\n", 6) < 0)
        return 1;
    if (close(fd) < 0) {
        perror("close out");
        return 1;
    }
    return 0;
}
