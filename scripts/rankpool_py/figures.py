"""`scaling figures`: remake every figure and data file of the README's "The figures on this
machine" in one command, and print the numbers to paste (or fill them into the README).

Steps (sizes for a 2-core workstation; `--quick` shrinks them for a trial or a test):

  compute   strong, squares N --work K (compute-bound, ~1-2 s on 1 rank)   compute-*.png
  strong    strong, squares N (memory-bound: 8-byte results gathered)      strong-*.png
  weak      weak, squares N --work K per rank                              weak-*.png
  executor  strong, sleep --arg-file (heavy-tailed task lengths, seeded),
            once per schedule (dynamic, static)                            executor-*.png
  model     scaling model, compared with the compute sweep                 model.png

The load average is checked first: above --max-load (1.5) the command refuses to run (exit 2)
unless --force, which runs anyway, warns on stderr and in the summary, and records it in
DATA/figures.json. The summary (speedup, efficiency, Amdahl f with its interval, Karp-Flatt,
imbalance per rank count, the model's constants) goes to stdout and DATA/summary.md, and with
--readme into the README between its `<!-- figures:NAME -->` and `<!-- /figures:NAME -->`
markers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import random
import re
import shlex
import sys
import textwrap
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from .analysis import Group, Point, analyze, table
from .errors import RunError, UsageError
from .sweep import (
    Config,
    cpu_model,
    local_cores,
    now,
    relevant_env,
    run_sweep,
    write_json,
)

RANKS = [1, 2, 3, 4]
SCHEDULES = ("dynamic", "static")
TASK_SEED = 1


@dataclass(frozen=True)
class Sizes:
    """The problem sizes of one figures run."""

    compute_n: int  # squares N --work K, strong
    work: int  # K multiply-adds per item (about K ns)
    memory_n: int  # squares N, strong (memory-bound)
    weak_n: int  # squares N --work K per rank, weak
    tasks: int  # executor: tasks of lognormal length
    task_mean: float  # their mean length, seconds
    model_tasks: int  # the model's executor sweep: tasks of model_task_seconds
    model_task_seconds: float
    reps: int
    model_reps: int
    bootstrap: int


FULL = Sizes(compute_n=1_000_000, work=1000, memory_n=100_000_000, weak_n=500_000, tasks=400,
             task_mean=0.005, model_tasks=10_000, model_task_seconds=0.0002, reps=5,
             model_reps=3, bootstrap=2000)
QUICK = Sizes(compute_n=20_000, work=100, memory_n=200_000, weak_n=10_000, tasks=40,
              task_mean=0.001, model_tasks=200, model_task_seconds=0.0002, reps=2,
              model_reps=1, bootstrap=200)


def add_figures(sub: argparse._SubParsersAction, repo: Path, rankpool: str) -> None:
    p = sub.add_parser(
        "figures",
        help="remake the README's figures and data (docs/img, docs/data)",
        description="Runs every sweep of the README's 'The figures on this machine' at ranks "
        "1 2 3 4 (3 and 4 oversubscribed on 2 cores), the plots and the model, and prints a "
        "summary to paste. Refuses to run when the 1-minute load average is above --max-load. "
        "Sets OMPI_MCA_pml=ob1 unless it is set.",
        epilog="example: scripts/scaling figures --readme README.md",
    )
    p.add_argument("--data", type=Path, default=repo / "docs" / "data", metavar="DIR",
                   help="CSVs, metadata, model and summary (default docs/data)")
    p.add_argument("--img", type=Path, default=repo / "docs" / "img", metavar="DIR",
                   help="the PNGs (default docs/img)")
    p.add_argument("--readme", type=Path, metavar="FILE",
                   help="fill the summary into FILE between its <!-- figures:NAME --> markers")
    p.add_argument("--rankpool", default=rankpool, help="the binary (default build/rankpool)")
    p.add_argument("--pingpong", default=None,
                   help="pingpong_ref (default: tests/reference/pingpong_ref beside the binary)")
    p.add_argument("--mpirun", default=os.environ.get("MPIRUN", "mpirun"),
                   help="mpirun to use (default $MPIRUN or mpirun)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes and 2 repetitions: a trial of the whole pipeline (noise)")
    p.add_argument("--reps", type=int, help="repetitions per rank count (5; --quick 2)")
    p.add_argument("--max-load", type=float, default=1.5, metavar="L",
                   help="refuse when the 1-minute load average is above L (1.5)")
    p.add_argument("--wait", type=float, default=0.0, metavar="S",
                   help="wait up to S seconds for the load to drop below --max-load (0)")
    p.add_argument("--force", action="store_true",
                   help="run on a loaded machine anyway: warned and recorded in figures.json")
    p.add_argument("--only", nargs="+", choices=("compute", "strong", "weak", "executor",
                                                  "model"),
                   help="remake only these steps (the summary covers what DATA holds)")
    p.add_argument("--dry-run", action="store_true", help="print the steps, run nothing")
    p.add_argument("--summary", action="store_true",
                   help="run nothing: the summary of what DATA holds (its figures.json), and "
                   "--readme filled from it")


# ---- the machine's state -------------------------------------------------------------------


def cpu_times() -> tuple[int, int] | None:
    """(total, steal) jiffies of all CPUs from /proc/stat, None where there is none."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    values = [int(v) for v in fields[1:]]
    return sum(values[:8]), (values[7] if len(values) > 7 else 0)


