"""Unit tests of scripts/rankpool_py's pure parts: perf's math on synthetic data with known
answers, the report adapter on today's reports and the envelope, and the sweep's helpers."""

import random
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from rankpool_py import perf, sweep  # noqa: E402
from rankpool_py.errors import UsageError  # noqa: E402
from rankpool_py.reports import last_json_line, normalize  # noqa: E402


def amdahl_times(t1: float, f: float, ranks: list[int]) -> dict[int, list[float]]:
    return {p: [perf.amdahl_time(p, t1, f)] for p in ranks}


class Statistics(unittest.TestCase):
    def test_median_spread_quantile(self) -> None:
        self.assertEqual(perf.median([3.0, 1.0, 2.0]), 2.0)
        self.assertEqual(perf.median([4.0, 1.0, 2.0, 3.0]), 2.5)
        self.assertAlmostEqual(perf.spread([1.0, 2.0, 3.0]), 1.0)
        self.assertEqual(perf.quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.25), 2.0)
        self.assertAlmostEqual(perf.quantile([0.0, 10.0], 0.975), 9.75)
        s = perf.summarize([2.0, 4.0, 3.0])
        self.assertEqual((s.count, s.median, s.min, s.max), (3, 3.0, 2.0, 4.0))


class Scaling(unittest.TestCase):
    def test_speedup_and_efficiency(self) -> None:
        self.assertEqual(perf.strong_speedup(8.0, 1, 2.0), 4.0)
        self.assertEqual(perf.strong_speedup(4.0, 2, 2.0), 4.0)  # base of 2 ranks
        self.assertEqual(perf.efficiency(3.0, 4), 0.75)
        self.assertEqual(perf.weak_speedup(1.0, 1, 4, 1.25), 3.2)

    def test_karp_flatt_known_values(self) -> None:
        # S = 1.6 on 2 ranks: (1/1.6 - 1/2) / (1 - 1/2) = 0.25
        self.assertAlmostEqual(perf.karp_flatt(1.6, 2), 0.25)
        # perfect speedup: no serial part; no speedup at all: all serial
        self.assertAlmostEqual(perf.karp_flatt(4.0, 4), 0.0)
        self.assertAlmostEqual(perf.karp_flatt(1.0, 8), 1.0)
        # S = 3 on 4 ranks: (1/3 - 1/4) / (3/4) = 1/9
        self.assertAlmostEqual(perf.karp_flatt(3.0, 4), 1 / 9)
        with self.assertRaises(ValueError):
            perf.karp_flatt(1.0, 1)

    def test_karp_flatt_of_amdahl_data_is_the_serial_fraction(self) -> None:
        for f in (0.0, 0.05, 0.3):
            for p in (2, 3, 8, 64):
                s = perf.amdahl_speedup(p, f)
                self.assertAlmostEqual(perf.karp_flatt(s, p), f, places=12)


