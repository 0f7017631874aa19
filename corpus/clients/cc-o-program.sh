#!/bin/sh
# what: `cc -o hello hello.c`: the linker writes the program
# expect hello control
#
# The linker (ld) writes the ELF program headers at offset 64 before the
# header at offset 0.  TernFS files are written once, in order: the
# filesystem refuses a write that is not at the end (EINVAL) under every
# policy, ld gives up and removes its output.
# predict error
exec cc -o hello "$CLIENT_DIR/hello.c"
