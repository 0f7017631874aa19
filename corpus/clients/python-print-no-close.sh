#!/bin/sh
# what: Python `print(..., file=f)` into `open("out", "w")`, and exits without `close()`
# needs python3
# expect out "printed, never closed\n"
#
# The program never closes f, but the interpreter does at its exit: when
# it tears down the module's globals, the file object's finalizer flushes
# its buffer (the one write) and closes the fd, while the process and its
# mm are alive.  To the filesystem that is the creator's conscious close:
# sealed whole under every policy.
# predict exact
exec python3 -c '
f = open("out", "w")
print("printed, never closed", file=f)
'
