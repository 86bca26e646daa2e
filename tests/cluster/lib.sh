# shellcheck shell=bash
# Sourced by the cluster tests (tests/cluster/*.sh): skipping, a lock, a clean start, cleanup on
# any exit, timed steps, waiting for Slurm jobs and checking their state.
# Each test is run as: TEST.sh RANKPOOL_EXE   (ctest passes the built binary)

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bed=$repo/scripts/testbed
# shellcheck disable=SC2034 # used by the tests that source this file
check_report=$repo/tests/cluster/check_report.py
rankpool=$(realpath "${1:?usage: $0 RANKPOOL_EXE}")
export RANKPOOL=$rankpool # sbatch passes the environment on to the jobs
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 # no probe for interconnects the test hosts do not have
test_start=$(date +%s.%N)
work=

elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(date +%s.%N)"; }

# step TEXT CMD...: runs CMD, says how long it took; a failing CMD fails the test.
step() {
  local text=$1 start
  shift
  start=$(date +%s.%N)
  echo "== $text"
  "$@"
  echo "   ok ($(elapsed "$start") s)"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# skip_unless_available [--slurm]: exits 77 with "skipped: <why>" (ctest: Skipped) when the
# machine cannot host the test bed; RANKPOOL_TESTBED_DISABLE=<why> forces that.
skip_unless_available() {
  local why rc=0
  why=$("$bed/check" "$@" 2>&1) || rc=$?
  [ "$rc" = 0 ] && return 0
  [ "$rc" = 77 ] || fail "scripts/testbed/check: $why"
  why="skipped: ${why#unavailable: }"
  echo "$why"
  if [ -n "${RANKPOOL_SKIP_NOTE:-}" ]; then # for ctest's summary (tests/cluster/skip_reasons.sh)
    mkdir -p "$(dirname "$RANKPOOL_SKIP_NOTE")"
    echo "$(basename "$RANKPOOL_SKIP_NOTE"): $why" >"$RANKPOOL_SKIP_NOTE"
  fi
  exit 77
}

# One test bed per machine (the namespace names are global): tests of other builds wait here.
take_lock() {
  local lock=/run/lock/rankpool-testbed.lock
  [ -d /run/lock ] || lock=/tmp/rankpool-testbed.lock
  exec 9>"$lock"
  flock -w 600 9 || fail "another test bed run holds $lock"
}

# Whatever an earlier, killed run left (daemons, namespaces, state), then a fresh work directory.
clean_start() {
  "$bed/slurm-down"
  "$bed/hosts-down"
  rm -rf /tmp/rankpool-cluster-test.* # work directories of killed runs (we hold the lock)
  work=$(mktemp -d /tmp/rankpool-cluster-test.XXXXXX)
  chmod 755 "$work"
  trap on_exit EXIT
}

# On any exit: on failure, the jobs' output and the daemons' logs; then take everything down.
on_exit() {
  local rc=$?
  set +e
  trap '' PIPE # a reader gone (tests piped into head) must not stop the cleanup
  # 77 means skipped to ctest; past the availability check no command may pass for a skip.
  [ "$rc" != 77 ] || rc=1
  if [ "$rc" != 0 ]; then
    show_files "$work"/* "${RANKPOOL_TESTBED:-/tmp/rankpool-testbed}"/slurm/log/*
  fi
  "$bed/slurm-down"
  "$bed/hosts-down"
  [ -z "$work" ] || rm -rf "$work"
  echo "total $(elapsed "$test_start") s, exit $rc"
  exit "$rc"
}

show_files() {
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    echo "--- $f (last 40 lines)"
    tail -n 40 "$f"
  done
}

# After the test bed is down: no test host, no daemon, no state left.
check_nothing_left() {
  "$bed/slurm-down"
  "$bed/hosts-down"
  local left
  left=$(ip netns list | awk '{print $1}' | grep -E '^rp-(h[0-9]|switch)$' || true)
  [ -z "$left" ] || fail "namespaces left: $left"
  [ ! -e "${RANKPOOL_TESTBED:-/tmp/rankpool-testbed}/slurm" ] || fail "slurm state left"
  [ ! -e "${RANKPOOL_TESTBED:-/tmp/rankpool-testbed}/hosts" ] || fail "hosts state left"
}

# wait_until SECONDS WHAT CMD...: polls CMD until it succeeds, at most SECONDS.
wait_until() {
  local limit=$1 what=$2 start
  shift 2
  start=$(date +%s)
  until "$@"; do
    [ $(($(date +%s) - start)) -lt "$limit" ] || fail "$what: not within $limit s"
    sleep 0.2
  done
}

# pids_alive PID...: those still running (not exited; a zombie is not running).
pids_alive() {
  local pid stat
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    [ "${stat%% *}" = Z ] || echo "$pid"
  done | paste -sd' '
}

# on HOST CMD...: CMD on a test host.
on() { "$bed/on" "$@"; }

# submit HOST [sbatch options] SCRIPT [args]: prints the job id. Runs in $work, where the
# jobs' output files land (the submit directory).
submit() {
  local host=$1
  shift
  (cd "$work" && on "$host" sbatch --parsable "$@") | cut -d';' -f1
}

# job_lines HOST JOBID: `scontrol show job -o` of the job (one line per array task).
job_lines() { on "$1" scontrol show job -o "$2"; }

# wait_jobs HOST SECONDS JOBID...: until every job (every array task) has ended, at most SECONDS.
wait_jobs() {
  local host=$1 limit=$2 start job lines
  shift 2
  start=$(date +%s)
  for job in "$@"; do
    while true; do
      lines=$(job_lines "$host" "$job")
      if ! grep -q -E 'JobState=(PENDING|RUNNING|COMPLETING|CONFIGURING|SUSPENDED|REQUEUED|RESIZING)' <<<"$lines"; then
        break
      fi
      if [ $(($(date +%s) - start)) -ge "$limit" ]; then
        echo "$lines" | grep -o -E 'JobId=[0-9]+|JobState=[A-Z_]+|Reason=[^ ]+' | paste -sd' ' >&2
        on "$host" scancel "$job" || true
        fail "job $job not done within $limit s"
      fi
      sleep 0.3
    done
  done
}

# expect_completed HOST JOBID [TASKS]: every line (array task) of the job COMPLETED with exit
# code 0:0, and TASKS lines (default 1).
expect_completed() {
  local host=$1 job=$2 tasks=${3:-1} lines bad
  lines=$(job_lines "$host" "$job")
  [ "$(grep -c . <<<"$lines")" = "$tasks" ] || fail "job $job: expected $tasks tasks, got: $lines"
  bad=$(grep -v -E 'JobState=COMPLETED .*ExitCode=0:0( |$)' <<<"$lines" || true)
  [ -z "$bad" ] || fail "job $job not COMPLETED with ExitCode=0:0: $(grep -o -E 'JobId=[0-9]+|JobState=[A-Z_]+|ExitCode=[0-9:]+' <<<"$bad" | paste -sd' ')"
  echo "   job $job: $tasks x JobState=COMPLETED ExitCode=0:0"
}
