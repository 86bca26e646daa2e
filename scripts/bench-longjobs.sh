#!/usr/bin/env bash
# What --output FILE.npy and --journal cost squares: medians of interleaved runs, one table row
# per binary x variant. Give several binaries (e.g. main's and this branch's) to compare them.
#
# Usage: scripts/bench-longjobs.sh output|journal [--reps K] [--ranks R] [--n N] [--dir D] BIN...
#   output:  squares N --json, without and with --output D/r.npy (default N = 100000000): wall
#            seconds (launch to exit), seconds.total, results.file.write_seconds, sync_seconds
#   journal: squares N --schedule dynamic --chunksize 1000 --json, without and with --journal
#            D/j (a fresh journal each run; default N = 10000000): seconds.total, and per item
#            (total with - total without) / N in microseconds
#   --reps K  interleaved rounds (default 5)   --ranks R  mpirun -np R (default 1)
#   --dir D   where the files go (default .; the file system matters: say which)
# Environment: MPIRUN (default mpirun), OMPI_MCA_pml (default ob1).
set -euo pipefail
export LC_ALL=C
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
mode=${1:-}
shift || true
reps=5 ranks=1 n="" dir=.
while [ $# -gt 0 ]; do
  case $1 in
  --reps) reps=$2; shift 2 ;;
  --ranks) ranks=$2; shift 2 ;;
  --n) n=$2; shift 2 ;;
  --dir) dir=$2; shift 2 ;;
  *) break ;;
  esac
done
[ $# -gt 0 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
case $mode in
output) n=${n:-100000000}; variants=("" "--output $dir/r.npy") ;;
journal) n=${n:-10000000}; variants=("" "--journal $dir/j") ;;
*) echo "bench-longjobs: output or journal" >&2; exit 2 ;;
esac
raw=$(mktemp)
trap 'rm -f "$raw" "$dir/r.npy" "$dir/j"' EXIT
for ((rep = 1; rep <= reps; rep++)); do
  for bin in "$@"; do
    for v in "${variants[@]}"; do
      rm -f "$dir/r.npy" "$dir/j"
      args=(squares "$n" --json)
      [ "$mode" = journal ] && args+=(--schedule dynamic --chunksize 1000)
      # shellcheck disable=SC2206 # the variant's words
      args+=($v)
      t0=$EPOCHREALTIME
      json=$(${MPIRUN:-mpirun} -np "$ranks" "$bin" "${args[@]}")
      t1=$EPOCHREALTIME
      printf '%s\t%s\t%s\t%s\n' "$bin" "${v:-none}" "$(echo "$t1 - $t0" | bc)" "$json" >>"$raw"
      echo "rep $rep $bin ${v:-none} done" >&2
    done
  done
done
python3 - "$raw" "$mode" "$n" <<'PY'
import json, statistics, sys
raw, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = {}
for line in open(raw):
    b, v, wall, js = line.rstrip("\n").split("\t", 3)
    j = json.loads(js)
    f = j["results"].get("file") or {}
    rows.setdefault((b, v.split(" ")[0]), []).append(
        (float(wall), j["seconds"]["total"], f.get("write_seconds"), f.get("sync_seconds")))
med = lambda xs: statistics.median(x for x in xs if x is not None) if any(x is not None for x in xs) else None
fmt = lambda x: "" if x is None else f"{x:.3f}"
print("| binary | variant | runs | wall s | seconds.total | write_seconds | sync_seconds |")
print("|---|---|---:|---:|---:|---:|---:|")
for (b, v), rs in rows.items():
    print(f"| {b} | {v} | {len(rs)} | " + " | ".join(fmt(med([r[k] for r in rs])) for k in range(4)) + " |")
if mode == "journal":
    for b in dict.fromkeys(k[0] for k in rows):
        off = med([r[1] for r in rows[(b, "none")]]); on = med([r[1] for r in rows[(b, "--journal")]])
        print(f"\n{b}: journal cost {1e6 * (on - off) / n:.3f} us per item (median totals)")
PY