def steal_percent(start: tuple[int, int] | None, end: tuple[int, int] | None) -> float | None:
    """The share of CPU time the hypervisor gave to others between two cpu_times()."""
    if start is None or end is None or end[0] <= start[0]:
        return None
    return 100.0 * (end[1] - start[1]) / (end[0] - start[0])


def check_load(max_load: float, force: bool, load: tuple[float, float, float]) -> str | None:
    """None when the machine is quiet enough; the warning when it is not and --force is given;
    raises UsageError when it is not and --force is not."""
    if load[0] <= max_load:
        return None
    text = (f"the 1-minute load average is {load[0]:.2f} (5 and 15 minutes: {load[1]:.2f}, "
            f"{load[2]:.2f}), above --max-load {max_load:g}: other work shares the cores and "
            "the figures would measure it")
    if not force:
        raise UsageError(text + " (wait for a quiet machine, or --wait S, or --force)")
    return text


def wait_for_quiet(max_load: float, seconds: float) -> tuple[float, float, float]:
    """Polls the load average every 5 s, up to `seconds`, until it is at most max_load."""
    deadline = time.monotonic() + seconds
    load = os.getloadavg()
    while load[0] > max_load and time.monotonic() < deadline:
        print(f"scaling: figures: load {load[0]:.2f} > {max_load:g}, waiting "
              f"({deadline - time.monotonic():.0f} s left)", file=sys.stderr, flush=True)
        time.sleep(min(5.0, max(0.1, deadline - time.monotonic())))
        load = os.getloadavg()
    return load


# ---- the steps ----------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    what: str
    run: Callable[[], None]
    seconds: float | None = None
    load_before: float | None = None


def task_lengths(n: int, mean: float, seed: int = TASK_SEED) -> list[float]:
    """n heavy-tailed task lengths: lognormal with sigma 1 and the given mean, seeded, rounded
    to microseconds (the mean of a lognormal(mu, sigma) is exp(mu + sigma^2 / 2))."""
    rng = random.Random(seed)
    sigma = 1.0
    mu = math.log(mean) - sigma * sigma / 2
    return [round(rng.lognormvariate(mu, sigma), 6) for _ in range(n)]


def write_task_file(path: Path, lengths: list[float], mean: float) -> None:
    head = (f"# {len(lengths)} task lengths in seconds: lognormal, sigma 1, mean {mean:g} s, "
            f"seed {TASK_SEED} (scripts/scaling figures)\n")
    path.write_text(head + "".join(f"{t:.6f}\n" for t in lengths))


