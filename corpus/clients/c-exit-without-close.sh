#!/bin/sh
# what: a C program fopens, fprintfs and returns from main without fclose
# expect out "written, never closed\n"
#
# exit() writes the buffer but the fd is closed by the kernel at exit,
# with the creator's mm gone: to reference and kmod that is a dying
# writer, so the file is aborted; kmod-2024 too (the owner's mm is gone);
# closetracker never counted a close(2), so the file stays transient.
# Only fuse-naive seals it.
# predict lost
# predict[fuse-naive] exact
# The candidates that seal at a normal exit keep it (README "Candidate
# policies"): the teardown flush of an exit with a status seals.
# predict[clean-exit,last-fd-clean-exit] exact
cc -o "$CLIENT_DATA/noclose" "$CLIENT_DIR/exit_without_close.c" || exit 1
exec "$CLIENT_DATA/noclose"
