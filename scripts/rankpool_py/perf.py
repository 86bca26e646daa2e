"""The pure math of rankpool's performance scripts (stdlib only, no I/O).

Statistics over repetitions (median, spread, quantiles), strong and weak scaling figures
(speedup, parallel efficiency), Amdahl's law fitted by least squares with a bootstrap confidence
interval, the Karp-Flatt metric, a latency/bandwidth fit of ping-pong times, and the cost model
of a squares map and of an executor run that `scripts/scaling model` evaluates.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from typing import Mapping, Sequence

# ---- statistics over repetitions ------------------------------------------------------------


def median(xs: Sequence[float]) -> float:
    """The median (the mean of the two middle values for an even count)."""
    return statistics.median(xs)


def spread(xs: Sequence[float]) -> float:
    """(max - min) / median: how far apart the repetitions of one point are."""
    m = median(xs)
    return (max(xs) - min(xs)) / m if m > 0 else 0.0


def quantile(xs: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) with linear interpolation between order statistics."""
    s = sorted(xs)
    if not s:
        raise ValueError("quantile of no values")
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@dataclass(frozen=True)
class Summary:
    """One point's repetitions: count, median, min, max and spread."""

    count: int
    median: float
    min: float
    max: float
    spread: float


def summarize(xs: Sequence[float]) -> Summary:
    """Summary of a non-empty list of times."""
    if not xs:
        raise ValueError("summary of no values")
    return Summary(len(xs), median(xs), min(xs), max(xs), spread(xs))


# ---- scaling figures ------------------------------------------------------------------------


def strong_speedup(t_base: float, p_base: int, t: float) -> float:
    """Speedup of a fixed problem: p_base * T(p_base) / T(p), i.e. T(1) / T(p) when p_base = 1
    (a base above 1 assumes the base point itself scaled perfectly)."""
    return p_base * t_base / t


def weak_speedup(t_base: float, p_base: int, p: int, t: float) -> float:
    """Scaled speedup of a problem grown with p (Gustafson): p * T(p_base) / T(p) (p_base kept
    for symmetry with strong_speedup: the base point's own efficiency is taken as 1)."""
    del p_base
    return p * t_base / t


def efficiency(speedup: float, p: int) -> float:
    """Parallel efficiency S(p) / p (1 is perfect)."""
    return speedup / p


def karp_flatt(speedup: float, p: int) -> float:
    """The experimentally determined serial fraction e(p) = (1/S - 1/p) / (1 - 1/p), p > 1.

    Constant in p for a code that obeys Amdahl's law (e = f); growing with p when overheads
    (communication, imbalance) grow with p."""
    if p <= 1:
        raise ValueError("Karp-Flatt needs p > 1")
    return (1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p)


def amdahl_time(p: float, t1: float, f: float) -> float:
    """Amdahl's law: T(p) = T1 (f + (1 - f) / p)."""
    return t1 * (f + (1.0 - f) / p)


def amdahl_speedup(p: float, f: float) -> float:
    """Amdahl's speedup 1 / (f + (1 - f) / p)."""
    return 1.0 / (f + (1.0 - f) / p)


