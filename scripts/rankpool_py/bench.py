"""The markdown tables of scripts/bench.sh, from its records file.

Usage: python3 -m rankpool_py.bench RECORDS SUITE
  (SUITE: squares, startup, dispatch, executor, chunks)

RECORDS has one run per line, tab-separated: suite, key ("n=... ranks=..."), side (rankpool or
reference), whole-process wall microseconds, and the run's last JSON line ({} if none).
rankpool's reports are read through reports.normalize, the C yardsticks' as they are.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .perf import median as med
from .reports import normalize

Runs = list[tuple[float, dict[str, Any]]]  # (wall seconds, JSON) in run order


def read_records(path: str, suite: str) -> dict[str, dict[str, Runs]]:
    """key -> side -> runs, for the records of one suite, keys in first-seen order."""
    cells: dict[str, dict[str, Runs]] = {}
    with open(path) as f:
        for line in f:
            s, key, side, wall_us, text = line.rstrip("\n").split("\t", 4)
            if s == suite:
                run = (int(wall_us) / 1e6, json.loads(text))
                cells.setdefault(key, {}).setdefault(side, []).append(run)
    return cells


def report_ok(j: dict[str, Any]) -> bool:
    """A run's verdict; a run that printed no report failed."""
    try:
        return normalize(j).ok
    except ValueError:
        return False


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "n/a"


def mib(b: float) -> str:
    return f"{b / 2**20:.1f}"


def params(key: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in key.split())


