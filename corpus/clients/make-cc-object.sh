#!/bin/sh
# what: `make` runs a cc rule: `hello.o: hello.c` / `cc -c`
# needs make cc as
# expect hello.o control
#
# make runs cc, which runs the assembler (as) with hello.o as its output.
# as writes the object file through BFD: the section contents first, at
# their offsets past the ELF header, then the header at offset 0.  TernFS
# files are written once, in order: the filesystem refuses the write that
# is not at the end under every policy; as reports the error and exits
# without closing hello.o, and make fails.  The only flush is the one at
# as's exit, from its creator with its mm gone: reference and the kmod
# policies abort (a dying writer), closetracker ignores it (no close(2)
# counted): lost.  fuse-naive seals the empty file there, and make then
# removes the target of the failed rule: error.
# predict lost
# predict[fuse-naive] error
# as exits with a status (1), not a signal: the candidates that seal at a
# normal exit seal the empty object there too, and make removes it.
# predict[clean-exit,last-fd-clean-exit] error
printf 'hello.o: %s/hello.c\n\tcc -c -o hello.o %s/hello.c\n' "$CLIENT_DIR" "$CLIENT_DIR" > "$CLIENT_DATA/Makefile"
exec make -s -f "$CLIENT_DATA/Makefile" hello.o
