#!/bin/sh
# what: Python `open("out", "w")`, two writes, `close()`
# expect out "first\nsecond\n"
#
# One open file, closed once by its creator after every write: sealed
# whole under every policy.
# predict exact
exec python3 -c '
f = open("out", "w")
f.write("first\n")
f.flush()
f.write("second\n")
f.close()
'
