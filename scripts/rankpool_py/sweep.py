"""A scaling sweep: one rankpool command at several rank counts, repeated.

Every run is `mpirun -np k [--oversubscribe] rankpool ARGS --json` (or `srun -n k --mpi=pmix`
inside a Slurm allocation). Each finished run appends one row to OUT.csv and the same row to
OUT.jsonl, flushed at once, so an interrupted sweep keeps what it measured and `--resume`
skips the (point, repetition)s already there. OUT.meta.json describes the whole sweep: date,
user, hosts, CPU, Open MPI, compiler and flags, rankpool version and git revision, the exact
command lines and the environment that matters.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import json
import math
import os
import platform
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import RunError, UsageError
from .reports import Report, last_json_line, normalize

MODES = ("strong", "weak")
LAUNCHERS = ("auto", "mpirun", "srun")
ORDERS = ("interleaved", "grouped")
STANDARD_PHASES = ("scatter", "compute", "gather", "total")
# Columns every sweep CSV has, in order; phase columns "seconds_<phase>" follow "wall_seconds".
HEAD_COLUMNS = ("command", "task", "mode", "n", "ranks", "nodes", "ranks_per_node",
                "oversubscribed", "repetition", "ok", "exit_code", "wall_seconds")
TAIL_COLUMNS = ("compute_min", "compute_mean", "compute_max", "launcher", "started", "argv")
KEY_COLUMNS = ("command", "mode", "ranks", "repetition")
ENV_PREFIXES = ("OMPI_MCA_", "PMIX_MCA_")
ENV_NAMES = ("SLURM_JOB_ID", "SLURM_JOB_NODELIST", "SLURM_JOB_NUM_NODES", "SLURM_NTASKS",
             "SLURM_CPUS_ON_NODE", "SLURM_JOB_CPUS_PER_NODE", "OMP_NUM_THREADS")


@dataclass
class Config:
    """What `scaling sweep` was asked to do."""

    command: list[str]  # rankpool's arguments, without --json
    ranks: list[int]
    out: Path  # the CSV; OUT.jsonl and OUT.meta.json beside it
    mode: str = "strong"
    reps: int = 5
    warmup: int = 1
    launcher: str = "auto"
    launcher_args: list[str] = field(default_factory=list)
    mpirun: str = "mpirun"
    srun: str = "srun"
    rankpool: str = "build/rankpool"
    cores: int | None = None  # cores per host; None: this host's
    timeout: float = 600.0
    order: str = "interleaved"
    resume: bool = False
    overwrite: bool = False


@dataclass(frozen=True)
class Point:
    """One rank count of the sweep and the exact command that runs it."""

    ranks: int
    args: list[str]  # rankpool arguments for this point, --json included
    argv: list[str]  # the whole launch


# ---- input -------------------------------------------------------------------------------


def parse_ranks(items: Iterable[str]) -> list[int]:
    """'1 2 4' or '1,2,4' (or both) as a list of rank counts >= 1, in the order given."""
    ranks: list[int] = []
    for item in items:
        for word in item.replace(",", " ").split():
            if not re.fullmatch(r"\d+", word):
                raise UsageError(f"--ranks: expected whole numbers, got '{word}'")
            if int(word) < 1:
                raise UsageError(f"--ranks: rank counts must be >= 1, got {word}")
            if int(word) not in ranks:
                ranks.append(int(word))
    if not ranks:
        raise UsageError("--ranks: give at least one rank count")
    return ranks


def outputs(csv_path: Path) -> tuple[Path, Path]:
    """The JSON-lines file and the metadata file that go with a sweep's CSV."""
    stem = csv_path.with_suffix("") if csv_path.suffix == ".csv" else csv_path
    return Path(f"{stem}.jsonl"), Path(f"{stem}.meta.json")


# Commands whose first positional argument is their problem size N.
SIZE_FIRST = ("squares", "spawn", "compare")


def scale_command(args: list[str], factor: int) -> list[str]:
    """Weak scaling: the command with its problem size times `factor`.

    The size is the value of --repeat when the command has one (sleep: tasks, each of the
    given lengths), else N right after a command that takes N first (squares N)."""
    out = list(args)
    for i, word in enumerate(out):
        if word == "--repeat" and i + 1 < len(out) and out[i + 1].isdigit():
            out[i + 1] = str(int(out[i + 1]) * factor)
            return out
        if word.startswith("--repeat=") and word[9:].isdigit():
            out[i] = f"--repeat={int(word[9:]) * factor}"
            return out
    if len(out) >= 2 and out[0] in SIZE_FIRST and out[1].isdigit():
        out[1] = str(int(out[1]) * factor)
        return out
    raise UsageError(
        "--mode weak scales the problem size: give N per rank right after the command name "
        "(squares N ...) or --repeat N (sleep S ... --repeat N)"
    )