# ---- least squares ------------------------------------------------------------------------


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Ordinary least squares y = a + b x; returns (a, b). Needs two distinct x."""
    n = len(xs)
    if n != len(ys) or n < 2:
        raise ValueError("a line needs at least two points")
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("a line needs two distinct x values")
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return my - b * mx, b


@dataclass(frozen=True)
class AmdahlFit:
    """T(p) = t1 (f + (1 - f) / p) fitted to measured times; f_low/f_high (and t1_low/t1_high)
    bound a bootstrap percentile interval at `level` (equal to f when there was nothing to
    resample)."""

    t1: float
    f: float
    f_low: float
    f_high: float
    t1_low: float
    t1_high: float
    level: float
    points: int


def fit_amdahl(samples: Sequence[tuple[int, float]]) -> tuple[float, float]:
    """Least squares of T(p) = T1 (f + (1-f)/p) over (p, time) samples; returns (T1, f).

    Linear in a = T1 f and b = T1 (1 - f): T = a + b / p, fitted with a, b >= 0 (so 0 <= f <= 1;
    a bound that binds means the data say 'no serial part' or 'no parallel part')."""
    ps = {p for p, _ in samples}
    if len(ps) < 2:
        raise ValueError("Amdahl's law needs times at two or more rank counts")
    xs = [1.0 / p for p, _ in samples]
    ts = [t for _, t in samples]
    a, b = fit_line(xs, ts)
    if a < 0:
        a, b = 0.0, sum(t * x for x, t in zip(xs, ts)) / sum(x * x for x in xs)
    elif b < 0:
        a, b = sum(ts) / len(ts), 0.0
    t1 = a + b
    return t1, (a / t1 if t1 > 0 else 0.0)


def bootstrap_amdahl(
    times: Mapping[int, Sequence[float]], resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> AmdahlFit:
    """Amdahl fit over every repetition, with a percentile bootstrap interval: each resample
    draws, for every rank count, as many repetitions as it has, with replacement."""
    samples = [(p, t) for p, ts in times.items() for t in ts]
    t1, f = fit_amdahl(samples)
    rng = random.Random(seed)
    fs: list[float] = []
    t1s: list[float] = []
    if any(len(ts) > 1 for ts in times.values()):
        for _ in range(resamples):
            draw = [(p, rng.choice(ts)) for p, ts in times.items() for _ in ts]
            bt1, bf = fit_amdahl(draw)
            fs.append(bf)
            t1s.append(bt1)
    else:
        fs, t1s = [f], [t1]
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    return AmdahlFit(
        t1=t1,
        f=f,
        f_low=quantile(fs, lo),
        f_high=quantile(fs, hi),
        t1_low=quantile(t1s, lo),
        t1_high=quantile(t1s, hi),
        level=level,
        points=len(samples),
    )


def fit_latency_bandwidth(
    sizes: Sequence[int], seconds: Sequence[float], small: int = 1024, large: int = 1 << 20
) -> tuple[float, float]:
    """Hockney's t(m) = alpha + m / beta from one-way ping-pong times.

    alpha: the median time of the messages of at most `small` bytes (their size costs nothing
    yet; the median shrugs off a trial that a shared machine disturbed); beta: 1 / slope of a
    least-squares line through the messages of at least `large` bytes (a single line through
    all sizes lets the large messages decide alpha). Returns (alpha s, beta bytes per s)."""
    pairs = sorted(zip(sizes, seconds))
    if len(pairs) < 2:
        raise ValueError("a latency and a bandwidth need at least two message sizes")
    few = [t for m, t in pairs if m <= small] or [pairs[0][1]]
    alpha = median(few)
    big = [(m, t) for m, t in pairs if m >= large]
    if len(big) < 2:
        big = pairs[-2:]
    _, slope = fit_line([float(m) for m, _ in big], [t for _, t in big])
    if slope <= 0:
        raise ValueError("ping-pong times do not grow with the message size")
    return alpha, 1.0 / slope


# ---- the cost model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    """The constants the model runs on.

    latency: seconds per message (alpha); bandwidth: bytes per second (beta); item_cost: seconds
    of compute per squared item on one core; dispatch: the executor's master, seconds per chunk
    it hands out and collects; cores: cores a host shares between its ranks (None: one core per
    rank, i.e. a machine as large as the rank count)."""

    latency: float
    bandwidth: float
    item_cost: float
    dispatch: float
    cores: int | None = None


def ceil_log2(p: int) -> int:
    """Rounds of a binomial tree over p ranks: ceil(log2 p), 0 for p = 1."""
    return max(0, (p - 1).bit_length())


def oversubscription(p: int, cores: int | None) -> float:
    """How many ranks share a core: max(1, p / cores) (1 when cores is None)."""
    return 1.0 if cores is None else max(1.0, p / cores)


def squares_phases(n: int, p: int, m: Machine, item_bytes: int = 8) -> dict[str, float]:
    """Predicted phases of `rankpool squares n` (range input, results gathered) on p ranks.

    scatter: a broadcast of the bounds, latency * ceil(log2 p);
    compute: ceil(n/p) items * item_cost (times p/cores when ranks share cores), plus the
             failure check's allreduce, latency * ceil(log2 p);
    gather:  MPI_Gatherv through the root, linear: latency * (p - 1) messages plus the
             (p - 1)/p * n * item_bytes bytes the root receives, at the bandwidth;
    total:   their sum."""
    rounds = ceil_log2(p)
    scatter = m.latency * rounds
    compute = math.ceil(n / p) * m.item_cost * oversubscription(p, m.cores) + m.latency * rounds
    received = n * item_bytes * (p - 1) / p
    gather = m.latency * (p - 1) + received / m.bandwidth
    return {
        "scatter": scatter,
        "compute": compute,
        "gather": gather,
        "total": scatter + compute + gather,
    }


def executor_time(n: int, t: float, workers: int, chunk: int, m: Machine) -> float:
    """Predicted makespan of n tasks of t seconds each, in chunks of `chunk`, on `workers`.

    max(work bound, dispatch bound) + one round trip:
      work bound     ceil(chunks / workers) rounds of chunk * t (the last round may be partial;
                     tasks that wait, like sleeps, need no core of their own);
      dispatch bound chunks * dispatch: one master serves every chunk in turn;
      round trip     2 * latency for the last chunk out and its result back.
    The master saturates (the dispatch bound wins) once workers * dispatch > chunk * t."""
    if n == 0:
        return 0.0
    chunks = math.ceil(n / chunk)
    work = math.ceil(chunks / workers) * chunk * t
    return max(work, chunks * m.dispatch) + 2 * m.latency


def saturation_workers(t: float, chunk: int, dispatch: float) -> float:
    """Workers one master keeps busy: chunk * t / dispatch (more than this and they wait)."""
    return math.inf if dispatch <= 0 else chunk * t / dispatch


def chunk_to_avoid_saturation(t: float, workers: int, dispatch: float) -> int:
    """The smallest chunk size that keeps `workers` busy: ceil(workers * dispatch / t)."""
    if t <= 0:
        raise ValueError("tasks of zero length always saturate the master")
    return max(1, math.ceil(workers * dispatch / t))


def best_chunk(n: int, t: float, workers: int, m: Machine) -> int:
    """The chunk size with the smallest predicted makespan (the smallest such k on ties):
    large enough that the master keeps up, small enough that the last round stays short.

    For a given number of chunks the smallest k that gives it is best, so the candidates are
    ceil(n / c) over chunk counts c: every k up to sqrt(n), and ceil(n / c) for c up to sqrt(n).
    """
    if n <= 1:
        return 1
    root = math.isqrt(n) + 1
    candidates = sorted(set(range(1, root + 1)) | {math.ceil(n / c) for c in range(1, root + 1)})
    best_k, best_t = 1, math.inf
    for k in candidates:
        tk = executor_time(n, t, workers, k, m)
        if tk < best_t:
            best_k, best_t = k, tk
    return best_k