class AmdahlFit(unittest.TestCase):
    def test_exact_data_gives_the_serial_fraction(self) -> None:
        t1, f = perf.fit_amdahl([(p, perf.amdahl_time(p, 10.0, 0.1)) for p in (1, 2, 4, 8)])
        self.assertAlmostEqual(t1, 10.0, places=9)
        self.assertAlmostEqual(f, 0.1, places=9)

    def test_two_rank_counts_suffice(self) -> None:
        fit = perf.bootstrap_amdahl(amdahl_times(2.0, 0.25, [1, 2]))
        self.assertAlmostEqual(fit.f, 0.25, places=9)
        self.assertAlmostEqual(fit.f_low, 0.25, places=9)  # one run a point: nothing to resample

    def test_noisy_repetitions_bracket_the_true_fraction(self) -> None:
        rng = random.Random(7)
        times = {p: [perf.amdahl_time(p, 5.0, 0.2) * (1 + rng.gauss(0, 0.02)) for _ in range(7)]
                 for p in (1, 2, 4, 8, 16)}
        fit = perf.bootstrap_amdahl(times, resamples=500, seed=1)
        self.assertLess(fit.f_low, fit.f_high)
        self.assertLessEqual(fit.f_low, 0.2)
        self.assertGreaterEqual(fit.f_high, 0.2)
        self.assertAlmostEqual(fit.f, 0.2, delta=0.03)
        self.assertAlmostEqual(fit.t1, 5.0, delta=0.2)
        self.assertEqual(fit.points, 35)
        # the same seed gives the same interval
        again = perf.bootstrap_amdahl(times, resamples=500, seed=1)
        self.assertEqual((fit.f_low, fit.f_high), (again.f_low, again.f_high))

    def test_fraction_is_kept_in_0_1(self) -> None:
        # slower on more ranks (what squares does on 2 shared cores): all serial
        _, f = perf.fit_amdahl([(1, 1.0), (2, 1.5), (4, 2.0)])
        self.assertEqual(f, 1.0)
        # superlinear: no serial part
        t1, f = perf.fit_amdahl([(1, 1.0), (2, 0.4), (4, 0.2)])
        self.assertEqual(f, 0.0)
        self.assertGreater(t1, 0)

    def test_one_rank_count_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            perf.fit_amdahl([(2, 1.0), (2, 1.1)])


class LatencyBandwidth(unittest.TestCase):
    def test_hockney_fit(self) -> None:
        alpha, beta = 2e-6, 5e9
        sizes = [0, 8, 1024, 1 << 20, 1 << 22, 1 << 24]
        alpha_fit, beta_fit = perf.fit_latency_bandwidth(sizes, [alpha + m / beta for m in sizes])
        self.assertAlmostEqual(alpha_fit, alpha + 8 / beta)  # the median of 0, 8, 1024 bytes
        self.assertAlmostEqual(beta_fit / beta, 1.0, places=9)
        # one disturbed small message does not move alpha
        noisy = [alpha + m / beta for m in sizes]
        noisy[1] *= 50
        self.assertAlmostEqual(perf.fit_latency_bandwidth(sizes, noisy)[0], alpha + 1024 / beta)


class Model(unittest.TestCase):
    m = perf.Machine(latency=1e-6, bandwidth=1e9, item_cost=1e-9, dispatch=1e-6)

    def test_squares_phases(self) -> None:
        one = perf.squares_phases(1000, 1, self.m)
        self.assertEqual(one["scatter"], 0.0)
        self.assertEqual(one["gather"], 0.0)
        self.assertAlmostEqual(one["compute"], 1e-6)
        four = perf.squares_phases(1000, 4, self.m)
        self.assertAlmostEqual(four["scatter"], 2e-6)  # ceil(log2 4) rounds
        self.assertAlmostEqual(four["compute"], 250e-9 + 2e-6)
        self.assertAlmostEqual(four["gather"], 3e-6 + 6000 / 1e9)  # 3/4 of 8000 bytes
        self.assertAlmostEqual(four["total"], four["scatter"] + four["compute"] + four["gather"])
        shared = perf.squares_phases(1000, 4, perf.Machine(1e-6, 1e9, 1e-9, 1e-6, cores=2))
        self.assertAlmostEqual(shared["compute"], 2 * 250e-9 + 2e-6)  # 2 ranks a core

    def test_executor_work_bound_and_saturation(self) -> None:
        # 1000 tasks of 1 ms on 10 workers: 100 rounds of 1 ms, dispatch far below
        self.assertAlmostEqual(perf.executor_time(1000, 1e-3, 10, 1, self.m), 0.1 + 2e-6)
        # tasks of 10 us on 10000 workers: one round of work takes 10 us, but the master
        # needs 1000 chunks * 1 us = 1 ms to hand them out: it saturates
        self.assertAlmostEqual(perf.executor_time(1000, 1e-5, 10000, 1, self.m), 1e-3 + 2e-6)
        self.assertAlmostEqual(perf.saturation_workers(1e-5, 1, 1e-6), 10.0)
        self.assertEqual(perf.chunk_to_avoid_saturation(1e-5, 100, 1e-6), 10)
        self.assertEqual(perf.chunk_to_avoid_saturation(1.0, 4, 1e-6), 1)
        # 100000 tasks of 10 us on 1000 workers, 1 us a chunk: chunk 1 takes n d = 0.1 s; the
        # best chunk (100: one round of 1 ms, handed out in 1000 * 1 us) takes about 2 ms
        self.assertAlmostEqual(perf.executor_time(100000, 1e-5, 1000, 1, self.m), 0.1 + 2e-6)
        k = perf.best_chunk(100000, 1e-5, 1000, self.m)
        self.assertGreaterEqual(k, perf.chunk_to_avoid_saturation(1e-5, 1000, 1e-6))
        self.assertLess(perf.executor_time(100000, 1e-5, 1000, k, self.m), 0.0021)
        self.assertEqual(perf.best_chunk(10, 1.0, 10, self.m), 1)
        # more workers than chunks: larger chunks still unload the master (the brute force
        # over every k agrees)
        for n, t, w in ((20000, 2.8e-4, 4096), (1000, 1e-6, 64), (997, 3e-6, 7)):
            brute = min(range(1, n + 1), key=lambda k: (perf.executor_time(n, t, w, k, self.m), k))
            self.assertEqual(perf.best_chunk(n, t, w, self.m), brute, (n, t, w))
        self.assertEqual(perf.ceil_log2(1), 0)
        self.assertEqual(perf.ceil_log2(5), 3)


