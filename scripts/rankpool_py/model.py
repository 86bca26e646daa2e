"""`scaling model`: measure this machine's constants, predict runs on machines it is not.

Constants: point-to-point latency and bandwidth (tests/reference/pingpong_ref at 2 ranks, the
Hockney fit of perf.fit_latency_bandwidth), the executor's dispatch cost (rankpool sleep 0
--repeat 1000000 --chunksize 1 --root-dispatches-only --quiet at 2 ranks: makespan / tasks, one
round trip a task; 10^6 tasks, as the first ~0.1 s after a launch runs slower here) and the
compute cost per item (rankpool squares N at 1 rank: compute / N; --work K too when the binary
has it). The predictions are perf.squares_phases and perf.executor_time at 1 .. --max-ranks
ranks, set beside measured sweeps at the rank counts this machine has. Writes DIR/model.json,
DIR/predictions.csv and DIR/model.png/.svg; prints the constants and a table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import perf
from .analysis import Group, analyze
from .errors import RunError, UsageError
from .reports import Report, last_json_line, normalize
from .sweep import Config, child_env, local_cores, parse_ranks, run_once, run_sweep

DISPATCH_TASKS = 1_000_000
PROBE_WORK = 100  # squares --work K measured beside plain squares when the binary has it
EQUATIONS = {
    "squares": "T(p) = scatter + compute + gather; scatter = a*ceil(log2 p); "
               "compute = ceil(N/p)*c*max(1, p/cores) + a*ceil(log2 p); "
               "gather = a*(p-1) + 8*N*(p-1)/p / b",
    "executor": "T(p) = max(ceil(ceil(n/k)/w)*k*t, ceil(n/k)*d) + 2a, w = p workers; "
                "the master saturates when w*d > k*t; k >= ceil(w*d/t) avoids it; the best k "
                "minimizes T(p)",
}
ASSUMPTIONS = [
    "one rank per core (the 'this machine' curve shares --cores cores between the ranks)",
    "latency a and bandwidth b of one pair of ranks hold for every pair, with no contention: "
    "the root receives the gather's messages one after another at b",
    "MPI_Gatherv is linear through the root (Open MPI's basic_linear), the bounds' broadcast "
    "a binomial tree",
    "compute cost c per item is the 1-rank figure: no memory-bandwidth contention between "
    "ranks of a node",
    "the executor's master serves one chunk in d seconds whatever the number of workers",
    "start-up (mpirun, MPI_Init) is not modelled: the reports time from a barrier",
]


def measure(argv: list[str], reps: int, timeout: float, what: str) -> list[Report]:
    """Runs argv `reps` times; every run must print an ok report."""
    env = child_env(os.environ)
    reports = []
    for i in range(reps):
        result = run_once(argv, timeout, env)
        raw = last_json_line(result.stdout)
        if result.exit_code != 0 or raw is None:
            why = (result.stderr.strip().splitlines() or ["no output"])[0]
            if result.exit_code == 2:
                raise UsageError(f"{what}: refused (exit 2): {why}")
            raise RunError(f"{what}: exit {result.exit_code}: {why}")
        report = normalize(raw)
        if not report.ok:
            raise RunError(f"{what}: the results did not check out: {' '.join(argv)}")
        print(f"scaling: model: {what}: run {i + 1}/{reps}: {result.wall:.3f} s", file=sys.stderr)
        reports.append(report)
    return reports


def pingpong(args: argparse.Namespace) -> tuple[float, float, dict[str, Any]]:
    """Latency and bandwidth from pingpong_ref at 2 ranks (median per size over reps)."""
    exe = args.pingpong or str(Path(args.rankpool).resolve().parent / "tests" / "reference"
                               / "pingpong_ref")
    if not Path(exe).is_file():
        raise UsageError(f"{exe}: no pingpong_ref (build the pingpong_ref target, or give "
                         "--pingpong PATH, or --latency and --bandwidth)")
    env = child_env(os.environ)
    per_size: dict[int, list[float]] = {}
    for i in range(args.reps):
        result = run_once([args.mpirun, "-np", "2", exe], args.timeout, env)
        raw = last_json_line(result.stdout)
        if result.exit_code != 0 or raw is None or raw.get("ok") is not True:
            raise RunError(f"pingpong_ref failed (exit {result.exit_code})")
        for m, t in zip(raw["sizes"], raw["one_way_seconds"]):
            per_size.setdefault(int(m), []).append(float(t))
        print(f"scaling: model: ping-pong: run {i + 1}/{args.reps}", file=sys.stderr)
    sizes = sorted(per_size)
    times = [perf.median(per_size[m]) for m in sizes]
    alpha, beta = perf.fit_latency_bandwidth(sizes, times)
    return alpha, beta, {"sizes": sizes, "one_way_seconds": times}


def has_work_option(rankpool: str) -> bool:
    """Whether this binary's squares takes --work K."""
    r = subprocess.run([rankpool, "squares", "--help"], capture_output=True, text=True)
    return "--work" in r.stdout


