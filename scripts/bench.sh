#!/usr/bin/env bash
# Runs rankpool and the plain C MPI yardsticks in tests/reference side by side and prints markdown
# tables of medians over interleaved runs (rankpool, reference, rankpool, reference, ...) with the
# ratio rankpool / reference.
#
# Usage: scripts/bench.sh [squares|startup|dispatch|executor|chunks|all] [options]  (default: all)
#   executor: the tutorial's sleep 5 4 3 2 1 on 4 ranks under each schedule (makespan against
#   the free-dispatch prediction), and the CPU that idle ranks burn (sleep 2 2 2 2 on 4 ranks,
#   --idle backoff vs spin); it has no C counterpart and takes about a minute a rep.
#   chunks: --chunksize auto against fixed chunk sizes 1, 16 and 256 on zero-work, uniform and
#   exponential tasks at 2 and 4 ranks, against the simulator's prediction and the lower bound,
#   and zero-work tasks against dispatch_ref per task (not part of all; a few minutes at --reps 5).
#   --reps K              interleaved pairs per cell for squares, dispatch, chunks (default 5)
#   --startup-reps K      interleaved pairs for startup (default 4 x reps, 20 by default)
#   --build DIR           build directory holding rankpool and tests/reference (default build)
#   --sizes "N ..."       squares sizes (default "1000000 10000000 100000000")
#   --ranks "R ..."       squares rank counts (default "1 2")
#   --inputs "I ..."      squares input modes (default "range array")
#   --startup-n N         N of `rankpool squares N` in startup (default 100)
#   --tasks T             dispatch tasks (default 1000000: the first ~0.1 s after a launch is
#                         slower on this VM, as a C loop that waits first shows; 10^6 tasks
#                         make that a few percent of the run, 10^5 made it up to half)
#   --dispatch-ranks "R ..."  dispatch rank counts, master included (default "2 4")
#   --chunk-tasks T       chunks' zero-work tasks (default 1000000)
#   --chunk-mean S        chunks' mean task length in seconds, uniform and exponential (0.005)
#   --chunk-n N           chunks' uniform and exponential task count (default 400)
#   --raw FILE            also save every run (tab-separated, one JSON per run) to FILE
# Environment:
#   RANKPOOL_BENCH_PML    Open MPI PML for both sides (default ob1, which skips Open MPI's ~0.2 s
#                         interconnect probe; "default" leaves Open MPI's own choice)
#   MPIRUN                the launcher (default mpirun)
# Progress goes to stderr, the tables to stdout. Build first, with tests on (the default):
#   cmake -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME and printf with a '.' decimal separator

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() {
    echo "bench: $*" >&2
    exit 2
}

# ---- options ----------------------------------------------------------------------------------
suite=all
reps=5
startup_reps=
build=build
sizes="1000000 10000000 100000000"
ranks_list="1 2"
inputs="range array"
startup_n=100
tasks=1000000
dispatch_ranks="2 4"
chunk_tasks=1000000
chunk_mean=0.005
chunk_n=400
raw=
while [ $# -gt 0 ]; do
    case $1 in
        squares | startup | dispatch | executor | chunks | all) suite=$1 ;;
        --reps) reps=${2:?--reps needs a value}; shift ;;
        --startup-reps) startup_reps=${2:?--startup-reps needs a value}; shift ;;
        --build) build=${2:?--build needs a value}; shift ;;
        --sizes) sizes=${2:?--sizes needs a value}; shift ;;
        --ranks) ranks_list=${2:?--ranks needs a value}; shift ;;
        --inputs) inputs=${2:?--inputs needs a value}; shift ;;
        --startup-n) startup_n=${2:?--startup-n needs a value}; shift ;;
        --tasks) tasks=${2:?--tasks needs a value}; shift ;;
        --dispatch-ranks) dispatch_ranks=${2:?--dispatch-ranks needs a value}; shift ;;
        --chunk-tasks) chunk_tasks=${2:?--chunk-tasks needs a value}; shift ;;
        --chunk-mean) chunk_mean=${2:?--chunk-mean needs a value}; shift ;;
        --chunk-n) chunk_n=${2:?--chunk-n needs a value}; shift ;;
        --raw) raw=${2:?--raw needs a value}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
    shift