class Adapter(unittest.TestCase):
    def test_todays_squares(self) -> None:
        r = normalize({"command": "squares", "n": 1000, "ranks": 2, "ok": True,
                       "hosts": ["a", "b"], "seconds": {"scatter": 1.0, "compute": 2.0,
                                                         "gather": 3.0, "total": 6.0}})
        self.assertEqual((r.command, r.count, r.ranks, r.ok), ("squares", 1000, 2, True))
        self.assertEqual(r.seconds["total"], 6.0)
        self.assertEqual(r.rank_seconds, {})

    def test_todays_sleep(self) -> None:
        raw = {"command": "sleep", "ranks": 2, "tasks": 3, "completed": 3, "failed": 0,
               "makespan": 1.5, "predicted": 1.4, "lower_bound": 1.0, "results": [0.0] * 3}
        r = normalize(raw)
        self.assertEqual((r.count, r.ok, r.seconds), (3, True, {"total": 1.5}))
        self.assertEqual(r.detail["predicted"], 1.4)
        self.assertFalse(normalize({**raw, "failed": 1, "completed": 2}).ok)

    def test_envelope(self) -> None:
        r = normalize({"schema_version": 1, "command": "squares", "ok": True,
                       "rankpool": {"version": "0.2.0", "git": "bf9bb1a"}, "ranks": 2,
                       "hosts": ["h1", "h1"], "host_cpus": [8, 8],
                       "seconds": {"total": 0.4, "compute": 0.3},
                       "rank_seconds": {"compute": [0.2, 0.3]},
                       "results": {"count": 100, "checksum": 328350},
                       "detail": {"workers": 2}})
        self.assertEqual((r.count, r.host_cpus, r.rankpool["git"]), (100, [8, 8], "bf9bb1a"))
        self.assertEqual(r.rank_seconds["compute"], [0.2, 0.3])
        self.assertEqual(r.detail, {"workers": 2})
        sleep = normalize({"schema_version": 1, "command": "sleep", "ok": False,
                           "seconds": {"total": 2.0}, "results": {"count": 5, "completed": 5,
                                                                  "failed": 0}})
        self.assertEqual((sleep.count, sleep.ok, sleep.seconds["total"]), (5, False, 2.0))

    def test_not_a_report(self) -> None:
        with self.assertRaises(ValueError):
            normalize({"n": 1})
        self.assertEqual(last_json_line('x\n{"a": 1}\n{broken\n'), {"a": 1})
        self.assertIsNone(last_json_line("no json here\n"))


