"""The `scaling` command line: sweep, plot and model.

Errors are one line on stderr, `scaling: error: ...`, with exit 2 for bad input and 1 for a run
that failed; an interrupted sweep exits 130 and keeps its rows.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import NoReturn, Sequence

from .errors import RunError, UsageError

REPO = Path(__file__).resolve().parents[2]


class Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as UsageError (one line) instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def default_rankpool() -> str:
    return os.environ.get("RANKPOOL", str(REPO / "build" / "rankpool"))


def add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a rankpool command at several rank counts",
        description="Runs `rankpool ARGS --json` at each rank count, warm-ups first, then the "
        "repetitions (interleaved over rank counts), and appends one row per run to OUT (CSV) "
        "and OUT's .jsonl; OUT's .meta.json describes the sweep.",
        epilog="example: scripts/scaling sweep --ranks 1 2 4 --reps 5 --out strong.csv -- "
        "squares 100000000",
    )
    p.add_argument("--ranks", nargs="+", required=True, metavar="P",
                   help="rank counts, e.g. --ranks 1 2 4 or --ranks 1,2,4")
    p.add_argument("--mode", default="strong", choices=("strong", "weak"),
                   help="strong: the command as given at every rank count; weak: its problem "
                   "size (N after the command name, or --repeat) is per rank, times the ranks")
    p.add_argument("--reps", type=int, default=5, help="measured runs per rank count (5)")
    p.add_argument("--warmup", type=int, default=1, help="unrecorded runs per rank count (1)")
    p.add_argument("--out", type=Path, required=True, help="the CSV to write")
    p.add_argument("--resume", action="store_true", help="add to OUT, skipping finished runs")
    p.add_argument("--overwrite", action="store_true", help="start OUT over")
    p.add_argument("--launcher", default="auto", choices=("auto", "mpirun", "srun"),
                   help="auto (default): srun -n P --mpi=pmix when SLURM_JOB_ID is set, else "
                   "mpirun -np P (--oversubscribe above the cores)")
    p.add_argument("--launcher-args", default="", metavar="'ARGS'",
                   help="more launcher arguments, one string, e.g. '--bind-to core'")
    p.add_argument("--mpirun", default=os.environ.get("MPIRUN", "mpirun"),
                   help="mpirun to use (default $MPIRUN or mpirun)")
    p.add_argument("--srun", default="srun", help="srun to use (default srun)")
    p.add_argument("--rankpool", default=default_rankpool(),
                   help="the binary (default $RANKPOOL or build/rankpool)")
    p.add_argument("--cores", type=int, help="cores per host (default: this host's, or "
                   "Slurm's CPUs per node)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per run (600)")
    p.add_argument("--order", default="interleaved", choices=("interleaved", "grouped"),
                   help="interleaved (default): repetition r at every rank count before r+1")
    p.add_argument("command", nargs="*", help=argparse.SUPPRESS)


def add_plot(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot",
        help="plots and a table from a sweep's CSV",
        description="Time, speedup and efficiency, phases, load imbalance and (strong scaling) "
        "the Amdahl fit and Karp-Flatt metric, as PNG and SVG in DIR, and the table on stdout.",
    )
    p.add_argument("csv", type=Path, help="a sweep's CSV")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write")
    p.add_argument("--metric", default="seconds_total",
                   help="the time to scale: seconds_total (default, in-process, slowest rank), "
                   "wall_seconds (whole launch) or any seconds_<phase> column")
    p.add_argument("--noise", type=float, default=0.25, metavar="SPREAD",
                   help="flag points whose (max-min)/median over repetitions exceeds this (0.25)")
    p.add_argument("--fit-oversubscribed", action="store_true",
                   help="let oversubscribed points into the Amdahl fit (left out by default)")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples (2000)")
    p.add_argument("--prefix", default="", help="file name prefix, e.g. strong-")
    p.add_argument("--formats", nargs="+", default=["png", "svg"], choices=("png", "svg", "pdf"))


def add_model(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "model",
        help="measure this machine's constants and predict beyond it",
        description="Measures latency and bandwidth (pingpong_ref), the executor's dispatch "
        "cost and the per-item compute cost, then predicts a squares map and an executor run "
        "up to --max-ranks, beside measured points.",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write")
    p.add_argument("--plots", type=Path, metavar="DIR",
                   help="directory for model.png/.svg (default: --out)")
    p.add_argument("--rankpool", default=default_rankpool(), help="the binary")
    p.add_argument("--pingpong", default=None,
                   help="pingpong_ref (default: tests/reference/pingpong_ref beside the binary)")
    p.add_argument("--mpirun", default=os.environ.get("MPIRUN", "mpirun"))
    p.add_argument("--n", type=int, default=10_000_000,
                   help="squares N to measure and predict (10^7; --squares-csv: its N)")
    p.add_argument("--work", type=int, default=None,
                   help="also measure squares --work K (needs a binary that has it)")
    p.add_argument("--tasks", type=int, default=2000, help="executor tasks to predict (2000)")
    p.add_argument("--task-seconds", type=float, default=0.001,
                   help="executor task length in seconds (0.001)")
    p.add_argument("--chunksize", type=int, default=1, help="executor chunk size (1)")
    p.add_argument("--max-ranks", type=int, default=4096, help="predict up to (4096)")
    p.add_argument("--reps", type=int, default=3, help="repetitions of each measurement (3)")
    p.add_argument("--measure-ranks", nargs="+", default=["1", "2", "3", "4"],
                   help="rank counts to measure for the comparison (1 2 3 4)")
    p.add_argument("--squares-csv", type=Path,
                   help="a strong sweep of squares N to compare with instead of measuring")
    p.add_argument("--cores", type=int, help="cores of this host (default: counted)")
    p.add_argument("--latency", type=float, help="use this latency (s) instead of measuring")
    p.add_argument("--bandwidth", type=float, help="use this bandwidth (bytes/s)")
    p.add_argument("--item-cost", type=float, help="use this compute cost per item (s)")
    p.add_argument("--dispatch", type=float, help="use this dispatch cost per chunk (s)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per run (600)")
    p.add_argument("--formats", nargs="+", default=["png", "svg"], choices=("png", "svg", "pdf"))


def make_parser() -> Parser:
    parser = Parser(prog="scaling", description="Scaling experiments with rankpool.")
    sub = parser.add_subparsers(dest="action", required=True, metavar="sweep|plot|model|figures")
    add_sweep(sub)
    add_plot(sub)
    add_model(sub)
    from .figures import add_figures

    add_figures(sub, REPO, default_rankpool())
    return parser


def split_command(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Our arguments and rankpool's, split at the first '--'."""
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def sweep(args: argparse.Namespace, command: list[str]) -> int:
    from . import sweep as sw

    if args.command:
        raise UsageError(f"unexpected '{args.command[0]}': put rankpool's command after --")
    cfg = sw.Config(
        command=command, ranks=sw.parse_ranks(args.ranks), out=args.out, mode=args.mode,
        reps=args.reps, warmup=args.warmup, launcher=args.launcher,
        launcher_args=shlex.split(args.launcher_args), mpirun=args.mpirun, srun=args.srun,
        rankpool=args.rankpool, cores=args.cores, timeout=args.timeout, order=args.order,
        resume=args.resume, overwrite=args.overwrite,
    )
    return sw.run_sweep(cfg)


def main(argv: Sequence[str] | None = None) -> int:
    ours, command = split_command(sys.argv[1:] if argv is None else argv)
    try:
        args = make_parser().parse_args(ours)
        if args.action == "sweep":
            return sweep(args, command)
        if command:
            raise UsageError(f"'{args.action}' takes no command after --")
        if args.action == "plot":
            from .plots import plot_main

            return plot_main(args)
        if args.action == "figures":
            from .figures import figures_main

            return figures_main(args)
        from .model import model_main

        return model_main(args)
    except UsageError as e:
        print(f"scaling: error: {e}", file=sys.stderr)
        return 2
    except RunError as e:
        print(f"scaling: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
