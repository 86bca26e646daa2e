#!/usr/bin/env bash
# Three test hosts (network namespaces on a bridge, scripts/testbed/hosts-up) and rankpool across
# them with `mpirun --hostfile` and the test bed's launch agent: every host runs ranks (the JSON
# lists each rank's host), results are right with Open MPI's choice of transports, with TCP
# alone over the hosts' 10.77.0.0/24 link (--mca btl self,tcp), and through the executor's
# point-to-point messages. Everything is taken down at the end, also on failure.
# Usage: tests/cluster/hosts.sh RANKPOOL_EXE       (as root; ctest: cluster.hosts)
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

skip_unless_available
take_lock
clean_start

all3=rp-h1:2,rp-h2:2,rp-h3:2

# mpirun_on_hosts OUT MPIRUN-ARGS...: mpirun started on rp-h1 with the test hosts' hostfile
# (2 slots each) and launch agent (scripts/testbed/hosts-mpirun).
mpirun_on_hosts() {
  local out=$1
  shift
  "$bed/hosts-mpirun" "$@" >"$out"
}

step "3 test hosts up" "$bed/hosts-up" 3
step "6 ranks on 3 hosts (Open MPI picks the transports)" \
  mpirun_on_hosts "$work/default.json" -np 6 "$rankpool" squares 1000000 --json
python3 "$check_report" "$work/default.json" --ranks 6 --n 1000000 --hosts "$all3"

step "6 ranks on 3 hosts, TCP only, over the test hosts' subnet" \
  mpirun_on_hosts "$work/tcp.json" --mca btl self,tcp --mca btl_tcp_if_include 10.77.0.0/24 \
  -np 6 "$rankpool" squares 3000000 --json
python3 "$check_report" "$work/tcp.json" --ranks 6 --n 3000000 --hosts "$all3"

step "the executor (dynamic schedule) across 3 hosts over TCP" \
  mpirun_on_hosts "$work/dynamic.json" --mca btl self,tcp --mca btl_tcp_if_include 10.77.0.0/24 \
  -np 6 "$rankpool" squares 200000 --schedule dynamic --chunksize 1000 --json
python3 "$check_report" "$work/dynamic.json" --ranks 6 --n 200000 --hosts "$all3"

step "test hosts down, nothing left" check_nothing_left