class SweepHelpers(unittest.TestCase):
    def test_parse_ranks(self) -> None:
        self.assertEqual(sweep.parse_ranks(["1", "2,4", "4"]), [1, 2, 4])
        for bad in (["0"], ["1", "-2"], ["x"], [""]):
            with self.assertRaises(UsageError):
                sweep.parse_ranks(bad)

    def test_scale_command(self) -> None:
        self.assertEqual(sweep.scale_command(["squares", "1000", "--work", "5"], 4),
                         ["squares", "4000", "--work", "5"])
        self.assertEqual(sweep.scale_command(["sleep", "0", "--repeat", "10", "--quiet"], 3),
                         ["sleep", "0", "--repeat", "30", "--quiet"])
        self.assertEqual(sweep.scale_command(["sleep", "0", "--repeat=10"], 2),
                         ["sleep", "0", "--repeat=20"])
        with self.assertRaises(UsageError):
            sweep.scale_command(["squares", "--print"], 2)

    def test_run_order(self) -> None:
        cfg = sweep.Config(command=["squares", "10"], ranks=[1, 2], out=Path("x.csv"), reps=2,
                           warmup=1)
        points = sweep.plan(cfg, {})
        order = [(p.ranks, r) for p, r in sweep.schedule(cfg, points)]
        self.assertEqual(order, [(1, 0), (2, 0), (1, 1), (2, 1), (1, 2), (2, 2)])
        cfg.order = "grouped"
        order = [(p.ranks, r) for p, r in sweep.schedule(cfg, points)]
        self.assertEqual(order, [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)])
        self.assertEqual(points[1].args, ["squares", "10", "--json"])
        cfg.mode = "weak"
        self.assertEqual(sweep.plan(cfg, {})[1].args, ["squares", "20", "--json"])

    def test_slurm(self) -> None:
        env = {"SLURM_JOB_ID": "7", "SLURM_JOB_CPUS_PER_NODE": "4(x2),2",
               "SLURM_JOB_NUM_NODES": "3"}
        self.assertEqual(sweep.slurm_cpus_per_node(env), [4, 4, 2])
        self.assertEqual(sweep.choose_launcher("auto", env), "srun")
        self.assertEqual(sweep.choose_launcher("auto", {}), "mpirun")
        cfg = sweep.Config(command=["squares", "10"], ranks=[12], out=Path("x.csv"),
                           rankpool="rp")
        self.assertEqual(sweep.launch_argv(cfg, "srun", 8, ["squares", "10", "--json"], env, 4),
                         ["srun", "-n", "8", "--mpi=pmix", "rp", "squares", "10", "--json"])
        self.assertIn("--overcommit", sweep.launch_argv(cfg, "srun", 12, [], env, 4))
        self.assertEqual(sweep.launch_argv(cfg, "mpirun", 3, [], {}, 2),
                         ["mpirun", "-np", "3", "--oversubscribe", "rp"])
        # no hosts in the report: Slurm's nodes, ranks spread over them
        r = normalize({"command": "squares", "ok": True})
        self.assertEqual(sweep.layout(r, 6, env, 4), (3, 2, False))
        self.assertEqual(sweep.layout(r, 3, {}, 2), (1, 3, True))

    def test_layout_from_hosts(self) -> None:
        r = normalize({"command": "squares", "ok": True, "hosts": ["a", "a", "b", "b", "b"]})
        self.assertEqual(sweep.layout(r, 5, {}, 2), (2, 3, True))
        self.assertEqual(sweep.layout(r, 5, {}, 4), (2, 3, False))
        r = normalize({"command": "squares", "ok": True, "hosts": ["a", "a", "b"],
                       "host_cpus": [1, 1, 4]})
        self.assertEqual(sweep.layout(r, 3, {}, 64), (2, 2, True))  # host a: 2 ranks, 1 cpu


if __name__ == "__main__":
    unittest.main()
