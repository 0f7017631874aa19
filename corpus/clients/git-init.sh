#!/bin/sh
# what: `git init` in a new directory
# needs git
# expect .git/config control
#
# git writes .git/config through config.lock (create, write, close, then
# rename), then probes whether chmod works and writes config.lock again
# to record core.filemode.  Before that second rename it chmods
# config.lock by path, while the file is still open for writing: on
# TernFS a file open for writing is transient, invisible in the
# directory, so chmod fails with ENOENT under every policy, git gives up
# ("could not set 'core.filemode'") and .git/config keeps its first
# version, sealed at its close: a proper prefix of the plain directory's.
# predict truncated
export GIT_CONFIG_NOSYSTEM=1 HOME="$CLIENT_DATA"
exec git init -q -b main .
