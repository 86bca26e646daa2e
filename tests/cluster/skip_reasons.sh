#!/usr/bin/env bash
# ctest shows a skipped test as "***Skipped" without its output. A cluster test that skips writes
# its reason to $RANKPOOL_SKIP_NOTE (a file in DIR); ctest runs this with --clear before the
# tests and without after them (CTEST_CUSTOM_PRE_TEST / POST_TEST, tests/cluster/CMakeLists.txt),
# so the reasons of this run's skips follow ctest's summary.
# Usage: tests/cluster/skip_reasons.sh [--clear] DIR
set -euo pipefail
if [ "${1:-}" = --clear ]; then
  rm -rf "${2:?usage: skip_reasons.sh [--clear] DIR}"
  exit 0
fi
dir=${1:?usage: skip_reasons.sh [--clear] DIR}
[ -d "$dir" ] || exit 0
for note in "$dir"/*; do
  [ -f "$note" ] && cat "$note"
done
exit 0
