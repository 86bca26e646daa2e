#!/usr/bin/env bash
# `rankpool run` across test hosts and in Slurm: commands spread over 2 hosts with `mpirun
# --hostfile` (each task names its host through RANKPOOL_HOST: both hosts ran tasks, output in
# input order), then scripts/slurm/run-tasks.sbatch submitted to the single-node Slurm with a
# task file (srun --mpi=pmix), its output checked and its state COMPLETED.
# Usage: tests/cluster/run_tasks.sh RANKPOOL_EXE     (as root; ctest: cluster.run_tasks)
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

skip_unless_available --slurm
take_lock
clean_start

step "2 test hosts up" "$bed/hosts-up" 2
# 8 tasks of 0.3 s on 4 ranks (2 per host): every rank gets some.
step "rankpool run on 2 hosts (mpirun --hostfile)" \
  sh -c "'$bed/hosts-mpirun' -np 4 '$rankpool' run 'sleep 0.3; echo task {} on \$RANKPOOL_HOST' \
    ::: 1 2 3 4 5 6 7 8 >'$work/hosts.out'"
for k in 1 2 3 4 5 6 7 8; do
  [ "$(sed -n "${k}p" "$work/hosts.out" | awk '{print $2}')" = "$k" ] ||
    fail "line $k of the output is not task $k: $(cat "$work/hosts.out")"
done
hosts=$(awk '{print $4}' "$work/hosts.out" | sort -u | paste -sd' ')
[ "$hosts" = "rp-h1 rp-h2" ] || fail "tasks ran on '$hosts', not on rp-h1 and rp-h2"
echo "   8 tasks in input order, run on: $hosts"
step "test hosts down" "$bed/hosts-down"

step "single-node Slurm up" "$bed/slurm-up"
host=rp-h1
printf '%s\n' "# tasks for run-tasks.sbatch" "echo one \$RANKPOOL_RANK" "" "sleep 0.2; echo two" \
  "echo three >&2" >"$work/tasks.txt"
job=$(submit "$host" "$repo/scripts/slurm/run-tasks.sbatch" tasks.txt --timeout 60)
step "wait for job $job" wait_jobs "$host" 120 "$job"
expect_completed "$host" "$job"
out=$work/rankpool-tasks-$job.out
grep -q "launcher srun" "$out" || fail "job $job did not use srun"
[ "$(grep -E '^(one|two|three)' "$out" | awk '{print $1}' | paste -sd' ')" = "one two three" ] ||
  fail "job $job: the tasks' output is not there in order: $(cat "$out")"
grep -q "run: 3 tasks on 4 ranks (4 working), 3 completed, 0 failed" "$out" ||
  fail "job $job: no summary: $(cat "$out")"
echo "   job $job: 3 tasks on 4 ranks, output in order"

step "Slurm down, nothing left" check_nothing_left
