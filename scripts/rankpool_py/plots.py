"""Figures of a sweep (`scaling plot CSV --out DIR`), matplotlib with the Agg backend.

Per (command, mode) group: time against ranks (log-log, ideal line, min/median/max bars, the
Amdahl fit), speedup and efficiency, the phases stacked per rank count, load imbalance (when
the reports have per-rank compute times) and, for strong scaling, Karp-Flatt against the fitted
serial fraction. Oversubscribed points have hollow markers (hatched bars), noisy points a red
ring; the legend says so. The table goes to stdout and DIR/table.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    FormatStrFormatter,
    LogLocator,
    NullFormatter,
    ScalarFormatter,
)

from . import perf  # noqa: E402
from .analysis import Group, Point, analyze, table  # noqa: E402
from .errors import UsageError  # noqa: E402
from .sweep import outputs  # noqa: E402

COLOR = "C0"
FIT_COLOR = "C1"
IDEAL = dict(color="0.45", linestyle="--", linewidth=1)
NOISY_RING = dict(marker="o", markersize=15, markerfacecolor="none", markeredgecolor="red",
                  linestyle="none", markeredgewidth=1.2)


def marker_style(p: Point, color: str = COLOR) -> dict[str, Any]:
    """Filled marker, hollow when oversubscribed."""
    return dict(marker="o", markersize=7, color=color, markeredgecolor=color,
                markerfacecolor="none" if p.oversubscribed else color, linestyle="none")


def flag_handles(group: Group, noise: float) -> list[Line2D]:
    """Legend entries that explain hollow markers and red rings, when a point has them."""
    handles = []
    if any(p.oversubscribed for p in group.points):
        handles.append(Line2D([], [], marker="o", color=COLOR, markerfacecolor="none",
                              linestyle="none", label="hollow: oversubscribed (ranks > cores)"))
    if any(p.noisy for p in group.points):
        handles.append(Line2D([], [], **NOISY_RING,
                              label=f"noisy: (max-min)/median > {noise:.0%}"))
    return handles


def rank_axis(ax: plt.Axes, ranks: list[int], log: bool = True) -> None:
    """x axis of rank counts, log2-spaced, ticks at the measured counts."""
    if log:
        ax.set_xscale("log", base=2)
    ax.set_xticks(ranks)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("ranks")
    ax.grid(True, which="major", alpha=0.3)


def log_seconds_axis(ax: plt.Axes) -> None:
    """Log y axis with ticks at 1, 2 and 5 of each decade, written as plain numbers."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def points_with_bars(ax: plt.Axes, pts: list[Point], ys: list[float], lows: list[float],
                     highs: list[float]) -> None:
    """Median markers with min..max bars, hollow when oversubscribed, ringed when noisy."""
    ax.plot([p.ranks for p in pts], ys, color=COLOR, linewidth=1, alpha=0.6)
    for p, y, lo, hi in zip(pts, ys, lows, highs):
        ax.errorbar([p.ranks], [y], yerr=[[max(0.0, y - lo)], [max(0.0, hi - y)]], capsize=3,
                    ecolor=COLOR, elinewidth=1, **marker_style(p))
        if p.noisy:
            ax.plot([p.ranks], [y], **NOISY_RING)


def title(ax_or_fig: Any, group: Group, what: str, machine: str) -> None:
    text = f"{what}: rankpool {group.command} ({group.mode} scaling)"
    if machine:
        text += f"\n{machine}"
    if isinstance(ax_or_fig, plt.Figure):
        ax_or_fig.suptitle(text, fontsize=10)
    else:
        ax_or_fig.set_title(text, fontsize=10)


def fit_ranks(group: Group) -> np.ndarray:
    lo, hi = group.points[0].ranks, group.points[-1].ranks
    return np.geomspace(lo, hi, 100) if hi > lo else np.array([lo])


def plot_time(group: Group, machine: str, noise: float) -> plt.Figure:
    """Median time per rank count (log-log) with min/max bars, the ideal and the Amdahl fit."""
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    pts, b = group.points, group.base
    points_with_bars(ax, pts, [p.summary.median for p in pts], [p.summary.min for p in pts],
                     [p.summary.max for p in pts])
    xs = fit_ranks(group)
    if group.mode == "strong":
        ax.plot(xs, b.summary.median * b.ranks / xs, **IDEAL, label="ideal: T(base) base / p")
    else:
        ax.plot(xs, np.full_like(xs, b.summary.median), **IDEAL, label="ideal: constant")
    if group.fit:
        f = group.fit
        ax.plot(xs, [perf.amdahl_time(x, f.t1, f.f) for x in xs], color=FIT_COLOR, linewidth=1.2,
                label=f"Amdahl fit, f = {f.f:.3f} [{f.f_low:.3f}, {f.f_high:.3f}]")
    log_seconds_axis(ax)
    rank_axis(ax, [p.ranks for p in pts])
    ax.set_ylabel(f"{group.metric} (median, bars min..max)")
    handles = [Line2D([], [], **marker_style(b), label="measured")]
    h, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + h + flag_handles(group, noise), fontsize=8)
    title(ax, group, "Time", machine)
    fig.tight_layout()
    return fig