def validate(cfg: Config) -> None:
    """Refuses a bad configuration with a UsageError before any run."""
    if cfg.mode not in MODES:
        raise UsageError(f"--mode must be strong or weak, got '{cfg.mode}'")
    if cfg.launcher not in LAUNCHERS:
        raise UsageError(f"--launcher must be auto, mpirun or srun, got '{cfg.launcher}'")
    if cfg.order not in ORDERS:
        raise UsageError(f"--order must be interleaved or grouped, got '{cfg.order}'")
    if not cfg.command:
        raise UsageError("give the rankpool command after --, e.g. -- squares 1000000")
    if cfg.reps < 1:
        raise UsageError(f"--reps must be >= 1, got {cfg.reps}")
    if cfg.warmup < 0:
        raise UsageError(f"--warmup must be >= 0, got {cfg.warmup}")
    if cfg.timeout <= 0:
        raise UsageError(f"--timeout must be > 0, got {cfg.timeout}")
    if cfg.cores is not None and cfg.cores < 1:
        raise UsageError(f"--cores must be >= 1, got {cfg.cores}")
    if not (os.path.isfile(cfg.rankpool) and os.access(cfg.rankpool, os.X_OK)):
        raise UsageError(f"{cfg.rankpool}: no rankpool binary there (build rankpool_cli, "
                         "or give --rankpool PATH)")
    if cfg.resume and cfg.overwrite:
        raise UsageError("--resume and --overwrite exclude each other")
    if cfg.out.exists() and not (cfg.resume or cfg.overwrite):
        raise UsageError(f"{cfg.out} exists: --resume adds to it, --overwrite starts over")
    if cfg.mode == "weak":
        scale_command(cfg.command, 1)


# ---- the machine -------------------------------------------------------------------------


def local_cores() -> int:
    """Physical cores of this host (what Open MPI counts as slots), else logical CPUs."""
    pairs = set()
    phys = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    phys = value.strip()
                elif key == "core id":
                    pairs.add((phys, value.strip()))
    except OSError:
        pass
    return len(pairs) or os.cpu_count() or 1


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (else platform.processor())."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def slurm_cpus_per_node(env: Mapping[str, str]) -> list[int]:
    """SLURM_JOB_CPUS_PER_NODE ('2(x3),1') as a list per node ([2, 2, 2, 1]); [] outside."""
    cpus: list[int] = []
    for part in env.get("SLURM_JOB_CPUS_PER_NODE", "").split(","):
        m = re.fullmatch(r"\s*(\d+)(?:\(x(\d+)\))?\s*", part)
        if m:
            cpus += [int(m.group(1))] * int(m.group(2) or 1)
    return cpus


def choose_launcher(requested: str, env: Mapping[str, str]) -> str:
    """auto: srun inside a Slurm allocation (SLURM_JOB_ID set), else mpirun."""
    if requested == "auto":
        return "srun" if env.get("SLURM_JOB_ID") else "mpirun"
    return requested


def cores_per_host(cfg: Config, env: Mapping[str, str]) -> int:
    """Cores a host has for our ranks: --cores, else Slurm's CPUs per node, else this host's."""
    if cfg.cores is not None:
        return cfg.cores
    slurm = slurm_cpus_per_node(env)
    if slurm and env.get("SLURM_JOB_ID"):
        return min(slurm)
    return local_cores()


def launch_argv(cfg: Config, launcher: str, ranks: int, args: list[str],
                env: Mapping[str, str], cores: int) -> list[str]:
    """The whole command line of one run at `ranks` ranks."""
    if launcher == "srun":
        argv = [cfg.srun, "-n", str(ranks), "--mpi=pmix"]
        allocated = sum(slurm_cpus_per_node(env))
        if allocated and ranks > allocated:
            argv.append("--overcommit")
    else:
        argv = [cfg.mpirun, "-np", str(ranks)]
        if ranks > cores:
            argv.append("--oversubscribe")
    return argv + cfg.launcher_args + [cfg.rankpool] + args


