/* hello.c - what cc-o-program.sh compiles. */
#include <stdio.h>

int main(void)
{
    puts("hello");
    return 0;
}
