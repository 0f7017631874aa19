#!/bin/sh
# what: `ld -r -o out.o in.o`: the linker writes an object file
# needs cc ld
# expect out.o control
#
# ld (BFD) writes the sections at their offsets first and the ELF header
# at offset 0 last.  TernFS files are append-only: the filesystem refuses
# the first write that is not at the end under every policy, ld reports
# the error and removes out.o.
# predict error
cc -c -o "$CLIENT_DATA/in.o" "$CLIENT_DIR/hello.c" || exit 1
exec ld -r -o out.o "$CLIENT_DATA/in.o"