def read_task_file(path: Path) -> list[float]:
    """The task lengths of a file written by write_task_file (# lines are comments)."""
    return [float(ln) for ln in path.read_text().splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def sweep(args: argparse.Namespace, out: Path, command: list[str], mode: str = "strong",
          warmup: int = 1) -> None:
    cfg = Config(command=command, ranks=RANKS, out=out, mode=mode, reps=args.reps,
                 warmup=warmup, launcher="mpirun", mpirun=args.mpirun, rankpool=args.rankpool,
                 timeout=600.0, overwrite=True)
    if run_sweep(cfg) != 0:
        raise RunError(f"{out.name}: runs whose results did not check out (see the CSV)")


def plot(args: argparse.Namespace, csv_path: Path, prefix: str) -> None:
    """scaling plot CSV --out IMG --prefix PREFIX --formats png; the table goes to DATA."""
    from .plots import plot_main

    ns = argparse.Namespace(csv=csv_path, out=args.img, metric="seconds_total", noise=0.25,
                            fit_oversubscribed=False, bootstrap=args.sizes.bootstrap,
                            prefix=prefix, formats=["png"])
    with contextlib.redirect_stdout(io.StringIO()):
        plot_main(ns)
    table_md = args.img / f"{prefix}table.md"
    os.replace(table_md, args.data / f"{prefix}table.md")


def model(args: argparse.Namespace) -> None:
    from .model import model_main

    s = args.sizes
    ns = argparse.Namespace(
        out=args.data / "model", plots=args.img, rankpool=args.rankpool, pingpong=args.pingpong,
        mpirun=args.mpirun, n=s.compute_n, work=s.work, tasks=s.model_tasks,
        task_seconds=s.model_task_seconds, chunksize=1, max_ranks=4096, reps=s.model_reps,
        measure_ranks=[str(p) for p in RANKS], squares_csv=args.data / "compute.csv",
        cores=None, latency=None, bandwidth=None, item_cost=None, dispatch=None, timeout=600.0,
        formats=["png"])
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model_main(ns)
    (args.data / "model" / "table.md").write_text(text.getvalue())


def executor_schedules_figure(args: argparse.Namespace) -> None:
    """The schedules side by side on the same uneven tasks: median makespan per rank count
    against the lower bound max(longest task, total / p)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .plots import log_seconds_axis, machine_line, marker_style, rank_axis, save

    lengths = read_task_file(args.data / "executor-tasks.txt")
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for i, schedule in enumerate(SCHEDULES):
        g = analyze(args.data / f"executor-{schedule}.csv", resamples=50)[0]
        color = f"C{i}"
        ax.plot([p.ranks for p in g.points], [p.summary.median for p in g.points], color=color,
                alpha=0.7, label=f"--schedule {schedule}")
        for p in g.points:
            s = p.summary
            ax.errorbar([p.ranks], [s.median], yerr=[[s.median - s.min], [s.max - s.median]],
                        capsize=3, **marker_style(p, color))
    bound = [max(max(lengths), sum(lengths) / p) for p in RANKS]
    ax.plot(RANKS, bound, color="0.45", linestyle="--", linewidth=1,
            label="lower bound max(longest, total / p)")
    log_seconds_axis(ax)
    rank_axis(ax, RANKS)
    ax.set_ylabel("makespan, s (median, bars min..max)")
    h, _ = ax.get_legend_handles_labels()
    h.append(Line2D([], [], marker="o", color="0.3", markerfacecolor="none", linestyle="none",
                    label="hollow: oversubscribed (ranks > cores)"))
    ax.legend(handles=h, fontsize=8)
    machine = machine_line(args.data / "executor-dynamic.csv")
    ax.set_title(f"Executor: {len(lengths)} sleeps, lognormal lengths (mean "
                 f"{sum(lengths) / len(lengths) * 1e3:.2g} ms, longest {max(lengths) * 1e3:.3g} ms)"
                 + (f"\n{machine}" if machine else ""), fontsize=10)
    fig.tight_layout()
    save(fig, args.img, "executor-schedules", ["png"])


def steps(args: argparse.Namespace) -> list[Step]:
    s = args.sizes
    d = args.data
    work = ["--work", str(s.work)]
    compute_cmd = ["squares", str(s.compute_n), *work]
    weak_cmd = ["squares", str(s.weak_n), *work]
    task_file = d / "executor-tasks.txt"

    def executor() -> None:
        write_task_file(task_file, task_lengths(s.tasks, s.task_mean), s.task_mean)
        for schedule in SCHEDULES:
            # the task file's path as given on the command line: relative to the repository
            # when DATA is inside it, so that the CSV's command is the same on every checkout
            csv_path = d / f"executor-{schedule}.csv"
            sweep(args, csv_path,
                  ["sleep", "--arg-file", shown(task_file), "--schedule", schedule, "--quiet"])
            # one figure for both schedules (below); each sweep's table beside its CSV
            groups = analyze(csv_path, resamples=args.sizes.bootstrap)
            (d / f"executor-{schedule}-table.md").write_text(
                "\n\n".join(table(g) for g in groups) + "\n")
        executor_schedules_figure(args)

    def compute() -> None:
        sweep(args, d / "compute.csv", compute_cmd)
        plot(args, d / "compute.csv", "compute-")

    def strong() -> None:
        sweep(args, d / "strong.csv", ["squares", str(s.memory_n)])
        plot(args, d / "strong.csv", "strong-")

    def weak() -> None:
        sweep(args, d / "weak.csv", weak_cmd, mode="weak")
        plot(args, d / "weak.csv", "weak-")

    return [
        Step("compute", f"strong, {shlex.join(compute_cmd)}", compute),
        Step("strong", f"strong, squares {s.memory_n} (memory-bound)", strong),
        Step("weak", f"weak, {shlex.join(weak_cmd)} per rank", weak),
        Step("executor", f"strong, sleep --arg-file ({s.tasks} lognormal tasks, mean "
             f"{s.task_mean:g} s), --schedule {' and '.join(SCHEDULES)}", executor),
        Step("model", f"scaling model --work {s.work}, {s.model_tasks} tasks of "
             f"{s.model_task_seconds:g} s, compared with compute.csv", lambda: model(args)),
    ]


def shown(path: Path) -> str:
    """A path relative to the current directory when it is inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


# ---- the summary --------------------------------------------------------------------------


def num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def secs(x: float) -> str:
    if x < 0.01:
        return f"{x * 1e3:.3g} ms"
    return f"{x:.3f} s" if x < 1 else f"{x:.2f} s"


def runs(p: Point) -> str:
    return f"{p.summary.count} run{'s' if p.summary.count > 1 else ''}"


def rank_list(g: Group, what: Callable[[Point], str]) -> str:
    """'1: x, 2: y, 3*: z' over the points (* = oversubscribed)."""
    return ", ".join(f"{p.ranks}{'*' if p.oversubscribed else ''}: {what(p)}" for p in g.points)


def noisy_note(g: Group) -> str:
    noisy = [str(p.ranks) for p in g.points if p.noisy]
    return (f" Noisy (spread over 25%) at {', '.join(noisy)} ranks." if noisy else "")


def strong_text(g: Group) -> str:
    b = g.base
    lines = [f"`{g.command}`, median of {runs(b)}, in-process time (slowest rank). "
             f"Time: {rank_list(g, lambda p: secs(p.summary.median))}. "
             f"Speedup: {rank_list(g, lambda p: num(p.speedup))}; "
             f"efficiency: {rank_list(g, lambda p: f'{p.efficiency:.0%}')} "
             "(* oversubscribed)."]
    if g.fit:
        f = g.fit
        lines.append(f"Amdahl fit over the ranks with a core each: serial fraction f = "
                     f"{f.f:.3f} (95% bootstrap interval {f.f_low:.3f} to {f.f_high:.3f}).")
    kf = [p for p in g.points if p.karp_flatt is not None]
    if kf:
        lines.append("Karp-Flatt e(p): " + rank_list(
            g, lambda p: num(p.karp_flatt, 3) if p.karp_flatt is not None else "-") + "."
                     + noisy_note(g))
    return " ".join(lines)


def weak_text(g: Group) -> str:
    b = g.base
    return (f"`{g.command}` per rank (N times the ranks), median of {runs(b)}. "
            f"Time: {rank_list(g, lambda p: secs(p.summary.median))}. Scaled efficiency "
            f"T(1)/T(p): {rank_list(g, lambda p: f'{p.efficiency:.0%}')} (* oversubscribed)."
            + noisy_note(g))


def phases_text(g: Group) -> str:
    def ph(p: Point) -> str:  # phases under 1% of the largest left out
        top = max(p.phases.values(), default=0.0)
        return " + ".join(f"{k} {secs(v)}" for k, v in p.phases.items() if v >= 0.01 * top)
    return f"`{g.command}`, medians per phase: {rank_list(g, ph)}."


def imbalance_text(g: Group) -> str:
    if not any(p.imbalance is not None for p in g.points):
        return "(the reports have no per-rank compute times)"
    return (f"`{g.command}`, max / mean of the ranks' compute times (median over the runs): "
            + rank_list(g, lambda p: num(p.imbalance, 3)) + " (* oversubscribed).")


def executor_text(groups: dict[str, Group], lengths: list[float]) -> str:
    total = sum(lengths)
    parts = [f"{len(lengths)} sleeps, {secs(total)} in all, longest {secs(max(lengths))}; "
             "lower bound max(longest, total / p): "
             + ", ".join(f"{p}: {secs(max(max(lengths), total / p))}" for p in RANKS) + "."]
    for name, g in groups.items():
        parts.append(f"`--schedule {name}`: "
                     + rank_list(g, lambda p: f"{secs(p.summary.median)} "
                                 f"(speedup {num(p.speedup)})") + "." + noisy_note(g))
    return " ".join(parts)


def model_text(m: dict[str, Any], squares: Group | None, executor: Group | None) -> str:
    """The constants, predicted beside measured at 1-4 ranks, and what the model says beyond."""
    c = m["constants"]
    ex = m["executor"]
    preds = {r["ranks"]: r for r in m["predictions"]}
    bound = 1 + c["item_cost"] * c["bandwidth"] / 8
    sat = ex["task_seconds_measured"] * ex["chunksize"] / c["dispatch"]
    big = max(preds)
    what = f"squares {m['squares_n']:,}" + (f" --work {m['squares_work']}"
                                            if m.get("squares_work") else "")

    def side_by_side(key: str, group: Group | None) -> str:
        measured = {p.ranks: p.summary.median for p in group.points} if group else {}
        return ", ".join(f"{p}: {secs(preds[p][key])}"
                         + (f" / {secs(measured[p])}" if p in measured else "")
                         for p in RANKS if p in preds)

    return (f"Constants: latency a = {c['latency'] * 1e6:.2f} us, bandwidth b = "
            f"{c['bandwidth'] / 1e9:.2f} GB/s, compute c = {c['item_cost'] * 1e9:.1f} ns/item "
            f"({what} at 1 rank), dispatch d = {c['dispatch'] * 1e6:.2f} us per chunk. "
            f"{what}, predicted (this machine's {c['cores']} cores shared) / measured: "
            + side_by_side("squares_total_this_machine", squares)
            + f"; speedup bound 1 + c b / 8 = {bound:,.0f}. Executor, "
            f"{ex['tasks']:,} tasks of {ex['task_seconds_measured'] * 1e3:.3g} ms (as measured "
            "at 1 rank), predicted / measured: " + side_by_side("executor", executor)
            + f"; one master saturates at k t / d = {sat:,.0f} workers with chunks of "
            f"{ex['chunksize']}; at {big} ranks predicted {secs(preds[big]['executor'])} "
            f"(chunk {ex['chunksize']}) and {secs(preds[big]['executor_at_best_chunk'])} "
            f"(best chunk {preds[big]['executor_best_chunk']}).")


def summary(args: argparse.Namespace, record: dict[str, Any]) -> dict[str, str]:
    """One paragraph per README marker, from what DATA holds."""
    d = args.data
    out: dict[str, str] = {}
    load = record["load_average"]
    steal = record.get("cpu_steal_percent")
    cmd = "scripts/scaling figures" + (" --quick" if args.quick else "")
    machine = (f"Made by `{cmd}` on {record['date'][:10]} "
               f"({record['cpu']['model']}, {record['cpu']['cores']} cores, "
               f"{record['sizes']['reps']} run{'s' if record['sizes']['reps'] > 1 else ''} per "
               f"rank count); load average "
               f"{load['start'][0]:.2f} before, {load['end'][0]:.2f} after"
               + (f", CPU steal {steal:.1f}%" if steal is not None else "") + ".")
    if record.get("warnings"):
        machine = "**WARNING: " + "; ".join(record["warnings"]) + ".** " + machine
    out["machine"] = machine

    def group(name: str) -> Group | None:
        path = d / f"{name}.csv"
        if not path.exists():
            return None
        return analyze(path, resamples=args.sizes.bootstrap)[0]

    if g := group("compute"):
        out["compute"] = strong_text(g)
        out["imbalance"] = imbalance_text(g)
    if g := group("strong"):
        out["strong"] = strong_text(g)
        out["phases"] = phases_text(g)
    if g := group("weak"):
        out["weak"] = weak_text(g)
    task_file = d / "executor-tasks.txt"
    if task_file.exists() and all((d / f"executor-{s}.csv").exists() for s in SCHEDULES):
        lengths = read_task_file(task_file)
        out["executor"] = executor_text(
            {s: analyze(d / f"executor-{s}.csv", resamples=50)[0] for s in SCHEDULES}, lengths)
    model_json = d / "model" / "model.json"
    measured_executor = d / "model" / "measured-executor.csv"
    if model_json.exists():
        out["model"] = model_text(
            json.loads(model_json.read_text()), group("compute"),
            analyze(measured_executor, resamples=50)[0] if measured_executor.exists() else None)
    return out


MARKER = re.compile(r"(<!-- figures:(\w+) -->\n)(.*?)(<!-- /figures:\2 -->)", re.S)


MARKDOWN_LINE_START = re.compile(r"^([-+*>#|]|\d+[.)])(\s|$)")


def wrap(text: str, width: int = 96) -> str:
    """text in lines of at most `width` columns (a longer word stays whole), none of which
    starts like a markdown list, quote, heading or table ('+ gather', '- ', '1. ')."""
    lines: list[str] = []
    for line in textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False):
        if lines and MARKDOWN_LINE_START.match(line):
            lines[-1] += " " + line
        else:
            lines.append(line)
    return "\n".join(lines)


