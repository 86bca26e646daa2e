#!/usr/bin/env bash
# A real two-node Slurm on two test hosts (scripts/testbed/hosts-up 2, then slurm-up --nodes 2:
# slurmctld and a slurmd on rp-h1, a slurmd on rp-h2, talking over the hosts' bridge) and a
# `-N 2 -n 4` job of scripts/slurm/run.sbatch through it, launched with srun --mpi=pmix and with
# mpirun inside the allocation (which starts its daemon on the second node through srun).
# Checks that two ranks ran on each node, the squares checksum, and COMPLETED / ExitCode=0:0.
# Usage: tests/cluster/slurm_two_nodes.sh RANKPOOL_EXE     (as root; ctest: cluster.slurm_two_nodes)
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

skip_unless_available --slurm
take_lock
clean_start

slurm=$repo/scripts/slurm
host=rp-h1
# -N 2 -n 4; --ntasks-per-node overrides the script's 4 per node (with 4, each node would
# need 4 CPUs and sbatch refuses: "CPU count per node can not be satisfied").
shape=(--nodes=2 --ntasks=4 --ntasks-per-node=2)

step "2 test hosts up" "$bed/hosts-up" 2
step "two-node Slurm up on them" "$bed/slurm-up" --nodes 2
on "$host" sinfo -N -o '   %N %T %c CPUs'

echo "== submit: -N 2 -n 4 with srun --mpi=pmix, and with mpirun"
by_srun=$(submit "$host" "${shape[@]}" "$slurm/run.sbatch" squares 4000000 --json)
by_mpirun=$(RANKPOOL_LAUNCHER=mpirun submit "$host" "${shape[@]}" "$slurm/run.sbatch" squares 4000000 --json)
echo "   jobs $by_srun $by_mpirun"
step "wait for the jobs" wait_jobs "$host" 120 "$by_srun" "$by_mpirun"

for job in "$by_srun" "$by_mpirun"; do
  echo "== job $job: $(grep -o 'launcher [a-z]*' "$work/rankpool-$job.out")"
  expect_completed "$host" "$job"
  grep -q 'on 2 nodes (rp-h\[1-2\])' "$work/rankpool-$job.out" || fail "job $job: not on rp-h[1-2]"
  python3 "$check_report" "$work/rankpool-$job.out" --ranks 4 --n 4000000 --hosts rp-h1:2,rp-h2:2
done

step "Slurm and the test hosts down, nothing left" check_nothing_left