def plan(cfg: Config, env: Mapping[str, str]) -> list[Point]:
    """One Point per rank count, in the order given."""
    launcher = choose_launcher(cfg.launcher, env)
    cores = cores_per_host(cfg, env)
    points = []
    for p in cfg.ranks:
        args = scale_command(cfg.command, p) if cfg.mode == "weak" else list(cfg.command)
        if "--json" not in args:
            args.append("--json")
        points.append(Point(p, args, launch_argv(cfg, launcher, p, args, env, cores)))
    return points


def layout(report: Report, ranks: int, env: Mapping[str, str], cores: int) -> tuple[int, int, bool]:
    """(nodes, ranks per node, oversubscribed) of a run: from the report's hosts when it has
    them, else from Slurm's variables, else one host. Oversubscribed: a host runs more ranks
    than it has cores (the report's host_cpus when present, else `cores`)."""
    if report.hosts:
        per_host = Counter(report.hosts)
        cpus = dict(zip(report.hosts, report.host_cpus)) if report.host_cpus else {}
        over = any(k > cpus.get(h, cores) for h, k in per_host.items())
        return len(per_host), max(per_host.values()), over
    nodes = int(env.get("SLURM_JOB_NUM_NODES", "1") or 1) if env.get("SLURM_JOB_ID") else 1
    nodes = max(1, min(nodes, ranks))
    per_node = math.ceil(ranks / nodes)
    return nodes, per_node, per_node > cores


# ---- one run -----------------------------------------------------------------------------


@dataclass
class RunResult:
    """What one launch gave back."""

    exit_code: int
    stdout: str
    stderr: str
    wall: float


def child_env(base: Mapping[str, str]) -> dict[str, str]:
    """The runs' environment: base, plus what Open MPI wants to run as root (as bench.sh)."""
    env = dict(base)
    if os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return env


def kill_group(proc: subprocess.Popen[str]) -> None:
    """Ends a launch and everything it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_once(argv: list[str], timeout: float, env: Mapping[str, str]) -> RunResult:
    """Runs one launch in a process group of its own; raises RunError on a timeout."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(env), start_new_session=True)
    except OSError as e:
        raise UsageError(f"cannot start {argv[0]}: {e.strerror}") from e
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise RunError(f"timed out after {timeout:g} s: {shlex.join(argv)}") from None
    except BaseException:
        kill_group(proc)
        raise
    return RunResult(proc.returncode, out, err, time.perf_counter() - t0)


