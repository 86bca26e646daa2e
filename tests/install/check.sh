#!/usr/bin/env bash
# Installs rankpool from BUILD into a fresh prefix, builds tests/install as a separate project
# with find_package(rankpool), and runs it under mpiexec.
# Usage: check.sh BUILD MPIEXEC [MPIEXEC_FLAGS...]
set -euo pipefail
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$build/install-check
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
"$@" -n 2 "$work/build/consumer"
