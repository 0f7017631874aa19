/* read_then_write.c - a client of c-read-sealed-then-write.sh: a build
 * step's shape.  It writes 40 inputs (each fopen, fprintf, fclose: sealed
 * at once), reads every one of them back once (a read-only open and its
 * close(2)), then writes its output the same way. */
#include <stdio.h>

#define INPUTS 40

int main(void)
{
    char name[32], line[64];
    for (int i = 0; i < INPUTS; i++) {
        snprintf(name, sizeof name, "in%02d", i);
        FILE *f = fopen(name, "w");
        if (!f || fprintf(f, "input %d\n", i) < 0 || fclose(f) != 0) {
            perror(name);
            return 1;
        }
    }
    unsigned long sum = 0;
    for (int i = 0; i < INPUTS; i++) {
        snprintf(name, sizeof name, "in%02d", i);
        FILE *f = fopen(name, "r");
        if (!f || !fgets(line, sizeof line, f)) {
            perror(name);
            return 1;
        }
        sum += (unsigned long)line[6];
        fclose(f);
    }
    FILE *out = fopen("out", "w");
    if (!out || fprintf(out, "read %d inputs, sum %lu\n", INPUTS, sum) < 0 ||
        fclose(out) != 0) {
        perror("out");
        return 1;
    }
    return 0;
}