def first_error_line(text: str) -> str:
    """The line a failed run's stderr leads with (rankpool's 'rankpool: error: ...')."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if "error" in ln.lower():
            return ln
    return lines[0] if lines else "(no message)"


def checked_report(point: Point, result: RunResult) -> Report:
    """The run's report; raises UsageError when rankpool refused the command (exit 2), RunError
    when the run printed no report."""
    raw = last_json_line(result.stdout)
    if raw is None:
        why = first_error_line(result.stderr)
        if result.exit_code == 2:
            raise UsageError(f"rankpool refused the command (exit 2): {why}")
        raise RunError(
            f"exit {result.exit_code}, no JSON report: {why}  [{shlex.join(point.argv)}]")
    try:
        return normalize(raw)
    except ValueError as e:
        raise RunError(f"{e}  [{shlex.join(point.argv)}]") from None


# ---- rows --------------------------------------------------------------------------------


def phase_columns(report: Report) -> list[str]:
    """seconds_<phase> columns: the standard four, then any other phase of the report."""
    extra = sorted(k for k in report.seconds if k not in STANDARD_PHASES)
    return [f"seconds_{p}" for p in (*STANDARD_PHASES[:3], *extra, STANDARD_PHASES[3])]


def columns_for(report: Report) -> list[str]:
    return [*HEAD_COLUMNS, *phase_columns(report), *TAIL_COLUMNS]


def make_row(cfg: Config, point: Point, rep: int, result: RunResult, report: Report,
             env: Mapping[str, str], cores: int, launcher: str, started: str) -> dict[str, Any]:
    """One (point, repetition) as a row: every phase, the layout, per-rank compute spread."""
    nodes, per_node, over = layout(report, point.ranks, env, cores)
    row: dict[str, Any] = {
        "command": shlex.join(cfg.command),
        "task": report.command,
        "mode": cfg.mode,
        "n": report.count,
        "ranks": point.ranks,
        "nodes": nodes,
        "ranks_per_node": per_node,
        "oversubscribed": over,
        "repetition": rep,
        "ok": report.ok and result.exit_code == 0,
        "exit_code": result.exit_code,
        "wall_seconds": round(result.wall, 6),
    }
    for phase, value in report.seconds.items():
        row[f"seconds_{phase}"] = value
    compute = report.rank_seconds.get("compute") or []
    if compute:
        row["compute_min"] = min(compute)
        row["compute_mean"] = sum(compute) / len(compute)
        row["compute_max"] = max(compute)
    row.update(launcher=launcher, started=started, argv=shlex.join(point.argv))
    return row


def csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class RowWriter:
    """Appends rows to the CSV and the JSON-lines file, flushed one at a time. The CSV header is
    fixed by the first row when the file is new, else read from the file."""

    def __init__(self, csv_path: Path, jsonl_path: Path, columns: list[str] | None) -> None:
        self.csv_path, self.jsonl_path, self.columns = csv_path, jsonl_path, columns

    def write(self, row: dict[str, Any], report: Report) -> None:
        if self.columns is None:
            self.columns = columns_for(report)
            with open(self.csv_path, "w", newline="") as f:
                csv.writer(f).writerow(self.columns)
        with open(self.jsonl_path, "a") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
        with open(self.csv_path, "a", newline="") as f:
            csv.writer(f).writerow([csv_value(row.get(c)) for c in self.columns])
            f.flush()


def row_key(row: Mapping[str, Any]) -> tuple[str, str, int, int]:
    return (str(row["command"]), str(row["mode"]), int(row["ranks"]), int(row["repetition"]))


def drop_torn_tail(path: Path) -> None:
    """Removes a last line that an interrupted write left without its newline."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def read_csv(path: Path, required: Iterable[str] = KEY_COLUMNS
             ) -> tuple[list[str], list[dict[str, str]]]:
    """A sweep CSV's header and rows; UsageError when it is unreadable or lacks a column."""
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            header = list(reader.fieldnames or [])
            rows = list(reader)
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise UsageError(f"{path}: missing columns: {', '.join(missing)}")
    return header, rows


def done_keys(cfg: Config) -> tuple[list[str] | None, set[tuple[str, str, int, int]]]:
    """On --resume: the CSV's header and the (point, repetition)s it already has; the JSON
    lines are cut back to the same rows (a run killed between the two writes is redone)."""
    csv_path, (jsonl_path, _) = cfg.out, outputs(cfg.out)
    if not cfg.resume or not csv_path.exists():
        return None, set()
    drop_torn_tail(csv_path)
    header, rows = read_csv(csv_path)
    try:
        keys = {row_key(r) for r in rows}
    except (ValueError, TypeError):
        raise UsageError(f"{csv_path}: a row has no whole-number ranks or repetition") from None
    if jsonl_path.exists():
        drop_torn_tail(jsonl_path)
        kept, seen = [], set()
        for line in jsonl_path.read_text().splitlines():
            k = row_key(json.loads(line))
            if k in keys and k not in seen:
                kept.append(line)
                seen.add(k)
        jsonl_path.write_text("".join(ln + "\n" for ln in kept))
    return (header or None), keys


# ---- metadata ----------------------------------------------------------------------------


def command_output(argv: list[str], cwd: str | None = None) -> str:
    """First line of a command's output, '' when it cannot run."""
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = (r.stdout or r.stderr).strip()
    return text.splitlines()[0].strip() if r.returncode == 0 and text else ""


def cmake_cache(build_dir: Path) -> dict[str, str]:
    """KEY:TYPE=VALUE entries of build_dir/CMakeCache.txt ({} when there is none)."""
    entries: dict[str, str] = {}
    try:
        text = (build_dir / "CMakeCache.txt").read_text()
    except OSError:
        return entries
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):[A-Z]+=(.*)$", line)
        if m:
            entries[m.group(1)] = m.group(2)
    return entries


def compiler_info(build_dir: Path) -> dict[str, Any]:
    """Compiler, its version and flags from the build's CMakeCache.txt."""
    cache = cmake_cache(build_dir)
    if not cache:
        return {"cmake_cache": None}
    build_type = cache.get("CMAKE_BUILD_TYPE", "")
    cxx = cache.get("CMAKE_CXX_COMPILER", "")
    return {
        "cmake_cache": str(build_dir / "CMakeCache.txt"),
        "cxx": cxx,
        "cxx_version": command_output([cxx, "--version"]) if cxx else "",
        "build_type": build_type,
        "cxx_flags": cache.get("CMAKE_CXX_FLAGS", ""),
        "cxx_flags_build_type": cache.get(f"CMAKE_CXX_FLAGS_{build_type.upper()}", ""),
        "warnings_as_errors": cache.get("RANKPOOL_WARNINGS_AS_ERRORS", ""),
        "source_dir": cache.get("CMAKE_HOME_DIRECTORY", ""),
    }


