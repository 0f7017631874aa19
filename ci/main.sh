#!/usr/bin/env bash
# ci/main.sh - the main job: set up, build, then replay the whole corpus
# through the model under all five flush policies and print the table of what
# each policy gets wrong.  Exit status: 0 when every trace's expectations
# hold, 1 when one fails, 2 on a trace error.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
echo
exec ./build/ternrig replay --all-policies --quiet corpus/traces "$@"
