#!/bin/sh
# what: `git add; git commit` in a repository made elsewhere: loose objects, the index, a ref
# needs git
# expect .git/objects/ce/013625030ba8dba906f756967f9e9ca394464a control
# expect .git/objects/aa/a96ced2d9a1c8e72c56b253a0e2fe78393feb7 control
# expect .git/objects/38/6da6a406bb401222c8895fc58e8a3e1a3eb875 control
# expect .git/refs/heads/main "386da6a406bb401222c8895fc58e8a3e1a3eb875\n"
#
# `git init` fails on TernFS (git-init.sh), so the repository is made in a
# plain directory (with no template) and copied in with cp -R; then
# git writes each object into a fresh tmp_obj_XXXXXX, closes it, then
# link()s it to its name; the index and the branch through index.lock
# and main.lock, closed, then renamed into place.  Every file is
# written, closed by its creator, and only then named: sealed whole under
# every policy.  The commit (fixed author, committer and dates) has the
# same hash everywhere; the index holds inode numbers and times, so
# its bytes are not checked, but `git commit` reads it back to build the
# tree (the tree object above) and `git diff --cached` must find it equal
# to HEAD.
# predict exact
export GIT_AUTHOR_NAME=ternrig GIT_AUTHOR_EMAIL=ternrig@example.com
export GIT_COMMITTER_NAME=ternrig GIT_COMMITTER_EMAIL=ternrig@example.com
export GIT_AUTHOR_DATE='@0 +0000' GIT_COMMITTER_DATE='@0 +0000'
export GIT_CONFIG_NOSYSTEM=1 HOME="$CLIENT_DATA"
git init -q --template= -b main "$CLIENT_DATA/repo" || exit 1
cp -R "$CLIENT_DATA/repo/.git" .git || exit 1
printf 'hello\n' > "$CLIENT_DATA/hello.txt"
cp "$CLIENT_DATA/hello.txt" hello.txt || exit 1
git add hello.txt || exit 1
git commit -q -m first || exit 1
exec git diff --cached --quiet