def rankpool_info(cfg: Config, compiler: Mapping[str, Any],
                  reports: list[Report]) -> dict[str, Any]:
    """Version and git revision: the reports' `rankpool` key, else --version and git."""
    for r in reports:
        if r.rankpool:
            return {"source": "report", **r.rankpool}
    src = compiler.get("source_dir") or str(Path(cfg.rankpool).resolve().parent)
    version = command_output([cfg.rankpool, "--version"]).removeprefix("rankpool ").strip()
    git = command_output(["git", "rev-parse", "--short", "HEAD"], cwd=src)
    dirty = command_output(["git", "status", "--porcelain", "--untracked-files=no"], cwd=src)
    return {"source": "git", "version": version, "git": git, "git_dirty": bool(dirty)}


def relevant_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(env.items())
            if k.startswith(ENV_PREFIXES) or k in ENV_NAMES}


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def metadata(cfg: Config, points: list[Point], env: Mapping[str, str], launcher: str,
             cores: int, reports: list[Report], previous: dict[str, Any] | None,
             started: str) -> dict[str, Any]:
    """The sweep's metadata; on --resume it keeps the first date and lists every resume."""
    build_dir = Path(cfg.rankpool).resolve().parent
    compiler = compiler_info(build_dir)
    mpi_exe = cfg.mpirun if launcher == "mpirun" else "mpirun"
    prev_sweep = (previous or {}).get("sweep", {})
    ranks = list(dict.fromkeys([*prev_sweep.get("ranks", []), *cfg.ranks]))
    lines = list(dict.fromkeys([*(previous or {}).get("command_lines", []),
                                *(shlex.join(p.argv) for p in points)]))
    seen = set((previous or {}).get("hosts", {}).get("ranks", []))
    hosts = sorted(seen | {h for r in reports for h in r.hosts})
    mpi_lib = next((r.raw["mpi"] for r in reports if isinstance(r.raw.get("mpi"), dict)), None)
    meta = {
        "schema_version": 1,
        "tool": "scripts/scaling sweep",
        "date": (previous or {}).get("date", started),
        "resumed": (previous or {}).get("resumed", []) + ([started] if previous else []),
        "finished": None,
        "user": getpass.getuser(),
        "hosts": {"launch": socket.gethostname(), "ranks": hosts},
        "cpu": {"model": cpu_model(), "cores": local_cores(), "logical_cpus": os.cpu_count(),
                "cores_per_host_assumed": cores},
        "mpi": {"mpirun_version": command_output([mpi_exe, "--version"]), "report": mpi_lib},
        "compiler": compiler,
        "rankpool": {"binary": str(Path(cfg.rankpool).resolve()),
                     **rankpool_info(cfg, compiler, reports)},
        "sweep": {"command": shlex.join(cfg.command), "mode": cfg.mode, "ranks": ranks,
                  "reps": cfg.reps, "warmup": cfg.warmup, "launcher": launcher,
                  "order": cfg.order, "timeout_seconds": cfg.timeout},
        "command_lines": lines,
        "environment": relevant_env(env),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "files": {"csv": cfg.out.name, "jsonl": outputs(cfg.out)[0].name},
    }
    return meta