done
startup_reps=${startup_reps:-$((4 * reps))}
[[ $chunk_mean =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--chunk-mean: expected seconds, got '$chunk_mean'"
for v in "$reps" "$startup_reps" "$startup_n" "$tasks" $sizes $ranks_list $dispatch_ranks \
    "$chunk_tasks" "$chunk_n"; do
    [[ $v =~ ^[0-9]+$ ]] || die "expected a whole number, got '$v'"
done
if [ "$reps" -lt 1 ] || [ "$startup_reps" -lt 1 ]; then
    die "--reps and --startup-reps must be >= 1"
fi
for i in $inputs; do
    [[ $i == range || $i == array ]] || die "--inputs takes range and/or array, got '$i'"
done

# ---- environment: the same for both sides -----------------------------------------------------
mpirun=${MPIRUN:-mpirun}
command -v "$mpirun" >/dev/null || die "$mpirun not found"
command -v python3 >/dev/null || die "python3 not found"
scripts_dir=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -eq 0 ]; then
    # Open MPI refuses to run as root unless told twice.
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
pml=${RANKPOOL_BENCH_PML:-ob1}
if [ "$pml" = default ]; then
    unset OMPI_MCA_pml
    pml_note="Open MPI's default PML (RANKPOOL_BENCH_PML=default)"
    env_prefix=
else
    export OMPI_MCA_pml=$pml
    pml_note="OMPI_MCA_pml=$pml"
    env_prefix="OMPI_MCA_pml=$pml "
fi

rankpool=$build/rankpool
ref_dir=$build/tests/reference
for exe in "$rankpool" "$ref_dir/squares_ref" "$ref_dir/hello_ref" "$ref_dir/dispatch_ref"; do
    [ -x "$exe" ] || die "$exe not found: build first (cmake -B $build && cmake --build $build -j)"
done

# Open MPI's default slots are cores: more ranks than cores need --oversubscribe.
cores=$(lscpu -p=Core,Socket 2>/dev/null | grep -v '^#' | sort -u | wc -l)
[ "${cores:-0}" -ge 1 ] || cores=$(nproc)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
records=$tmp/records.tsv
: >"$records"

# launch_args R: mpirun and its flags for R ranks, into the array LAUNCH.
launch_args() {
    LAUNCH=("$mpirun" -np "$1")
    if [ "$1" -gt "$cores" ]; then
        LAUNCH+=(--oversubscribe)
    fi
}

# run SUITE KEY SIDE CMD...: runs CMD once, timing the whole process, and records
# SUITE, KEY, SIDE, wall microseconds and the last JSON line of its stdout ({} if none).
run() {
    local suite=$1 key=$2 side=$3
    shift 3
    local t0 t1
    t0=$EPOCHREALTIME
    if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
        echo "bench: failed: $*" >&2
        cat "$tmp/out" "$tmp/err" >&2
        exit 1
    fi
    t1=$EPOCHREALTIME
    local json
    json=$(grep '^{' "$tmp/out" | tail -n 1 || true)
    [ -n "$json" ] || json='{}'
    printf '%s\t%s\t%s\t%s\t%s\n' "$suite" "$key" "$side" $((${t1/./} - ${t0/./})) "$json" \
        >>"$records"
}

# report SUITE: the markdown tables of SUITE's records (scripts/rankpool_py/bench.py).
report() {
    PYTHONPATH="$scripts_dir${PYTHONPATH:+:$PYTHONPATH}" python3 -m rankpool_py.bench \
        "$records" "$1"
}

# progress MESSAGE: one line on stderr.
progress() { printf 'bench: %s\n' "$*" >&2; }

# ---- suites -----------------------------------------------------------------------------------
bench_squares() {
    echo "## squares: rankpool squares vs squares_ref"
    echo
    echo '```'
    echo "rankpool:  ${env_prefix}$mpirun -np R $rankpool squares N --input I --json"
    echo "reference: ${env_prefix}$mpirun -np R $ref_dir/squares_ref N I"
    echo "N in: $sizes; R in: $ranks_list; I in: $inputs; $reps interleaved pairs per cell"
    echo '```'
    echo
    local n r i k
    for n in $sizes; do
        for r in $ranks_list; do
            launch_args "$r"
            for i in $inputs; do
                local key="n=$n ranks=$r input=$i"
                for ((k = 1; k <= reps; k++)); do
                    progress "squares $key: pair $k/$reps"
                    run squares "$key" rankpool "${LAUNCH[@]}" "$rankpool" squares "$n" \
                        --input "$i" --json
                    run squares "$key" reference "${LAUNCH[@]}" "$ref_dir/squares_ref" "$n" "$i"
                done
            done
        done
    done
    report squares
    echo
}

bench_startup() {
    local r=2 k
    launch_args "$r"
    echo "## startup: whole-process wall time, rankpool squares $startup_n vs hello_ref"
    echo
    echo '```'
    echo "rankpool:  ${env_prefix}${LAUNCH[*]} $rankpool squares $startup_n"
    echo "reference: ${env_prefix}${LAUNCH[*]} $ref_dir/hello_ref"
    echo "$startup_reps interleaved pairs"
    echo '```'
    echo
    for ((k = 1; k <= startup_reps; k++)); do
        progress "startup: pair $k/$startup_reps"
        run startup "ranks=$r" rankpool "${LAUNCH[@]}" "$rankpool" squares "$startup_n"
        run startup "ranks=$r" reference "${LAUNCH[@]}" "$ref_dir/hello_ref"
    done
    report startup
    echo
}

bench_dispatch() {
    echo "## dispatch: zero-work tasks through rankpool's executor vs dispatch_ref"
    echo
    echo '```'
    echo "rankpool:  ${env_prefix}$mpirun -np R $rankpool sleep 0 --repeat $tasks --chunksize 1 --quiet --json [--root-dispatches-only]"
    echo "reference: ${env_prefix}$mpirun -np R $ref_dir/dispatch_ref $tasks"
    echo "polling:   ${env_prefix}$mpirun -np R $ref_dir/dispatch_ref $tasks single poll"
    echo "R in: $dispatch_ranks (--oversubscribe above $cores ranks); $reps interleaved triples"
    echo "us/task = makespan / tasks (rankpool), seconds / tasks (dispatch_ref)"
    echo "rank 0 ran: its share of the tasks (in brackets: of its chunks, the share run inline)"
    echo '```'
    echo
    # rank0=dispatches is like for like with dispatch_ref (a master that runs no task);
    # rank0=works is rankpool's default, rank 0 running tasks as well (inline or on its thread).
    local r k mode
    for r in $dispatch_ranks; do
        [ "$r" -ge 2 ] || die "dispatch needs at least 2 ranks, got $r"
        launch_args "$r"
        for mode in dispatches works; do
            local key="ranks=$r rank0=$mode tasks=$tasks"
            local extra=()
            [ "$mode" = dispatches ] && extra=(--root-dispatches-only)
            for ((k = 1; k <= reps; k++)); do
                progress "dispatch $key: pair $k/$reps"
                run dispatch "$key" rankpool "${LAUNCH[@]}" "$rankpool" sleep 0 --repeat \
                    "$tasks" --chunksize 1 --quiet --json "${extra[@]}"
                run dispatch "$key" reference "${LAUNCH[@]}" "$ref_dir/dispatch_ref" "$tasks"
                # the C loop waiting as the executor does: what polling costs on its own
                [ "$mode" = dispatches ] &&
                    run dispatch "$key" polling "${LAUNCH[@]}" "$ref_dir/dispatch_ref" "$tasks" \
                        single poll
            done
        done
    done
    report dispatch
    echo
}

# The tutorial's executor example under each schedule, and what idle ranks cost.
bench_executor() {
    echo "## executor: schedules for sleep 5 4 3 2 1 on 4 ranks, and idle CPU"
    echo
    launch_args 4
    local sched k mode
    echo '```'
    echo "${env_prefix}${LAUNCH[*]} $rankpool sleep 5 4 3 2 1 --schedule S --quiet --json"
    echo "${env_prefix}/usr/bin/time ${LAUNCH[*]} $rankpool sleep 2 2 2 2 --quiet [--idle spin]"
    echo "$reps runs each, medians; CPU = user + sys of mpirun and every rank"
    echo '```'
    echo
    for ((k = 1; k <= reps; k++)); do
        for sched in static cyclic dynamic guided; do
            progress "executor schedule=$sched: run $k/$reps"
            run executor "schedule=$sched" rankpool "${LAUNCH[@]}" "$rankpool" sleep 5 4 3 2 1 \
                --schedule "$sched" --quiet --json
        done
        for mode in backoff spin; do
            progress "executor idle=$mode: run $k/$reps"
            /usr/bin/time -f '{"wall": %e, "user": %U, "sys": %S}' -o "$tmp/time" \
                "${LAUNCH[@]}" "$rankpool" sleep 2 2 2 2 --quiet --idle "$mode" >/dev/null
            printf '%s\t%s\t%s\t%s\t%s\n' executor "idle=$mode" rankpool 0 "$(cat "$tmp/time")" \
                >>"$records"
        done
    done
    report executor
    echo
}

# Adaptive chunk sizes against fixed ones, the simulator and the C master/worker.
bench_chunks() {
    echo "## chunks: --chunksize auto vs fixed chunk sizes, the simulator, and dispatch_ref"
    echo
    echo '```'
    echo "zero:    ${env_prefix}$mpirun -np R $rankpool sleep 0 --repeat $chunk_tasks --chunksize C --quiet --json"
    echo "uniform: ${env_prefix}$mpirun -np R $rankpool sleep $chunk_mean --repeat $chunk_n --chunksize C --quiet --json"
    echo "exp:     ${env_prefix}$mpirun -np R $rankpool sleep --dist exp:$chunk_mean --repeat $chunk_n --seed 1 --chunksize C --quiet --json"
    echo "C:       ${env_prefix}$mpirun -np R $ref_dir/dispatch_ref $chunk_tasks"
    echo "R in: 2 4 (--oversubscribe above $cores ranks); C in: auto 1 16 256; $reps interleaved runs"
    echo '```'
    echo
    local k r load c
    for ((k = 1; k <= reps; k++)); do
        for r in 2 4; do
            launch_args "$r"
            for load in zero uniform exp; do
                local tasks_of=(sleep "$chunk_mean" --repeat "$chunk_n")
                [ "$load" = zero ] && tasks_of=(sleep 0 --repeat "$chunk_tasks")
                [ "$load" = exp ] && tasks_of=(sleep --dist "exp:$chunk_mean" --repeat "$chunk_n" --seed 1)
                for c in auto 1 16 256; do
                    progress "chunks ranks=$r load=$load chunksize=$c: run $k/$reps"
                    run chunks "ranks=$r load=$load chunksize=$c" rankpool "${LAUNCH[@]}" \
                        "$rankpool" "${tasks_of[@]}" --chunksize "$c" --quiet --json
                done
                if [ "$load" = zero ]; then
                    progress "chunks ranks=$r load=zero dispatch_ref: run $k/$reps"
                    run chunks "ranks=$r load=zero chunksize=C" reference "${LAUNCH[@]}" \
                        "$ref_dir/dispatch_ref" "$chunk_tasks"
                fi
            done
        done
    done
    report chunks
    echo
}

# ---- main -------------------------------------------------------------------------------------
ompi_version=$("$mpirun" --version 2>/dev/null | head -n 1 || true)
rev=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "# rankpool bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname), commit $rev, build $build"
echo
echo "$pml_note for both sides; ${ompi_version:-unknown MPI}; $cores cores (--oversubscribe" \
    "above that); medians of interleaved runs (rankpool, reference, rankpool, ...)."
echo

case $suite in
    squares) bench_squares ;;
    startup) bench_startup ;;
    dispatch) bench_dispatch ;;
    executor) bench_executor ;;
    chunks) bench_chunks ;;
    all)
        bench_squares
        bench_startup
        bench_dispatch
        bench_executor
        ;;
esac

if [ -n "$raw" ]; then
    cp "$records" "$raw"
    progress "raw runs saved to $raw"
fi