def item_cost(args: argparse.Namespace, work: list[str]) -> tuple[float, str]:
    """Seconds per item of `squares N [--work K]` at 1 rank: compute / N (median of reps)."""
    argv = [args.mpirun, "-np", "1", args.rankpool, "squares", str(args.n), *work, "--json"]
    reps = measure(argv, args.reps, args.timeout, "compute cost")
    return (perf.median([r.seconds["compute"] / args.n for r in reps]),
            f"{' '.join(argv[3:])} at 1 rank: compute / N")


def constants(args: argparse.Namespace) -> tuple[perf.Machine, dict[str, Any]]:
    """The machine's constants, measured unless given; and how each was obtained."""
    how: dict[str, Any] = {}
    if args.latency is not None and args.bandwidth is not None:
        alpha, beta = args.latency, args.bandwidth
        how["latency"] = how["bandwidth"] = "given"
    else:
        alpha, beta, how["pingpong"] = pingpong(args)
        how["latency"] = "pingpong_ref at 2 ranks: median one-way time of messages <= 1 KiB"
        how["bandwidth"] = "pingpong_ref at 2 ranks: 1 / slope over messages >= 1 MiB"
        alpha = args.latency if args.latency is not None else alpha
        beta = args.bandwidth if args.bandwidth is not None else beta
    if args.dispatch is not None:
        d, how["dispatch"] = args.dispatch, "given"
    else:
        argv = [args.mpirun, "-np", "2", args.rankpool, "sleep", "0", "--repeat",
                str(DISPATCH_TASKS), "--chunksize", "1", "--root-dispatches-only", "--quiet",
                "--json"]
        reps = measure(argv, args.reps, args.timeout, "dispatch")
        d = perf.median([r.seconds["total"] / r.count for r in reps])
        how["dispatch"] = f"{' '.join(argv[3:])} at 2 ranks: makespan / tasks (chunksize 1, rank 0 only dispatching: a round trip per task)"
    work = [] if args.work is None else ["--work", str(args.work)]
    can_work = has_work_option(args.rankpool)
    if work and not can_work:
        raise UsageError(f"--work: {args.rankpool} has no squares --work K yet")
    if args.item_cost is not None:
        c, how["item_cost"] = args.item_cost, "given"
    else:
        c, how["item_cost"] = item_cost(args, work)
    if can_work and not work:  # what K more multiply-adds per item cost, for the record
        c_k, _ = item_cost(args, ["--work", str(PROBE_WORK)])
        how["work_probe"] = {"work": PROBE_WORK, "item_cost": c_k,
                             "seconds_per_multiply_add": max(0.0, c_k - c) / PROBE_WORK}
    cores = args.cores or local_cores()
    return perf.Machine(alpha, beta, c, d, cores), how


def measured_sweep(args: argparse.Namespace, name: str, command: list[str]) -> Group:
    """A strong sweep at --measure-ranks into DIR/measured-NAME.csv, analyzed."""
    out = args.out / f"measured-{name}.csv"
    cfg = Config(command=command, ranks=parse_ranks(args.measure_ranks), out=out, reps=args.reps,
                 warmup=1, launcher="mpirun", mpirun=args.mpirun, rankpool=args.rankpool,
                 cores=args.cores, timeout=args.timeout, overwrite=True)
    if run_sweep(cfg) != 0:
        raise RunError(f"the measured {name} sweep had runs that did not check out")
    return analyze(out, resamples=200)[0]


def task_length(executor: Group, tasks: int, asked: float) -> float:
    """The tasks' real length: the 1-rank run's time per task (a sleep overshoots what it was
    asked for by the timer slack and the scheduler's delay), else what was asked."""
    one = next((p for p in executor.points if p.ranks == 1), None)
    if one is None:
        return asked
    t = one.summary.median / tasks
    print(f"scaling: model: tasks of {asked:g} s take {t:.6g} s at 1 rank: the model uses that",
          file=sys.stderr)
    return t


def rank_grid(max_ranks: int, measured: list[int]) -> list[int]:
    """Powers of two up to max_ranks, and the measured rank counts."""
    grid = {1 << i for i in range(max_ranks.bit_length()) if 1 << i <= max_ranks}
    return sorted(grid | set(measured) | {max_ranks})