def fill_readme(path: Path, texts: dict[str, str]) -> list[str]:
    """Replaces the text between each <!-- figures:NAME --> and <!-- /figures:NAME --> with
    texts[NAME]; returns the names filled."""
    filled: list[str] = []

    def repl(m: re.Match[str]) -> str:
        if m.group(2) not in texts:
            return m.group(0)
        filled.append(m.group(2))
        prefix = "" if m.group(2) == "machine" else "*Measured:* "
        return m.group(1) + wrap(prefix + texts[m.group(2)]) + "\n" + m.group(4)

    text = MARKER.sub(repl, path.read_text())
    path.write_text(text)
    return filled


def mark_sweeps(data: Path, since: float, record: dict[str, Any]) -> None:
    """Adds to each sweep's .meta.json written by this run which figures run made it, and
    whether the machine was loaded (so that a CSV taken on its own still says so)."""
    note = {"record": "figures.json", "date": record["date"], "quick": record["quick"],
            "forced": record["forced"], "warnings": record["warnings"]}
    for path in [*data.glob("*.meta.json"), *data.glob("model/*.meta.json")]:
        if path.stat().st_mtime >= since:
            meta = json.loads(path.read_text())
            meta["figures"] = note
            write_json(path, meta)


def stale_images(img: Path, written_since: float) -> list[str]:
    """PNGs in IMG that this run did not write (left from an older set of figures)."""
    return sorted(p.name for p in img.glob("*.png") if p.stat().st_mtime < written_since)


