#!/bin/sh
# what: `sqlite3 db "create table...; insert..."`: a new database
# needs sqlite3
# expect db control
#
# sqlite3 opens db, then writes its rollback journal (db-journal): 512
# bytes at offset 0, then 12 bytes at offset 0 again.  TernFS files are
# written once, in order: the filesystem refuses that rewrite under every
# policy, before any page of db is written; sqlite3 reports a disk I/O
# error and exits without closing db.  The only flush of db is the one
# at its exit, from its creator with its mm gone: reference and the kmod policies
# abort it, closetracker ignores it (no close(2) counted): lost.
# fuse-naive seals what was written by then: nothing (empty).  The
# program's error is in the cell's reason.
# predict lost
# predict[fuse-naive] empty
# sqlite3 exits with status 10, not a signal: the candidates that seal at
# a normal exit seal the empty database, as fuse-naive does.
# predict[clean-exit,last-fd-clean-exit] empty
exec sqlite3 db 'create table t(x text); insert into t values ("one"), ("two");'
