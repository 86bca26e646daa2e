#!/usr/bin/env bash
# Installs dependencies, builds rankpool with warnings as errors and runs the whole test suite.
# Usage: scripts/test.sh [build-dir]   (default: build-test)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}

scripts/install-deps.sh
if [ "$(id -u)" -eq 0 ]; then
  # Open MPI refuses to run as root unless told twice.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

echo "== clang-format"
git ls-files '*.cpp' '*.hpp' '*.c' '*.h' | xargs clang-format --dry-run -Werror

echo "== build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DRANKPOOL_WARNINGS_AS_ERRORS=ON
cmake --build "$build" -j "$(nproc)"

echo "== tests"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