def write_json(path: Path, value: Any) -> None:
    """Writes JSON whole, then renames it into place."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(tmp, path)


def previous_metadata(cfg: Config) -> dict[str, Any] | None:
    """On --resume, the metadata of the sweep being resumed; refuses another command or mode."""
    meta_path = outputs(cfg.out)[1]
    if not (cfg.resume and meta_path.exists()):
        return None
    try:
        prev = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{meta_path}: unreadable ({e})") from None
    sweep = prev.get("sweep", {})
    if sweep.get("command") != shlex.join(cfg.command) or sweep.get("mode") != cfg.mode:
        raise UsageError(
            f"{cfg.out} holds a sweep of '{sweep.get('command')}' ({sweep.get('mode')}): "
            "resume it with the same command and mode, or write to another --out")
    return prev


# ---- the sweep ---------------------------------------------------------------------------


def schedule(cfg: Config, points: list[Point]) -> list[tuple[Point, int]]:
    """(point, repetition) in run order, repetitions from 1; 0 marks a warm-up. Interleaved:
    repetition r of every point before r + 1 of any, so that a slow spell of a shared machine
    hits every rank count rather than one."""
    warm = [(p, 0) for p in points for _ in range(cfg.warmup)]
    if cfg.order == "grouped":
        return [(p, r) for p in points for r in [0] * cfg.warmup + list(range(1, cfg.reps + 1))]
    return warm + [(p, r) for r in range(1, cfg.reps + 1) for p in points]


def clock(seconds: float) -> str:
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def progress(i: int, total: int, point: Point, rep: int, reps: int, result: RunResult,
             report: Report, elapsed: float) -> None:
    what = "warm-up" if rep == 0 else f"rep {rep}/{reps}"
    eta = elapsed / i * (total - i)
    t = report.seconds.get("total")
    inner = f" (in-process {t:.6f} s)" if t is not None else ""
    print(f"scaling: [{i}/{total}] ranks={point.ranks} {what}: {result.wall:.3f} s{inner}; "
          f"elapsed {clock(elapsed)}, ETA {clock(eta)}", file=sys.stderr, flush=True)


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: the running launch is ended and the rows so far are kept."""
    raise KeyboardInterrupt


def run_sweep(cfg: Config, env: Mapping[str, str] | None = None) -> int:
    """Runs the sweep; returns 0, or 1 when a run's results did not check out."""
    env = dict(os.environ if env is None else env)
    validate(cfg)
    launcher = choose_launcher(cfg.launcher, env)
    cores = cores_per_host(cfg, env)
    points = plan(cfg, env)
    previous = previous_metadata(cfg)
    if cfg.overwrite:
        for path in (cfg.out, *outputs(cfg.out)):
            path.unlink(missing_ok=True)
    header, done = done_keys(cfg)
    command = shlex.join(cfg.command)
    todo = [(p, r) for p, r in schedule(cfg, points)
            if r == 0 or (command, cfg.mode, p.ranks, r) not in done]
    left = {p.ranks for p, r in todo if r > 0}
    todo = [(p, r) for p, r in todo if r > 0 or p.ranks in left]  # no warm-up for finished points

    meta_path = outputs(cfg.out)[1]
    reports: list[Report] = []
    meta_args = (cfg, points, env, launcher, cores, reports, previous, now())
    load_start = os.getloadavg()  # a shared machine's other work, for the record
    writer = RowWriter(cfg.out, outputs(cfg.out)[0], header)
    run_env = child_env(env)
    skipped = len(cfg.ranks) * cfg.reps - sum(1 for _, r in todo if r > 0)
    if skipped:
        print(f"scaling: resuming: {skipped} runs already in {cfg.out}", file=sys.stderr)
    failed = 0
    meta_written = finished = False
    t0 = time.perf_counter()
    signal.signal(signal.SIGTERM, interrupt)  # a batch job's time limit: stop the run too
    try:
        for i, (point, rep) in enumerate(todo, 1):
            started = now()
            result = run_once(point.argv, cfg.timeout, run_env)
            report = checked_report(point, result)
            reports.append(report)
            progress(i, len(todo), point, rep, cfg.reps, result, report, time.perf_counter() - t0)
            if rep == 0:
                continue
            row = make_row(cfg, point, rep, result, report, env, cores, launcher, started)
            if not meta_written:  # with the first row, so that a refused command leaves no file
                write_json(meta_path, {**metadata(*meta_args),
                                       "load_average": {"start": load_start}})
                meta_written = True
            writer.write(row, report)
            if not row["ok"]:
                failed += 1
                print(f"scaling: ranks={point.ranks} rep {rep}: results did not check out "
                      f"(exit {result.exit_code})", file=sys.stderr)
        finished = True
    except KeyboardInterrupt:
        print(f"scaling: interrupted; the finished runs are in {cfg.out} "
              "(run again with --resume to finish)", file=sys.stderr)
        raise
    finally:
        if meta_written or (finished and cfg.out.exists()):
            meta = metadata(*meta_args)
            meta["finished"] = now() if finished else None
            meta["load_average"] = {"start": load_start, "end": os.getloadavg()}
            write_json(meta_path, meta)
    return 1 if failed else 0
