"""A sweep's CSV as scaling figures per rank count (no plotting here).

Groups the rows by (command, mode), summarizes each rank count's repetitions, and computes
speedup, efficiency, Karp-Flatt, load imbalance, phase medians, the oversubscribed and noisy
flags, and for strong scaling the Amdahl fit, with perf's math.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from . import perf
from .errors import UsageError
from .sweep import read_csv

REQUIRED = ("command", "mode", "ranks", "repetition", "oversubscribed", "ok")


@dataclass
class Point:
    """One rank count of one group, over its repetitions."""

    ranks: int
    times: list[float]
    summary: perf.Summary
    oversubscribed: bool
    noisy: bool
    n: int | None
    nodes: int | None
    phases: dict[str, float]  # median seconds per phase, total excluded
    imbalance: float | None  # median over repetitions of max / mean compute across ranks
    speedup: float = math.nan
    speedup_low: float = math.nan
    speedup_high: float = math.nan
    efficiency: float = math.nan
    karp_flatt: float | None = None


@dataclass
class Group:
    """The rank counts of one command in one mode."""

    command: str
    mode: str
    task: str
    metric: str
    points: list[Point]
    fit: perf.AmdahlFit | None = None
    fit_note: str = ""
    dropped: int = 0  # runs left out because their results did not check out
    notes: list[str] = field(default_factory=list)

    @property
    def base(self) -> Point:
        return self.points[0]


def as_bool(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


def as_float(text: str | None, where: str) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{where}: '{text}' is not a number") from None


def as_int(text: str, where: str) -> int:
    value = as_float(text, where)
    if value is None or value != int(value):
        raise UsageError(f"{where}: '{text}' is not a whole number")
    return int(value)


def phase_names(header: Iterable[str]) -> list[str]:
    """The seconds_<phase> columns, total excluded, in the CSV's order."""
    return [c[8:] for c in header if c.startswith("seconds_") and c != "seconds_total"]


def summarize_point(ranks: int, rows: list[Mapping[str, str]], metric: str, phases: list[str],
                    noise: float, where: str) -> Point | None:
    """One rank count's rows (ok ones) as a Point; None when no row has the metric."""
    times = []
    for r in rows:
        t = as_float(r.get(metric), f"{where}: {metric}")
        if t is not None:
            times.append(t)
    if not times:
        return None
    medians = {}
    for ph in phases:
        vals = [v for r in rows if (v := as_float(r.get(f"seconds_{ph}"), where)) is not None]
        if vals:
            medians[ph] = perf.median(vals)
    ratios = []
    for r in rows:
        mx = as_float(r.get("compute_max"), where)
        mean = as_float(r.get("compute_mean"), where)
        if mx is not None and mean:
            ratios.append(mx / mean)
    summary = perf.summarize(times)
    n = as_float(rows[0].get("n"), where)
    nodes = as_float(rows[0].get("nodes"), where)
    return Point(
        ranks=ranks, times=times, summary=summary,
        oversubscribed=any(as_bool(r["oversubscribed"]) for r in rows),
        noisy=summary.count > 1 and summary.spread > noise,
        n=int(n) if n is not None else None, nodes=int(nodes) if nodes is not None else None,
        phases=medians, imbalance=perf.median(ratios) if ratios else None,
    )


def add_scaling(group: Group) -> None:
    """Speedup (with the range from min/max times), efficiency and Karp-Flatt per point,
    against the smallest rank count."""
    b = group.base
    for pt in group.points:
        if group.mode == "strong":
            s = perf.strong_speedup(b.summary.median, b.ranks, pt.summary.median)
            lo = perf.strong_speedup(b.summary.median, b.ranks, pt.summary.max)
            hi = perf.strong_speedup(b.summary.median, b.ranks, pt.summary.min)
        else:
            s = perf.weak_speedup(b.summary.median, b.ranks, pt.ranks, pt.summary.median)
            lo = perf.weak_speedup(b.summary.median, b.ranks, pt.ranks, pt.summary.max)
            hi = perf.weak_speedup(b.summary.median, b.ranks, pt.ranks, pt.summary.min)
        pt.speedup, pt.speedup_low, pt.speedup_high = s, lo, hi
        pt.efficiency = perf.efficiency(s, pt.ranks)
        if group.mode == "strong" and pt.ranks > 1:
            pt.karp_flatt = perf.karp_flatt(s, pt.ranks)