def plot_speedup(group: Group, machine: str, noise: float) -> plt.Figure:
    """Speedup and parallel efficiency against the ideal, with the Amdahl curve."""
    fig, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(10, 4.4))
    pts, b = group.points, group.base
    ranks = [p.ranks for p in pts]
    points_with_bars(ax_s, pts, [p.speedup for p in pts], [p.speedup_low for p in pts],
                     [p.speedup_high for p in pts])
    points_with_bars(ax_e, pts, [p.efficiency for p in pts],
                     [p.speedup_low / p.ranks for p in pts],
                     [p.speedup_high / p.ranks for p in pts])
    xs = fit_ranks(group)
    ax_s.plot(xs, xs, **IDEAL, label="ideal")
    ax_e.axhline(1.0, **IDEAL, label="ideal")
    if group.fit:
        f = group.fit
        s_fit = b.summary.median * b.ranks / np.array([perf.amdahl_time(x, f.t1, f.f) for x in xs])
        ax_s.plot(xs, s_fit, color=FIT_COLOR, linewidth=1.2, label=f"Amdahl, f = {f.f:.3f}")
        ax_e.plot(xs, s_fit / xs, color=FIT_COLOR, linewidth=1.2, label=f"Amdahl, f = {f.f:.3f}")
    for ax in (ax_s, ax_e):
        rank_axis(ax, ranks, log=False)
    ax_s.set_ylabel("speedup" if group.mode == "strong" else "scaled speedup p T(base) / T(p)")
    ax_e.set_ylabel("parallel efficiency")
    ax_e.set_ylim(bottom=0)
    ax_s.set_ylim(bottom=0)
    h, _ = ax_s.get_legend_handles_labels()
    ax_s.legend(handles=h + flag_handles(group, noise), fontsize=8)
    ax_e.legend(fontsize=8)
    title(fig, group, "Speedup and efficiency", machine)
    fig.tight_layout()
    return fig


def hatched(bars: Any, pts: list[Point]) -> None:
    """Hatches the bars of oversubscribed points."""
    for bar, p in zip(bars, pts):
        if p.oversubscribed:
            bar.set_hatch("//")


def plot_phases(group: Group, machine: str) -> plt.Figure:
    """Median of each phase per rank count, stacked, with the median total marked (medians of
    phases need not add up to the median total); a report with no phases but the total (the
    executor's makespan) gets one bar of it."""
    fig, ax = plt.subplots(figsize=(7.6, 4.6))
    pts = group.points
    names = [n for n in dict.fromkeys(k for p in pts for k in p.phases)]
    x = np.arange(len(pts))
    bottom = np.zeros(len(pts))
    for i, name in enumerate(names):
        h = np.array([p.phases.get(name, 0.0) for p in pts])
        hatched(ax.bar(x, h, bottom=bottom, color=f"C{i}", edgecolor="white", label=name), pts)
        bottom += h
    medians = np.array([p.summary.median for p in pts])
    if not names:
        hatched(ax.bar(x, medians, color="0.6", edgecolor="white", label=group.metric), pts)
        bottom = medians
    else:
        ax.plot(x, medians, linestyle="none", marker="_", markersize=40, markeredgewidth=2,
                color="k")
    tops = np.maximum(bottom, medians)
    for xi, p, top in zip(x, pts, tops):
        if p.noisy:
            ax.text(xi, top, "noisy", ha="center", va="bottom", color="red", fontsize=8)
    ax.set_xticks(x, [str(p.ranks) for p in pts])
    ax.set_xlabel("ranks")
    ax.set_ylabel("seconds (median of each phase, slowest rank)")
    ax.set_ylim(0, 1.1 * float(tops.max()))
    handles, _ = ax.get_legend_handles_labels()
    handles = handles[::-1]  # top of the stack first
    if names:
        handles.append(Line2D([], [], linestyle="none", marker="_", markersize=14,
                              markeredgewidth=2, color="k", label=f"median {group.metric}"))
    if any(p.oversubscribed for p in pts):
        handles.append(Patch(facecolor="white", edgecolor="0.3", hatch="//",
                             label="hatched: oversubscribed"))
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    title(ax, group, "Phases", machine)
    fig.tight_layout()
    return fig


