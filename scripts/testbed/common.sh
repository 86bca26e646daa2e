# shellcheck shell=bash
# Sourced by the scripts in scripts/testbed/: where the test bed keeps its state, the checks
# that say whether this machine can host it, and starting and stopping processes by their PID.
#
# Everything lives under $RANKPOOL_TESTBED (default /tmp/rankpool-testbed):
#   hosts/            namespaces made (names), /etc/hosts for the test hosts (etc-hosts), hostfile
#   nodes/HOST/       each host's private directory, bind-mounted on $RANKPOOL_TESTBED/node
#                     (and TMPDIR=$RANKPOOL_TESTBED/node/tmp) in that host's mount namespace
#   slurm/            slurm.conf, munge key and socket, Slurm state, spool and logs, pid files
# Only root can make namespaces and run the daemons; nothing here touches the root network
# namespace: the hosts and the bridge joining them are namespaces of their own.

# shellcheck disable=SC2034 # used by the scripts that source this file
TESTBED=${RANKPOOL_TESTBED:-/tmp/rankpool-testbed}
TESTBED_BIN=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTBED_PREFIX=rp-h    # test hosts are rp-h1, rp-h2, ...: namespace name = host name
TESTBED_SWITCH=rp-switch
TESTBED_NET=10.77.0    # host i has 10.77.0.i/24 on its veth, nothing else on this subnet
TESTBED_UNAVAILABLE=77 # exit code when the machine cannot host the test bed (ctest: skipped)

say() { echo "testbed: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# Exits 77 with "unavailable: <why>" when the machine cannot host the test bed, so that tests
# report a skip rather than a failure. RANKPOOL_TESTBED_DISABLE=<why> forces it (to try the
# skip path on a machine that could run it).
require_namespaces() {
  local why=""
  if [ -n "${RANKPOOL_TESTBED_DISABLE:-}" ]; then
    why="RANKPOOL_TESTBED_DISABLE is set ($RANKPOOL_TESTBED_DISABLE)"
  elif [ "$(id -u)" -ne 0 ]; then
    why="needs root (network namespaces, bind mounts, daemons)"
  else
    local tool
    for tool in ip nsenter unshare hostname mount; do
      command -v "$tool" >/dev/null || why="$tool not installed (apt-get install iproute2 util-linux)"
    done
    if [ -z "$why" ] && ! unshare --net --uts --mount true 2>/dev/null; then
      why="cannot create network, UTS and mount namespaces here (unshare failed)"
    fi
  fi
  if [ -n "$why" ]; then
    echo "unavailable: $why" >&2
    exit "$TESTBED_UNAVAILABLE"
  fi
}

require_slurm() {
  require_namespaces
  local tool
  for tool in munged mungekey slurmctld slurmd sbatch srun squeue scontrol sinfo; do
    if ! command -v "$tool" >/dev/null; then
      echo "unavailable: $tool not installed (apt-get install munge slurmctld slurmd slurm-client)" >&2
      exit "$TESTBED_UNAVAILABLE"
    fi
  done
}

# The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat): with the
# PID it names one process, so a PID reused after a crash is never taken for ours.
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the command name may hold spaces; fields after it do not
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# is_running PID: the process exists and has not exited (a zombie waiting for its parent to
# collect it counts as gone).
is_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# record_pid FILE PID: remember a process we started.
record_pid() {
  echo "$2 $(start_time "$2")" >"$1"
}

# stop_recorded FILE...: stop each recorded process that is still the one we started: TERM,
# up to 10 s to exit, then KILL. Removes the files.
stop_recorded() {
  local file pid started alive=() i
  for file in "$@"; do
    [ -f "$file" ] || continue
    read -r pid started <"$file" || true
    rm -f "$file"
    if [ -n "${pid:-}" ] && [ "$(start_time "$pid" || true)" = "${started:-x}" ]; then
      kill -TERM "$pid" 2>/dev/null && alive+=("$pid")
    fi
  done
  for ((i = 0; i < 100 && ${#alive[@]} > 0; i++)); do
    local still=()
    for pid in "${alive[@]}"; do
      ! is_running "$pid" || still+=("$pid")
    done
    alive=("${still[@]+"${still[@]}"}")
    [ ${#alive[@]} -eq 0 ] || sleep 0.1
  done
  for pid in "${alive[@]+"${alive[@]}"}"; do
    say "pid $pid ignored TERM for 10 s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# Closes every file descriptor above 2 of the current (sub)shell, so that a daemon started from
# it holds no pipe or lock of whoever called the test bed (ctest would wait for the pipe).
close_inherited_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd"/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

# The test hosts that are up, one name a line.
hosts_up() {
  [ -f "$TESTBED/hosts/names" ] || return 0
  local name
  while read -r name; do
    [ "$name" = "$TESTBED_SWITCH" ] || [ ! -e "/run/netns/$name" ] || echo "$name"
  done <"$TESTBED/hosts/names"
}
