#!/usr/bin/env bash
# `rankpool doctor` under a real single-node Slurm (scripts/testbed/slurm-up): with srun
# --mpi=pmix it says the launcher is srun and that spawn does not work there; with mpirun in an
# allocation (salloc) it says mpirun and finds no pitfall of launchers; with `srun mpirun` each
# srun task's mpirun reports the srun_mpirun pitfall (two separate MPI jobs, two reports).
# Usage: tests/cluster/doctor_slurm.sh RANKPOOL_EXE       (as root; ctest: cluster.doctor_slurm)
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

skip_unless_available --slurm
take_lock
clean_start

check_doctor=$repo/tests/cluster/check_doctor.py
host=rp-h1

# run_on_host OUT CMD...: CMD on the Slurm host, bounded, its stdout in OUT, stderr in OUT.err.
run_on_host() {
  local out=$1
  shift
  timeout -k 5 60 "$bed/on" "$host" "$@" >"$out" 2>"$out.err" ||
    { show_files "$out" "$out.err"; fail "$* exited non-zero"; }
}

step "single-node Slurm up" "$bed/slurm-up"

step "srun -n 2 --mpi=pmix rankpool doctor --json" \
  run_on_host "$work/srun.json" srun -n 2 --mpi=pmix "$rankpool" doctor --json
python3 "$check_doctor" "$work/srun.json" --ok --launcher srun --ranks-per-host $host:2 \
  --pair 0,1:ok --spawn unsupported --pitfall spawn_unsupported --no-pitfall srun_mpirun

step "salloc -n 2 mpirun rankpool doctor --json (mpirun in an allocation)" \
  run_on_host "$work/salloc.json" salloc -n 2 mpirun -np 2 "$rankpool" doctor --json
python3 "$check_doctor" "$work/salloc.json" --ok --launcher mpirun --ranks-per-host $host:2 \
  --pair 0,1:ok --spawn supported --no-pitfall srun_mpirun --no-pitfall spawn_unsupported

step "srun -n 2 mpirun -np 2 rankpool doctor --json (nested: two MPI jobs)" \
  run_on_host "$work/nested.json" srun -n 2 mpirun -np 2 "$rankpool" doctor --json
python3 "$check_doctor" "$work/nested.json" --count 2 --ok --launcher mpirun --pitfall srun_mpirun

step "Slurm down, nothing left" check_nothing_left