def plot_imbalance(group: Group, machine: str, noise: float) -> plt.Figure | None:
    """max / mean of the ranks' compute times per rank count; None without per-rank times."""
    pts = [p for p in group.points if p.imbalance is not None]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.plot([p.ranks for p in pts], [p.imbalance for p in pts], color=COLOR, alpha=0.6)
    for p in pts:
        ax.plot([p.ranks], [p.imbalance], **marker_style(p))
        if p.noisy:
            ax.plot([p.ranks], [p.imbalance], **NOISY_RING)
    ax.axhline(1.0, **IDEAL, label="balanced")
    rank_axis(ax, [p.ranks for p in pts])
    ax.set_ylabel("load imbalance: max / mean compute (median)")
    h, _ = ax.get_legend_handles_labels()
    ax.legend(handles=h + flag_handles(group, noise), fontsize=8)
    title(ax, group, "Load imbalance", machine)
    fig.tight_layout()
    return fig


def plot_karp_flatt(group: Group, machine: str, noise: float) -> plt.Figure | None:
    """Karp-Flatt e(p) per point beside the Amdahl fit's f and its interval (strong only)."""
    pts = [p for p in group.points if p.karp_flatt is not None]
    if group.mode != "strong" or not pts:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for p in pts:
        ax.plot([p.ranks], [p.karp_flatt], **marker_style(p))
        if p.noisy:
            ax.plot([p.ranks], [p.karp_flatt], **NOISY_RING)
    ax.plot([p.ranks for p in pts], [p.karp_flatt for p in pts], color=COLOR, alpha=0.6,
            label="Karp-Flatt e(p) = (1/S - 1/p) / (1 - 1/p)")
    if group.fit:
        f = group.fit
        ax.axhline(f.f, color=FIT_COLOR, linewidth=1.2, label=f"Amdahl fit f = {f.f:.3f}")
        ax.axhspan(f.f_low, f.f_high, color=FIT_COLOR, alpha=0.15,
                   label=f"{f.level:.0%} bootstrap interval")
    ax.axhline(0.0, **IDEAL)
    rank_axis(ax, [p.ranks for p in pts])
    ax.set_ylabel("serial fraction")
    h, _ = ax.get_legend_handles_labels()
    ax.legend(handles=h + flag_handles(group, noise), fontsize=8)
    title(ax, group, "Karp-Flatt metric", machine)
    fig.tight_layout()
    return fig


def machine_line(csv_path: Path) -> str:
    """'AMD EPYC, 2 cores, mpirun (Open MPI) 4.1.4' from the sweep's metadata, if present."""
    try:
        meta = json.loads(outputs(csv_path)[1].read_text())
    except (OSError, ValueError):
        return ""
    cpu = meta.get("cpu", {})
    hosts = meta.get("hosts", {}).get("ranks") or []
    parts = [f"{cpu.get('model', '?')}, {cpu.get('cores', '?')} cores"]
    if len(hosts) > 1:
        parts.append(f"{len(hosts)} hosts")
    if meta.get("mpi", {}).get("mpirun_version"):
        parts.append(meta["mpi"]["mpirun_version"])
    return ", ".join(parts)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40]


def save(fig: plt.Figure, out: Path, name: str, formats: list[str]) -> list[Path]:
    paths = []
    for fmt in formats:
        path = out / f"{name}.{fmt}"
        fig.savefig(path, dpi=120)
        paths.append(path)
    plt.close(fig)
    return paths


def plot_main(args: argparse.Namespace) -> int:
    """`scaling plot`: figures and table of every group in the CSV."""
    groups = analyze(args.csv, args.metric, args.noise, args.fit_oversubscribed, args.bootstrap)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{args.out}: {e.strerror}") from None
    machine = machine_line(args.csv)
    tables, written = [], []
    for group in groups:
        prefix = args.prefix + (f"{slug(group.command)}-{group.mode}-" if len(groups) > 1 else "")
        figures = {
            "time": plot_time(group, machine, args.noise),
            "speedup": plot_speedup(group, machine, args.noise),
            "phases": plot_phases(group, machine),
            "imbalance": plot_imbalance(group, machine, args.noise),
            "karp_flatt": plot_karp_flatt(group, machine, args.noise),
        }
        for name, fig in figures.items():
            if fig is not None:
                written += save(fig, args.out, prefix + name, args.formats)
        if figures["imbalance"] is None:
            print(f"scaling: no imbalance plot for '{group.command}': the reports have no "
                  "per-rank compute times (rank_seconds.compute)", file=sys.stderr)
        tables.append(table(group))
    text = "\n\n".join(tables) + "\n"
    (args.out / f"{args.prefix}table.md").write_text(text)
    print(text, end="")
    for path in written:
        print(f"scaling: wrote {path}", file=sys.stderr)
    return 0
