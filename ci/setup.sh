#!/usr/bin/env bash
# ci/setup.sh - install the Debian packages ternrig needs (only the missing
# ones), then configure and build it in ./build.  Used by ci/main.sh and
# ci/test.sh; safe to run again.  afl++ (4.04c) builds the AFL++ targets
# (cmake --preset afl); chromium renders report.html in the report_render
# test.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake make gcc libc6-dev clang libclang-rt-14-dev python3 bsdutils zip
          libfuse3-dev fuse3 pkg-config liburing-dev
          libbpf-dev bpftool libelf-dev zlib1g-dev
          unzip procps stress-ng python3-yaml rsync
          afl++ chromium
          git curl wget sqlite3 binutils)  # corpus/clients programs (make, tar, cc above)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "ternrig setup: installing ${missing[*]}"
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "ternrig setup: need root or sudo to install: ${missing[*]}" >&2
            exit 2
        }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"
