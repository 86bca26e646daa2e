#!/usr/bin/env bash
# `rankpool doctor` across test hosts (scripts/testbed/hosts-up 3, mpirun --hostfile): the pairs
# of hosts and within hosts measured (latency and bandwidth), ranks per host, then two broken
# setups, each of which doctor must name and end with exit code 1 within seconds, not hang:
#   - rp-h2 and rp-h3 cut apart on the link MPI uses (each host gets a second veth, eth1 on
#     10.78.0.0/24, for MPI's TCP traffic; mpirun's daemons keep talking on eth0; the cut is a
#     neighbour entry with a MAC that no host has, so packets between the two vanish silently);
#   - --mca btl self,vader across hosts: no transport between them at all (the setup a colleague
#     saw spin for over a minute with `rankpool squares`); the ranks on rp-h2 cannot answer, and
#     doctor names their host as the launcher knows it (PMIx).
# Usage: tests/cluster/doctor.sh RANKPOOL_EXE       (as root; ctest: cluster.doctor)
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

skip_unless_available
take_lock
clean_start

check_doctor=$repo/tests/cluster/check_doctor.py
# shellcheck disable=SC2054 # commas inside Open MPI's values, not between array elements
mpi_link=(--mca oob_tcp_if_include eth0 --mca btl self,vader,tcp --mca btl_tcp_if_include eth1)

# A second veth per host, eth1 at 10.78.0.I/24 on the same bridge: MPI's own link.
add_mpi_links() {
  local i
  for i in 1 2 3; do
    ip link add eth1 netns "rp-h$i" type veth peer name "mpi$i" netns rp-switch
    ip -n rp-switch link set "mpi$i" master br0 up
    ip -n "rp-h$i" addr add "10.78.0.$i/24" dev eth1
    ip -n "rp-h$i" link set eth1 up
  done
  for i in 1 2 3; do
    wait_until 10 "rp-h$i's eth1 up" eth1_up "$i"
  done
}

eth1_up() { ip -n "rp-h$1" -o link show eth1 | grep -q 'state UP'; }

# Packets between rp-h2 and rp-h3 on eth1 go to a MAC that no host has, and vanish.
cut_h2_h3() {
  ip -n rp-h2 neigh replace 10.78.0.3 lladdr 02:00:00:00:00:03 dev eth1 nud permanent
  ip -n rp-h3 neigh replace 10.78.0.2 lladdr 02:00:00:00:00:02 dev eth1 nud permanent
}

# doctor_run OUT TIMEOUT MPIRUN-ARGS...: doctor --timeout TIMEOUT's JSON report in OUT, its
# stderr in OUT.err.
doctor_run() {
  local out=$1 seconds=$2
  shift 2
  timeout -k 5 60 "$bed/hosts-mpirun" "$@" "$rankpool" doctor --json --timeout "$seconds" \
    >"$out" 2>"$out.err"
}

# doctor_fails OUT TIMEOUT MPIRUN-ARGS...: as doctor_run, but it must exit 1 (124: it hung).
doctor_fails() {
  local out=$1 rc=0 start
  start=$(date +%s.%N)
  doctor_run "$@" || rc=$?
  [ "$rc" = 1 ] || { show_files "$out" "$out.err"; fail "doctor exited $rc, expected 1 (124: hung)"; }
  echo "   exit 1 after $(elapsed "$start") s"
  grep -q '^rankpool: error: ' "$out.err" || fail "no rankpool: error: line on stderr"
  echo "   $(grep '^rankpool: error: ' "$out.err")"
}

# No rank of ours is left on the hosts (the abort ended them all).
none_left() {
  local left
  left=$(pgrep -f -- "^$rankpool (doctor|squares)" || true)
  [ -z "$left" ] || fail "ranks left running: $left"
}

step "3 test hosts up" "$bed/hosts-up" 3
step "a second link on each host for MPI (eth1, 10.78.0.0/24)" add_mpi_links

step "doctor, 4 ranks on 2 hosts (Open MPI picks the transports)" doctor_run "$work/two.json" 5 -np 4
python3 "$check_doctor" "$work/two.json" --ok --launcher mpirun --ranks-per-host rp-h1:2,rp-h2:2 \
  --pair 0,2:ok --pair 0,1:ok --pair 2,3:ok --no-answer "" --no-pitfall unreachable --spawn supported

step "doctor, 6 ranks on 3 hosts, TCP over eth1" doctor_run "$work/three.json" 5 "${mpi_link[@]}" -np 6
python3 "$check_doctor" "$work/three.json" --ok --ranks-per-host rp-h1:2,rp-h2:2,rp-h3:2 \
  --pair 0,2:ok --pair 0,4:ok --pair 2,4:ok --pair 0,1:ok --pair 2,3:ok --pair 4,5:ok

step "rp-h2 and rp-h3 cut apart on eth1" cut_h2_h3
step "doctor names the pair rp-h2 <-> rp-h3 and exits 1" \
  doctor_fails "$work/cut.json" 2 "${mpi_link[@]}" -np 6
python3 "$check_doctor" "$work/cut.json" --failed --pair 2,4:failed --pair 0,2:ok --pair 0,4:ok \
  --no-answer "" --pitfall unreachable
grep -q '^rankpool: error: rank 2 (rp-h2) <-> rank 4 (rp-h3): no answer within 2 s' "$work/cut.json.err" ||
  fail "the error line does not name the pair"
step "no rank left" none_left

step "--mca btl self,vader across 2 hosts: no transport between them, exit 1, no hang" \
  doctor_fails "$work/vader.json" 2 --mca btl self,vader -np 4
python3 "$check_doctor" "$work/vader.json" --failed --no-answer 2,3 --no-answer-hosts rp-h2,rp-h2 \
  --pair 0,1:ok --pitfall unreachable
grep -q '^rankpool: error: ranks 2-3 (rp-h2) did not answer rank 0 (rp-h1) within 2 s' "$work/vader.json.err" ||
  fail "the error line does not name the ranks"
step "no rank left" none_left

# The colleague's case: squares over two hosts with no transport between them. It used to spin
# for good (rank 0's failed MPI_Bcast returned an error nobody checked; the others waited in
# it); MPI errors are fatal now (src/cli/main.cpp), so the job ends at once, non-zero.
squares_ends() {
  local rc=0 start
  start=$(date +%s.%N)
  timeout -k 5 60 "$bed/hosts-mpirun" --mca btl self,vader -np 4 "$rankpool" squares 1000 \
    >"$work/squares.out" 2>"$work/squares.err" || rc=$?
  case $rc in
  0 | 124 | 137) show_files "$work/squares.err" && fail "squares exited $rc (124, 137: it hung)" ;;
  esac
  echo "   exit $rc after $(elapsed "$start") s: $(grep -m 1 -o 'An error occurred in MPI_[A-Za-z]*' "$work/squares.err" || true)"
}
step "squares with --mca btl self,vader across 2 hosts ends, not spins" squares_ends
step "no rank left" none_left

step "test hosts down, nothing left" check_nothing_left
