#!/usr/bin/env bash
# What a killed run leaves must not break the next one, and the down scripts must leave nothing.
# Brings up two test hosts and a two-node Slurm, starts a stray process on a host, then loses
# all the test bed's records (rm -rf of its state directory, as after a crash and a cleaned
# /tmp). slurm-up must still come up (hosts-up stops whatever runs in the old namespaces and
# makes them again) and run a job; then slurm-down must stop every daemon (by PID), delete the
# namespaces and remove the state. Also: slurm-up twice in a row, and the down scripts when
# nothing is up.
# Usage: tests/cluster/leftovers.sh RANKPOOL_EXE     (as root; ctest: cluster.leftovers)
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

skip_unless_available --slurm
take_lock
clean_start

state=${RANKPOOL_TESTBED:-/tmp/rankpool-testbed}
slurm=$repo/scripts/slurm

recorded_pids() { cat "$state"/slurm/pids/* 2>/dev/null | awk '{print $1}'; }

step "down scripts with nothing up" check_nothing_left
step "two-node Slurm up (it makes the test hosts)" "$bed/slurm-up" --nodes 2
step "slurm-up again over a running one" "$bed/slurm-up" --nodes 2
mapfile -t old_daemons < <(recorded_pids)
[ ${#old_daemons[@]} = 4 ] || fail "expected 4 daemons (munged, slurmctld, 2 slurmd), got ${#old_daemons[@]}"

echo "== a stray process on rp-h2, then every record lost"
setsid "$bed/on" rp-h2 sleep 600 </dev/null >/dev/null 2>&1 9>&- &
stray=$!
stray_on_h2() { ip netns pids rp-h2 | grep -q -x "$stray"; }
wait_until 10 "stray process in rp-h2" stray_on_h2
rm -rf "$state"
echo "   daemons ${old_daemons[*]} and stray $stray running, $state gone"

step "slurm-up over the leftovers" "$bed/slurm-up" --nodes 2
[ -z "$(pids_alive "${old_daemons[@]}" "$stray")" ] || fail "old processes still alive: $(pids_alive "${old_daemons[@]}" "$stray")"
echo "   the old daemons and the stray process are gone"
job=$(submit rp-h1 --nodes=2 --ntasks=2 --ntasks-per-node=1 "$slurm/run.sbatch" squares 100000 --json)
step "a job on the fresh cluster" wait_jobs rp-h1 60 "$job"
expect_completed rp-h1 "$job"
python3 "$check_report" "$work/rankpool-$job.out" --ranks 2 --n 100000 --hosts rp-h1:1,rp-h2:1

mapfile -t daemons < <(recorded_pids)
step "slurm-down" "$bed/slurm-down"
[ -z "$(pids_alive "${daemons[@]}")" ] || fail "daemons still alive: $(pids_alive "${daemons[@]}")"
left=$(ip netns list | awk '{print $1}' | grep -E '^rp-(h[0-9]|switch)$' || true)
[ -z "$left" ] || fail "slurm-down left namespaces it made: $left"
echo "   daemons ${daemons[*]} stopped, namespaces deleted"
step "nothing left" check_nothing_left
