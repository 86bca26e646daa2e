#!/usr/bin/env bash
# A real single-node Slurm (munged, slurmctld, slurmd from Debian's packages, started by
# scripts/testbed/slurm-up on test host rp-h1) and the batch scripts of scripts/slurm submitted
# to it with sbatch, as a user would: run.sbatch with srun --mpi=pmix and with mpirun inside
# the allocation, sweep.sbatch (1, 2, 4 ranks in one allocation), array.sbatch (3 indices,
# %A_%a output files), and run.sbatch stopped by SIGTERM to its batch shell (what --signal
# sends before the time limit), and --deadline slurm in a 1-minute job. Checks each job's report (ok, ranks, each rank's host, the
# squares checksum) and its state in `scontrol show job -o` (COMPLETED, ExitCode=0:0).
# Usage: tests/cluster/slurm.sh RANKPOOL_EXE       (as root; ctest: cluster.slurm)
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

skip_unless_available --slurm
take_lock
clean_start

slurm=$repo/scripts/slurm
host=rp-h1

step "single-node Slurm up" "$bed/slurm-up"

echo "== submit: run (srun), run (mpirun), sweep, array of 3"
run_srun=$(submit "$host" "$slurm/run.sbatch" squares 2000000 --json)
run_mpirun=$(RANKPOOL_LAUNCHER=mpirun submit "$host" "$slurm/run.sbatch" squares 2000000 --json)
sweep=$(RANKPOOL_SWEEP=loop submit "$host" "$slurm/sweep.sbatch" squares 1000000)
scaled=$(RANKPOOL_SWEEP_REPS=2 RANKPOOL_REPO=$repo submit "$host" "$slurm/sweep.sbatch" squares 100000)
printf '%s\n' "squares 1000 --json" "squares 20000 --json" "squares 300000 --json" >"$work/runs.txt"
array=$(submit "$host" --array=0-2 "$slurm/array.sbatch" runs.txt)
echo "   jobs $run_srun $run_mpirun $sweep $array"
step "wait for the jobs" wait_jobs "$host" 180 "$run_srun" "$run_mpirun" "$sweep" "$array" "$scaled"

echo "== run.sbatch, srun --mpi=pmix: 4 ranks"
expect_completed "$host" "$run_srun"
python3 "$check_report" "$work/rankpool-$run_srun.out" --ranks 4 --n 2000000 --hosts $host:4

echo "== run.sbatch, mpirun inside the allocation: 4 ranks"
expect_completed "$host" "$run_mpirun"
grep -q "launcher mpirun" "$work/rankpool-$run_mpirun.out" || fail "job $run_mpirun did not use mpirun"
python3 "$check_report" "$work/rankpool-$run_mpirun.out" --ranks 4 --n 2000000 --hosts $host:4

echo "== sweep.sbatch: 1, 2, 4 ranks in one allocation"
expect_completed "$host" "$sweep"
python3 "$check_report" "$work/rankpool-sweep-$sweep.jsonl" --count 3 --ranks 1,2,4 --n 1000000

echo "== sweep.sbatch through scripts/scaling: srun -n 1, 2, 4, two repetitions each, in one allocation"
expect_completed "$host" "$scaled"
python3 - "$work/rankpool-sweep-$scaled.csv" <<'PY' || fail "scripts/scaling's sweep in job $scaled"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
got = sorted((int(r["ranks"]), r["ok"]) for r in rows)
want = sorted((k, "true") for k in (1, 2, 4) for _ in range(2))
assert got == want, got
assert all(r["launcher"] == "srun" for r in rows), [r["launcher"] for r in rows]
print("   %d rows: ranks 1, 2, 4 x 2 repetitions, every one ok, launched by srun" % len(rows))
PY

echo "== array.sbatch: one run per index, rankpool-array-${array}_<index>.out"
expect_completed "$host" "$array" 3
for index in 0 1 2; do
  n=$(sed -n "$((index + 1))p" "$work/runs.txt" | awk '{print $2}')
  python3 "$check_report" "$work/rankpool-array-${array}_$index.out" --ranks 2 --n "$n" --hosts $host:2
done

echo "== run.sbatch stopped by SIGTERM to the batch shell (what --signal=B:TERM@120 sends)"
stopped=$(submit "$host" "$slurm/run.sbatch" sleep 60 60 60 60 --json)
started() { grep -q 'launcher srun' "$work/rankpool-$stopped.out" 2>/dev/null; }
wait_until 60 "job $stopped running" started
sleep 1 # the ranks start
on "$host" scancel --batch --signal=TERM "$stopped"
step "wait for it to stop" wait_jobs "$host" 60 "$stopped"
out=$work/rankpool-$stopped.out
grep -q 'SIGTERM, passing it on' "$out" || fail "the batch script did not pass SIGTERM on"
# rankpool stops cleanly: no task ends, the report says why, and every rank exits 128 + 15.
grep '^{' "$out" | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert r["detail"]["stopped_by"] == 15 and r["results"]["completed"] < 4 and not r["ok"], r
' || fail "the 60 s tasks ran to the end despite SIGTERM, or no report said it stopped them"
grep -q 'rankpool: stopped by SIGTERM: ' "$out" || fail "no 'stopped by SIGTERM' line"
grep -q 'Exited with exit code 143' "$out" || fail "the ranks did not exit 143 (128 + SIGTERM)"
echo "   $(job_lines "$host" "$stopped" | grep -o -E 'JobState=[A-Z_]+|ExitCode=[0-9:]+' | paste -sd' ')," \
  "the batch shell passed SIGTERM on and the ranks stopped before their tasks ended"

echo "== --deadline slurm: a 1-minute job of 25 s tasks stops starting them in time"
# 12 tasks of 25 s on 4 ranks: 4 at 0 s, 4 at ~25 s (25 + 25 <= 60), none at ~50 s (50 + 25 > 60).
# A batch script of its own: run.sbatch's --signal would come up to a minute early in so short a job.
cat >"$work/deadline.sbatch" <<'SBATCH'
#!/usr/bin/env bash
#SBATCH --ntasks=4
#SBATCH --time=00:01:00
#SBATCH --output=rankpool-%j.out
srun --mpi=pmix "${RANKPOOL:-rankpool}" sleep 25 25 25 25 25 25 25 25 25 25 25 25 \
  --deadline slurm --json
SBATCH
late=$(submit "$host" "$work/deadline.sbatch")
step "wait for it" wait_jobs "$host" 120 "$late"
out=$work/rankpool-$late.out
grep '^{' "$out" | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
d = r["detail"]
assert d["deadline_stopped"] and d["stopped_by"] == 14 and r["options"]["deadline"] == "slurm", r
assert 4 <= r["results"]["completed"] < 12, r
' || fail "--deadline slurm did not stop the job before its end time"
grep -q 'rankpool: stopped by the --deadline: ' "$out" || fail "no 'stopped by the --deadline' line"
grep -q 'Exited with exit code 142' "$out" || fail "the ranks did not exit 142 (128 + SIGALRM)"
echo "   $(grep -o 'stopped by the --deadline: [0-9]* of 12' "$out"), the end time from squeue"

step "Slurm down, nothing left" check_nothing_left
