/* exit_without_close.c - a client of c-exit-without-close.sh: fopen,
 * fprintf, and return from main without fclose.  exit() writes the stdio
 * buffer out but closes no fd: the kernel closes out while tearing the
 * process down, after its mm is gone. */
#include <stdio.h>

int main(void)
{
    FILE *f = fopen("out", "w");
    if (!f) {
        perror("fopen out");
        return 1;
    }
    fprintf(f, "written, never closed\n");
    return 0;
}
