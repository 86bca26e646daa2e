#!/usr/bin/env bash
# Installs dependencies and runs every check CI runs, stage by stage:
#   clang-format   the formatting of every source file
#   release        Release build, warnings as errors; the whole test suite (ctest)
#   clang-tidy     .clang-tidy over src/ and tests/ (and the headers they include); any finding
#                  fails the run (tests/compile_fail/ is left out: it is meant not to compile)
#   asan+ubsan     AddressSanitizer, LeakSanitizer and UBSan build; the suite without the cluster
#                  tests (ctest -LE cluster)
#   tsan           ThreadSanitizer build; the executor's MPI tests and the sleep command end to
#                  end (rank 0 runs tasks on a thread of its own)
# Usage: scripts/test.sh [--quick] [build-dir]   (default build-dir: build-test)
#   --quick  clang-format and release only
# The sanitizer builds go to <build-dir>-asan and <build-dir>-tsan.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [ "${1:-}" = --quick ]; then
  quick=1
  shift
fi
build=${1:-build-test}
jobs=$(nproc)

scripts/install-deps.sh
if [ "$(id -u)" -eq 0 ]; then
  # Open MPI refuses to run as root unless told twice.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

timings=()
stage_name=""
stage_start=0
stage() {
  end_stage
  stage_name=$1
  stage_start=$SECONDS
  echo "== $stage_name"
}
end_stage() {
  if [ -n "$stage_name" ]; then
    timings+=("$(printf '%5d s  %s' $((SECONDS - stage_start)) "$stage_name")")
  fi
  stage_name=""
}
report() {
  end_stage
  echo "== stage timings"
  printf '%s\n' "${timings[@]}"
  printf '%5d s  total\n' "$SECONDS"
}
trap report EXIT

stage "clang-format"
git ls-files '*.cpp' '*.hpp' '*.c' '*.h' | xargs clang-format --dry-run -Werror

stage "release: build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DRANKPOOL_WARNINGS_AS_ERRORS=ON \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
cmake --build "$build" -j "$jobs"

stage "release: ctest"
ctest --test-dir "$build" --output-on-failure -j "$jobs"

if [ "$quick" -eq 1 ]; then
  exit 0
fi

stage "clang-tidy"
# Strict: .clang-tidy makes every finding an error, and any error fails the run. To check one file
# while fixing it: clang-tidy-14 -p "$build" --extra-arg=-Wno-unknown-warning-option FILE.
if ! run-clang-tidy-14 -p "$build" -j "$jobs" -quiet -extra-arg=-Wno-unknown-warning-option \
  "^$PWD/(src|tests/(?!compile_fail/)).*\.cpp$" >"$build/clang-tidy.log" 2>&1; then
  sed 's/\x1b\[[0-9;]*m//g' "$build/clang-tidy.log" | grep -E '^/.*: (warning|error): ' |
    sed "s|^$PWD/||" | sort -u >"$build/clang-tidy.findings" || true
  echo "clang-tidy: $(wc -l <"$build/clang-tidy.findings") findings (list in" \
    "$build/clang-tidy.findings, whole log in $build/clang-tidy.log):" >&2
  if [ -s "$build/clang-tidy.findings" ]; then
    head -n 40 "$build/clang-tidy.findings" >&2
  else
    tail -n 20 "$build/clang-tidy.log" >&2 # failed without a finding: say how
  fi
  exit 1
fi

# Sanitized builds: -O1 with line tables is enough for readable reports and builds faster.
sanitized_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"
                 -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DRANKPOOL_WARNINGS_AS_ERRORS=ON)

stage "asan+ubsan: build"
cmake -S . -B "$build-asan" "${sanitized_flags[@]}" -DRANKPOOL_SANITIZE=address,undefined
cmake --build "$build-asan" -j "$jobs"

stage "asan+ubsan: ctest"
ctest --test-dir "$build-asan" --output-on-failure -j "$jobs" -LE 'cluster|scaling'

stage "tsan: build"
cmake -S . -B "$build-tsan" "${sanitized_flags[@]}" -DRANKPOOL_SANITIZE=thread
cmake --build "$build-tsan" -j "$jobs" --target mpi_executor rankpool_cli rankpool_cli_tests

stage "tsan: ctest"
ctest --test-dir "$build-tsan" --output-on-failure -j "$jobs" -R '^(mpi_executor\..*|cli\.sleep)$'