def predictions(m: perf.Machine, n: int, tasks: int, t: float, chunk: int,
                ranks: list[int]) -> list[dict[str, Any]]:
    """One row per rank count: squares' phases (one core per rank and this machine's cores)
    and the executor with the given chunk size and with k*."""
    wide = perf.Machine(m.latency, m.bandwidth, m.item_cost, m.dispatch, None)
    rows = []
    for p in ranks:
        ph = perf.squares_phases(n, p, wide)
        k_best = perf.best_chunk(tasks, t, p, m)
        rows.append({
            "ranks": p,
            "squares_scatter": ph["scatter"], "squares_compute": ph["compute"],
            "squares_gather": ph["gather"], "squares_total": ph["total"],
            "squares_total_this_machine": perf.squares_phases(n, p, m)["total"],
            "executor": perf.executor_time(tasks, t, p, chunk, m),
            "executor_keep_up_chunk": perf.chunk_to_avoid_saturation(t, p, m.dispatch),
            "executor_best_chunk": k_best,
            "executor_at_best_chunk": perf.executor_time(tasks, t, p, k_best, m),
            "executor_ideal": max(tasks * t / p, t),  # a task is not split
        })
    return rows


def plot(out: Path, formats: list[str], rows: list[dict[str, Any]], m: perf.Machine,
         squares: Group | None, executor: Group | None, n: int, tasks: int, t: float,
         chunk: int, work: int | None = None) -> list[Path]:
    """Predicted and measured side by side: the squares map and the executor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .plots import log_seconds_axis, marker_style, rank_axis, save

    fig, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(12, 4.8))
    ps = [r["ranks"] for r in rows]
    ax_s.plot(ps, [r["squares_total"] for r in rows], color="C0", label="predicted total")
    for key, color in (("compute", "C1"), ("gather", "C2")):
        ax_s.plot(ps, [r[f"squares_{key}"] for r in rows], color=color, linewidth=0.9,
                  linestyle=":", label=f"predicted {key}")
    few = [r for r in rows if squares and r["ranks"] <= squares.points[-1].ranks]
    if few:
        ax_s.plot([r["ranks"] for r in few], [r["squares_total_this_machine"] for r in few],
                  color="C0", linestyle="--", linewidth=1,
                  label=f"predicted, {m.cores} cores shared")
    handles_extra = []
    for ax, group in ((ax_s, squares), (ax_e, executor)):
        if group is None:
            continue
        for pt in group.points:
            s = pt.summary
            ax.errorbar([pt.ranks], [s.median], yerr=[[s.median - s.min], [s.max - s.median]],
                        capsize=3, **marker_style(pt, "k"))
    if any(pt.oversubscribed for g in (squares, executor) if g for pt in g.points):
        handles_extra.append(Line2D([], [], marker="o", color="k", markerfacecolor="none",
                                    linestyle="none", label="measured, oversubscribed"))
    measured = Line2D([], [], marker="o", color="k", linestyle="none", label="measured median")
    ax_e.plot(ps, [r["executor"] for r in rows], color="C0", label=f"predicted, chunk {chunk}")
    ax_e.plot(ps, [r["executor_at_best_chunk"] for r in rows], color="C3",
              label="predicted, best chunk (table)")
    ax_e.plot(ps, [r["executor_ideal"] for r in rows], color="0.45", linestyle="--",
              linewidth=1, label="ideal max(n t / p, t)")
    p_sat = perf.saturation_workers(t, chunk, m.dispatch)
    if p_sat <= ps[-1]:
        ax_e.axvline(p_sat, color="C0", linestyle=":", linewidth=1,
                     label=f"master saturates at {p_sat:.0f} workers")
    for ax in (ax_s, ax_e):
        log_seconds_axis(ax)
        rank_axis(ax, [p for p in ps if p & (p - 1) == 0 or p <= 4])
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.set_ylabel("seconds")
        h, _ = ax.get_legend_handles_labels()
        ax.legend(handles=h + [measured] + handles_extra, fontsize=7)
    # after everything is drawn (a fixed limit stops autoscaling): the compute line may leave
    # the figure at the bottom, below the smallest total and gather, rather than squash the rest
    low = min([r["squares_total"] for r in rows]
              + [r["squares_gather"] for r in rows if r["ranks"] > 1 and r["squares_gather"] > 0])
    high = max([r["squares_total"] for r in rows]
               + ([pt.summary.max for pt in squares.points] if squares else []))
    ax_s.set_ylim(bottom=low / 3, top=high * 4)  # room above for the legend
    what = f"squares {n:,}" + (f" --work {work}" if work else "")
    ax_s.set_title(f"{what}: a={m.latency * 1e6:.2f} us, b={m.bandwidth / 1e9:.2f} GB/s, "
                   f"c={m.item_cost * 1e9:.2f} ns/item", fontsize=9)
    ax_e.set_title(f"executor: {tasks:,} tasks of {t * 1e3:.3g} ms (measured), "
                   f"d={m.dispatch * 1e6:.2f} us per chunk", fontsize=9)
    fig.suptitle("Model: predicted (lines) and measured (markers); one core per rank beyond "
                 "this machine", fontsize=10)
    fig.tight_layout()
    return save(fig, out, "model", formats)


def validate(args: argparse.Namespace) -> None:
    for name in ("n", "tasks", "chunksize", "max_ranks", "reps"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.task_seconds <= 0:
        raise UsageError(f"--task-seconds must be > 0, got {args.task_seconds}")
    for name in ("latency", "bandwidth", "item_cost", "dispatch"):
        v = getattr(args, name)
        if v is not None and v <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be > 0, got {v}")
    if not Path(args.rankpool).is_file():
        raise UsageError(f"{args.rankpool}: no rankpool binary there (give --rankpool PATH)")


def table(rows: list[dict[str, Any]], m: perf.Machine, n: int, tasks: int, t: float,
          chunk: int, squares: Group | None, executor: Group | None) -> str:
    meas_s = {p.ranks: p.summary.median for p in squares.points} if squares else {}
    meas_e = {p.ranks: p.summary.median for p in executor.points} if executor else {}
    bound = 1 + m.item_cost * m.bandwidth / 8
    lines = [
        f"constants: latency a = {m.latency * 1e6:.3f} us, bandwidth b = "
        f"{m.bandwidth / 1e9:.3f} GB/s, compute c = {m.item_cost * 1e9:.3f} ns/item, "
        f"dispatch d = {m.dispatch * 1e6:.3f} us/chunk, cores = {m.cores}",
        f"squares {n:,}: the root's gather of 8 N bytes does not shrink with p: speedup "
        f"<= 1 + c b / 8 = {bound:.2f}",
        f"executor: {tasks:,} tasks of {t:g} s in chunks of {chunk}: the master saturates beyond "
        f"{perf.saturation_workers(t, chunk, m.dispatch):,.0f} workers (k t / d)",
        "",
        "| ranks | squares predicted s | measured s | executor predicted s (chunk "
        f"{chunk}) | measured s | chunk to keep up | best chunk | at best chunk s |",
        "|" + "---:|" * 8,
    ]
    for r in rows:
        p = r["ranks"]
        ms = f"{meas_s[p]:.6f}" if p in meas_s else ""
        me = f"{meas_e[p]:.4f}" if p in meas_e else ""
        lines.append(f"| {p} | {r['squares_total']:.6f} | {ms} | {r['executor']:.4f} | {me} "
                     f"| {r['executor_keep_up_chunk']} | {r['executor_best_chunk']} "
                     f"| {r['executor_at_best_chunk']:.4f} |")
    return "\n".join(lines) + "\n"


def model_main(args: argparse.Namespace) -> int:
    validate(args)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{args.out}: {e.strerror}") from None
    if args.plots:
        try:
            args.plots.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"{args.plots}: {e.strerror}") from None
    given = analyze(args.squares_csv, resamples=200)[0] if args.squares_csv else None
    if given and given.points[0].n:
        args.n = given.points[0].n  # the compute cost at the N of the sweep compared with
    m, how = constants(args)
    work = [] if args.work is None else ["--work", str(args.work)]
    n = args.n
    squares = given or measured_sweep(args, "squares", ["squares", str(n), *work])
    t, chunk = args.task_seconds, args.chunksize
    executor = measured_sweep(args, "executor", ["sleep", f"{t:g}", "--repeat",
                                                 str(args.tasks), "--chunksize", str(chunk),
                                                 "--quiet"])
    t = task_length(executor, args.tasks, t)
    ranks = rank_grid(args.max_ranks, [p.ranks for p in squares.points])
    rows = predictions(m, n, args.tasks, t, chunk, ranks)
    with open(args.out / "predictions.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (args.out / "model.json").write_text(json.dumps({
        "constants": asdict(m), "how": how, "equations": EQUATIONS, "assumptions": ASSUMPTIONS,
        "squares_n": n, "squares_work": args.work,
        "executor": {"tasks": args.tasks, "task_seconds_asked": args.task_seconds,
                     "task_seconds_measured": t, "chunksize": chunk},
        "predictions": rows,
    }, indent=2) + "\n")
    written = plot(args.plots or args.out, args.formats, rows, m, squares, executor, n,
                   args.tasks, t, chunk, args.work)
    print(table(rows, m, n, args.tasks, t, chunk, squares, executor), end="")
    for path in written:
        print(f"scaling: wrote {path}", file=sys.stderr)
    return 0