# ---- main ---------------------------------------------------------------------------------


def publish(args: argparse.Namespace, texts: dict[str, str]) -> None:
    """The summary to stdout and DATA/summary.md, and into --readme."""
    md = "\n\n".join(f"**{k}**: {v}" for k, v in texts.items()) + "\n"
    (args.data / "summary.md").write_text(md)
    print(md, end="")
    if args.readme is not None:
        filled = fill_readme(args.readme, texts)
        print(f"scaling: figures: filled {args.readme}: {', '.join(filled) or 'no markers'}",
              file=sys.stderr)


def summary_only(args: argparse.Namespace) -> int:
    """--summary: the summary of an earlier run's DATA, nothing measured."""
    path = args.data / "figures.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: no figures run to summarize ({e})") from None
    args.quick = bool(record.get("quick"))
    args.sizes = Sizes(**record["sizes"]) if "sizes" in record else args.sizes
    publish(args, summary(args, record))
    return 0


def figures_main(args: argparse.Namespace) -> int:
    args.sizes = QUICK if args.quick else FULL
    if args.reps is not None:
        if args.reps < 1:
            raise UsageError(f"--reps must be >= 1, got {args.reps}")
        args.sizes = Sizes(**{**asdict(args.sizes), "reps": args.reps})
    args.reps = args.sizes.reps
    if args.max_load <= 0:
        raise UsageError(f"--max-load must be > 0, got {args.max_load:g}")
    if args.wait < 0:
        raise UsageError(f"--wait must be >= 0, got {args.wait:g}")
    if args.readme is not None and not args.readme.is_file():
        raise UsageError(f"{args.readme}: no such file")
    if args.summary:
        return summary_only(args)
    if not (os.path.isfile(args.rankpool) and os.access(args.rankpool, os.X_OK)):
        raise UsageError(f"{args.rankpool}: no rankpool binary there (build rankpool_cli, or "
                         "give --rankpool PATH)")
    pingpong = args.pingpong or str(Path(args.rankpool).resolve().parent / "tests" / "reference"
                                    / "pingpong_ref")
    wanted = set(args.only or ("compute", "strong", "weak", "executor", "model"))
    if "model" in wanted and not Path(pingpong).is_file():
        raise UsageError(f"{pingpong}: no pingpong_ref (build the pingpong_ref target, or give "
                         "--pingpong PATH)")
    if "model" in wanted and "compute" not in wanted and not (args.data / "compute.csv").exists():
        raise UsageError(f"the model compares with {args.data / 'compute.csv'}: remake "
                         "'compute' too")
    todo = [s for s in steps(args) if s.name in wanted]
    if args.dry_run:
        for s in todo:
            print(f"{s.name}: {s.what}")
        return 0

    load = wait_for_quiet(args.max_load, args.wait) if args.wait else os.getloadavg()
    warning = check_load(args.max_load, args.force, load)
    warnings = [warning] if warning else []
    if warning:
        print(f"scaling: figures: WARNING: {warning}; running anyway (--force), and the "
              "summary and figures.json say so", file=sys.stderr, flush=True)
    for path in (args.data, args.img, args.data / "model"):
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"{path}: {e.strerror}") from None

    # as the README's figures are described: no probe for interconnects a workstation lacks
    os.environ.setdefault("OMPI_MCA_pml", "ob1")
    began, t0, cpu0 = now(), time.time(), cpu_times()
    for i, s in enumerate(todo, 1):
        s.load_before = os.getloadavg()[0]
        print(f"scaling: figures: [{i}/{len(todo)}] {s.name}: {s.what} (load "
              f"{s.load_before:.2f})", file=sys.stderr, flush=True)
        t = time.perf_counter()
        s.run()
        s.seconds = round(time.perf_counter() - t, 1)
    load_end = os.getloadavg()
    steal = steal_percent(cpu0, cpu_times())
    record: dict[str, Any] = {
        "tool": "scripts/scaling figures",
        "date": began,
        "finished": now(),
        "command": shlex.join(["scripts/scaling", *sys.argv[1:]]),
        "quick": args.quick,
        "forced": bool(args.force and warnings),
        "warnings": warnings,
        "max_load": args.max_load,
        "load_average": {"start": list(load), "end": list(load_end)},
        "cpu_steal_percent": round(steal, 2) if steal is not None else None,
        "cpu": {"model": cpu_model(), "cores": local_cores()},
        "environment": relevant_env(os.environ),
        "ranks": RANKS,
        "sizes": asdict(args.sizes),
        "steps": [{"name": s.name, "what": s.what, "seconds": s.seconds,
                   "load_before": s.load_before} for s in todo],
    }
    if warnings:
        print(f"scaling: figures: WARNING: these figures were measured on a loaded machine: "
              f"{warnings[0]}", file=sys.stderr)
    texts = summary(args, record)
    record["summary"] = texts
    write_json(args.data / "figures.json", record)
    mark_sweeps(args.data, t0, record)
    publish(args, texts)
    if set(wanted) == {"compute", "strong", "weak", "executor", "model"}:
        stale = stale_images(args.img, t0)
        if stale:
            print(f"scaling: figures: not remade by this run (older figures, remove them or "
                  f"keep them knowingly): {', '.join(stale)}", file=sys.stderr)
    print(f"scaling: figures: done in {time.time() - t0:.0f} s: {args.img}, {args.data}",
          file=sys.stderr)
    return 0