def report_squares(cells: dict[str, dict[str, Runs]]) -> None:
    rows_t, rows_p, rows_m = [], [], []
    for key, sides in cells.items():
        p = params(key)
        rp, ref = sides["rankpool"], sides["reference"]
        for side, runs in (("rankpool", rp), ("reference", ref)):
            bad = [j for _, j in runs if not report_ok(j)]
            if bad:
                sys.exit(f"bench: {side} {key}: check failed: {bad[0]}")

        def phase(runs: Runs, name: str) -> float:
            return med([normalize(j).seconds[name] for _, j in runs])

        tot_rp, tot_ref = phase(rp, "total"), phase(ref, "total")
        wall_rp, wall_ref = med([w for w, _ in rp]), med([w for w, _ in ref])
        head = f"| {int(p['n']):,} | {p['ranks']} | {p['input']} "
        rows_t.append(
            head + f"| {tot_rp:.6f} | {tot_ref:.6f} | **{ratio(tot_rp, tot_ref)}** "
            f"| {wall_rp:.3f} | {wall_ref:.3f} | {ratio(wall_rp, wall_ref)} |"
        )
        cols = []
        for name in ("scatter", "compute", "gather"):
            a, b = phase(rp, name), phase(ref, name)
            cols.append(f"{a:.6f} / {b:.6f} ({ratio(a, b)})")
        rows_p.append(head + "| " + " | ".join(cols) + " |")
        data = int(p["n"]) * (16 if p["input"] == "array" else 8)
        rss_rp = med([j["max_rss_bytes"][0] for _, j in rp])
        rss_ref = med([j["max_rss_bytes"][0] for _, j in ref])
        rows_m.append(
            head + f"| {mib(data)} | {mib(rss_rp)} ({ratio(rss_rp, data)}x) "
            f"| {mib(rss_ref)} ({ratio(rss_ref, data)}x) | {ratio(rss_rp, rss_ref)} |"
        )
    print(
        "In-process time: median of seconds.total (barrier to end of gather, slowest rank); "
        "whole-process wall time of the mpirun command.\n"
    )
    print(
        "| N | ranks | input | rankpool total s | reference total s | ratio "
        "| rankpool wall s | reference wall s | wall ratio |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows_t))
    print(
        "\nPhases: median of each phase on its own (slowest rank), rankpool / reference (ratio). "
        "rankpool's compute phase ends with a small MPI_Allreduce (its failure check), "
        "so a slower rank's wait shows up there rather than in gather.\n"
    )
    print("| N | ranks | input | scatter s | compute s | gather s |")
    print("|---:|---:|---|---|---|---|")
    print("\n".join(rows_p))
    print(
        "\nRank 0 peak RSS (getrusage ru_maxrss, median), MiB and x the data it must hold "
        "(N*8 bytes of results; N*16 for array input: input and results).\n"
    )
    print("| N | ranks | input | data MiB | rankpool MiB | reference MiB | ratio |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    print("\n".join(rows_m))


def report_startup(cells: dict[str, dict[str, Runs]]) -> None:
    print(
        "| ranks | runs | rankpool wall s (median) | hello_ref wall s (median) | ratio "
        "| rankpool min | hello_ref min |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for key, sides in cells.items():
        a = [w for w, _ in sides["rankpool"]]
        b = [w for w, _ in sides["reference"]]
        print(
            f"| {params(key)['ranks']} | {len(a)} | {med(a):.4f} | {med(b):.4f} "
            f"| **{ratio(med(a), med(b))}** | {min(a):.4f} | {min(b):.4f} |"
        )


def report_dispatch(cells: dict[str, dict[str, Runs]]) -> None:
    print(
        "| ranks | rank 0 | rankpool workers | tasks | rankpool us/task "
        "| dispatch_ref us/task | ratio | C polling us/task | ratio to polling "
        "| rankpool makespan s | dispatch_ref s | rank 0 ran (inline) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for key, sides in cells.items():
        p = params(key)
        rp, ref = sides["rankpool"], sides["reference"]
        poll = sides.get("polling", [])  # dispatch_ref ... poll: rank 0 dispatching only
        for _, j in rp:
            r = normalize(j) if "command" in j else None
            if r is None or r.count != int(p["tasks"]) or "total" not in r.seconds:
                sys.exit(f"bench: rankpool sleep {key}: unexpected JSON: {j}")
        for _, j in ref + poll:
            if j.get("ok") is not True:
                sys.exit(f"bench: dispatch_ref {key}: check failed: {j}")
        spans = [normalize(j).seconds["total"] for _, j in rp]
        span_rp = med(spans)
        span_ref = med([j["seconds"] for _, j in ref])
        us_rp = med([s * 1e6 / int(p["tasks"]) for s in spans])
        us_ref = med([j["us_per_task"] for _, j in ref])
        r = int(p["ranks"])
        workers = r - 1 if p["rank0"] == "dispatches" else r
        us_poll = med([j["us_per_task"] for _, j in poll]) if poll else 0.0
        print(
            f"| {r} | {p['rank0']} | {workers} | {int(p['tasks']):,} | {us_rp:.3f} "
            f"| {us_ref:.3f} | **{ratio(us_rp, us_ref)}** "
            f"| {f'{us_poll:.3f}' if poll else '-'} | {ratio(us_rp, us_poll) if poll else '-'} "
            f"| {span_rp:.4f} | {span_ref:.4f} | {root_share(rp, int(p['tasks']))} |"
        )


def root_share(rp: Runs, tasks: int) -> str:
    """The median share of the tasks rank 0 ran, and of its chunks it ran inline, from the
    report's detail.overhead (the executor's breakdown); "-" without one."""
    ran, inline = [], []
    for _, j in rp:
        o = (normalize(j).detail or {}).get("overhead")
        if not o or not o.get("ranks"):
            return "-"
        r0 = o["ranks"][0]
        ran.append(r0["tasks"] / tasks if tasks else 0.0)
        inline.append(o["inline_chunks"] / r0["chunks"] if r0["chunks"] else 0.0)
    return f"{100 * med(ran):.0f}% ({100 * med(inline):.0f}%)"


def report_executor(cells: dict[str, dict[str, Runs]]) -> None:
    rows = {key: [j for runs in sides.values() for _, j in runs] for key, sides in cells.items()}
    print("| schedule | makespan s (median) | predicted s (free dispatch) | lower bound s |")
    print("|---|---:|---:|---:|")
    for key, js in rows.items():
        if key.startswith("schedule="):
            reports = [normalize(j) for j in js]
            print(
                f"| {key.split('=')[1]} | {med([r.seconds['total'] for r in reports]):.3f} "
                f"| {reports[0].detail['predicted']:.3f} "
                f"| {reports[0].detail['lower_bound']:.3f} |"
            )
    print()
    print("| idle wait | wall s | CPU s (user + sys) | CPU / (wall x 4 ranks) |")
    print("|---|---:|---:|---:|")
    for key, js in rows.items():
        if key.startswith("idle="):
            wall = med([j["wall"] for j in js])
            cpu = med([j["user"] + j["sys"] for j in js])
            share = 100 * cpu / (wall * 4)
            print(f"| {key.split('=')[1]} | {wall:.2f} | {cpu:.2f} | {share:.1f}% |")


def report_chunks(cells: dict[str, dict[str, Runs]]) -> None:
    """Makespans by chunk size per load and rank count; zero-work per task against the C loop."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for key, sides in cells.items():
        p = params(key)
        row = table.setdefault((p["load"], p["ranks"]), {})
        if "reference" in sides:
            js = [j for _, j in sides["reference"]]
            if not all(j.get("ok") is True for j in js):
                sys.exit(f"bench: dispatch_ref {key}: check failed: {js[0]}")
            row["C"] = med([j["us_per_task"] for j in js])
            continue
        reports = []
        for _, j in sides["rankpool"]:
            r = normalize(j) if "command" in j else None
            if r is None or not r.ok or "total" not in r.seconds:
                sys.exit(f"bench: rankpool sleep {key}: unexpected JSON: {j}")
            reports.append(r)
        row[p["chunksize"]] = {
            "makespan": med([r.seconds["total"] for r in reports]),
            "chunks": med([r.detail["chunks"] for r in reports]),
            "predicted": reports[0].detail["predicted"],
            "bound": reports[0].detail["lower_bound"],
            "tasks": reports[0].count,
        }
    sizes = ["auto", "1", "16", "256"]
    print(
        "Makespan s (median) by chunk size; auto's chunks (median), the simulator's prediction "
        "for auto (free dispatch) and the lower bound max(longest, total / workers).\n"
    )
    print(
        "| load | ranks | tasks | auto s | 1 s | 16 s | 256 s | auto chunks "
        "| auto predicted s | lower bound s | auto / bound |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (load, ranks), row in table.items():
        a = row["auto"]
        cols = " | ".join(f"{row[c]['makespan']:.4f}" for c in sizes)
        print(
            f"| {load} | {ranks} | {a['tasks']:,} | {cols} | {a['chunks']:.0f} "
            f"| {a['predicted']:.4f} | {a['bound']:.4f} "
            f"| {ratio(a['makespan'], a['bound']) if a['bound'] > 0 else 'n/a'} |"
        )
    print("\nZero-work tasks, us per task: rankpool (makespan / tasks) against dispatch_ref.\n")
    print("| ranks | tasks | auto us/task | chunksize 1 us/task | dispatch_ref us/task "
          "| C / auto |")
    print("|---:|---:|---:|---:|---:|---:|")
    for (load, ranks), row in table.items():
        if load == "zero" and "C" in row:
            n = row["auto"]["tasks"]
            a = row["auto"]["makespan"] * 1e6 / n
            one = row["1"]["makespan"] * 1e6 / n
            print(f"| {ranks} | {n:,} | {a:.3f} | {one:.3f} | {row['C']:.3f} "
                  f"| **{ratio(row['C'], a)}** |")


SUITES = {
    "squares": report_squares,
    "startup": report_startup,
    "dispatch": report_dispatch,
    "executor": report_executor,
    "chunks": report_chunks,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in SUITES:
        print("usage: python3 -m rankpool_py.bench RECORDS squares|startup|dispatch|executor|chunks",
              file=sys.stderr)
        return 2
    SUITES[argv[1]](read_records(argv[0], argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
