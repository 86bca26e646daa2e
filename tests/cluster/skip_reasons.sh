#!/usr/bin/env bash
# Prints why each skipped test was skipped: ctest shows "***Skipped" without the test's output,
# so ctest runs this after the tests (CTEST_CUSTOM_POST_TEST, written by tests/cluster).
# Usage: tests/cluster/skip_reasons.sh BUILD_DIR
set -euo pipefail
log=${1:?usage: skip_reasons.sh BUILD_DIR}/Testing/Temporary/LastTest.log
[ -f "$log" ] || exit 0
awk '/^[0-9]+\/[0-9]+ Testing: / { test = $3 }
     /^skipped: / { print test ": " $0 }' "$log"