def add_fit(group: Group, fit_oversubscribed: bool, resamples: int) -> None:
    """Amdahl's law over the points a fit may use (oversubscribed ones left out unless asked)."""
    if group.mode != "strong":
        return
    used = [p for p in group.points if fit_oversubscribed or not p.oversubscribed]
    if len({p.ranks for p in used}) < 2:
        group.fit_note = ("no Amdahl fit: it needs two or more rank counts that are not "
                          "oversubscribed (--fit-oversubscribed lets them in)")
        return
    group.fit = perf.bootstrap_amdahl({p.ranks: p.times for p in used}, resamples=resamples)
    left_out = [p.ranks for p in group.points if p not in used]
    group.fit_note = (f"Amdahl fit over ranks {', '.join(str(p.ranks) for p in used)}"
                      + (f" (oversubscribed {', '.join(map(str, left_out))} left out)"
                         if left_out else ""))


def analyze(csv_path: Path, metric: str = "seconds_total", noise: float = 0.25,
            fit_oversubscribed: bool = False, resamples: int = 2000) -> list[Group]:
    """Every (command, mode) group of a sweep's CSV, points sorted by rank count."""
    if noise < 0:
        raise UsageError(f"--noise must be >= 0, got {noise}")
    if resamples < 1:
        raise UsageError(f"--bootstrap must be >= 1, got {resamples}")
    header, rows = read_csv(csv_path, (*REQUIRED, metric))
    if not rows:
        raise UsageError(f"{csv_path}: no runs in it")
    phases = phase_names(header)
    by_group: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        by_group.setdefault((row["command"], row["mode"]), []).append(row)
    groups = []
    for (command, mode), grows in by_group.items():
        if mode not in ("strong", "weak"):
            raise UsageError(f"{csv_path}: mode must be strong or weak, got '{mode}'")
        ok = [r for r in grows if as_bool(r["ok"])]
        by_ranks: dict[int, list[dict[str, str]]] = {}
        for r in ok:
            by_ranks.setdefault(as_int(r["ranks"], f"{csv_path}: ranks"), []).append(r)
        points = [pt for p in sorted(by_ranks) if (pt := summarize_point(
            p, by_ranks[p], metric, phases, noise, str(csv_path))) is not None]
        if not points:
            raise UsageError(f"{csv_path}: no successful runs with {metric} for '{command}'")
        g = Group(command, mode, grows[0].get("task", "") or command.split()[0], metric, points,
                  dropped=len(grows) - len(ok))
        add_scaling(g)
        add_fit(g, fit_oversubscribed, resamples)
        groups.append(g)
    return groups


def fmt(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.{digits}g}" if abs(x) < 1e-3 and x != 0 else f"{x:.{digits}f}"


def table(group: Group) -> str:
    """The group as a markdown table, with the Amdahl fit and the flags explained below it."""
    strong = group.mode == "strong"
    head = ["ranks", "nodes", "N", "runs", f"median {group.metric}", "min", "max", "spread",
            "speedup", "efficiency"] + (["Karp-Flatt e"] if strong else []) + ["imbalance", "flags"]
    lines = [f"{group.command} ({group.mode} scaling)", "",
             "| " + " | ".join(head) + " |", "|" + "---:|" * (len(head) - 1) + "---|"]
    for p in group.points:
        flags = [f for f, on in (("oversubscribed", p.oversubscribed), ("noisy", p.noisy)) if on]
        s = p.summary
        cells = [str(p.ranks), str(p.nodes or ""), f"{p.n:,}" if p.n is not None else "",
                 str(s.count), fmt(s.median, 6), fmt(s.min, 6), fmt(s.max, 6), f"{s.spread:.0%}",
                 fmt(p.speedup, 2), fmt(p.efficiency, 2)]
        if strong:
            cells.append(fmt(p.karp_flatt, 3))
        cells += [fmt(p.imbalance, 3), ", ".join(flags)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    base = group.base
    lines.append(f"Speedup against {base.ranks} rank{'s' if base.ranks > 1 else ''}"
                 + (" (scaled: p T(base) / T(p))" if not strong else "")
                 + "; spread = (max - min) / median over the runs.")
    if group.fit:
        f = group.fit
        lines.append(f"{group.fit_note}, {f.points} runs: serial fraction f = {f.f:.4f} "
                     f"({f.level:.0%} bootstrap CI {f.f_low:.4f} to {f.f_high:.4f}), "
                     f"T1 = {f.t1:.6f} s ({f.t1_low:.6f} to {f.t1_high:.6f}).")
    elif group.fit_note:
        lines.append(group.fit_note + ".")
    if group.dropped:
        lines.append(f"{group.dropped} runs whose results did not check out are left out.")
    return "\n".join(lines)
