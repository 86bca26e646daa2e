#!/usr/bin/env bash
# `rankpool run` against GNU parallel -j R and a plain shell loop: N tiny commands (`true`) and N
# commands of a few ms (`sleep 0.005`); tasks per second and the overhead per task (wall time
# minus the work's own share, per task), medians over interleaved reps (rankpool, parallel, loop,
# rankpool, ...). Then the makespan of uneven commands (sleeps of 0.05 .. 0.5 s) against the
# lower bound and the dynamic schedule's prediction from the measured task durations (--summary).
#
# Usage: scripts/bench-run.sh [--n N] [--ranks R] [--reps K] [--build DIR]
#   defaults: N 1000, R 2 (rankpool ranks = parallel's -j), K 5, build dir build
# Environment: MPIRUN (default mpirun); OMPI_MCA_pml defaults to ob1.
set -euo pipefail
export LC_ALL=C
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
n=1000
ranks=2
reps=5
build=build
while [ $# -gt 0 ]; do
  case $1 in
  --n) n=$2; shift 2 ;;
  --ranks) ranks=$2; shift 2 ;;
  --reps) reps=$2; shift 2 ;;
  --build) build=$2; shift 2 ;;
  *) echo "bench-run: unknown option $1" >&2; exit 2 ;;
  esac
done
rankpool=$(realpath "$build/rankpool")
mpirun=${MPIRUN:-mpirun}
command -v parallel >/dev/null || { echo "bench-run: GNU parallel missing (scripts/install-deps.sh)" >&2; exit 2; }
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seq "$n" >"$work/args"

# seconds CMD...: wall seconds of CMD (its output discarded).
seconds() {
  local t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.4f}')" "$t0" "$EPOCHREALTIME"
}
rp() { "$mpirun" -np "$ranks" --oversubscribe "$rankpool" run "$1 {}" :::: "$work/args"; }
gp() { parallel -j "$ranks" "$1 {}" :::: "$work/args"; }
loop() { while read -r a; do sh -c "$1 $a"; done <"$work/args"; }
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

echo "| work | runner | median s | tasks/s | overhead/task ms | reps |"
echo "|---|---|---|---|---|---|"
# Each task is `CMD ARG` (the argument appended, for every runner alike); `true` ignores it.
for cmd in "true" "sleep 0.005; true"; do
  per_task=0
  [ "$cmd" = "true" ] || per_task=0.005
  work_cmd=${cmd%; true}
  declare -A times=([rankpool]="" [parallel]="" [loop]="")
  for ((k = 0; k < reps; k++)); do
    times[rankpool]+=" $(seconds rp "$cmd")"
    times[parallel]+=" $(seconds gp "$cmd")"
    times[loop]+=" $(seconds loop "$cmd")"
    echo "bench-run: $work_cmd rep $((k + 1))/$reps" >&2
  done
  for runner in rankpool parallel loop; do
    # shellcheck disable=SC2086
    m=$(median ${times[$runner]})
    slots=$ranks; [ "$runner" = loop ] && slots=1
    python3 -c "
import sys
m, n, w, slots = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f'| {sys.argv[5]} | {sys.argv[6]} ({slots} at once) | {m:.3f} | {n / m:.0f} | {(m - n * w / slots) / n * slots * 1000:.2f} | {sys.argv[7]} |')
" "$m" "$n" "$per_task" "$slots" "$work_cmd" "$runner" "$reps"
  done
done

echo
echo "Uneven sleeps on $ranks ranks (rankpool run --summary):"
python3 -c "
import random
random.seed(7)
print('\n'.join(f'{random.uniform(0.05, 0.5):.3f}' for _ in range(40)))" >"$work/uneven"
for ((k = 0; k < reps; k++)); do
  "$mpirun" -np "$ranks" --oversubscribe "$rankpool" run --summary sleep :::: "$work/uneven" 2>&1 |
    grep makespan
done
