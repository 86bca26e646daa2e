"""scripts/scaling sweep and plot end to end: a tiny strong sweep of squares under mpirun at 1,
2 and 4 ranks, its CSV, JSON lines and metadata, --resume, the plots and the model made from
it; a strong and a weak sweep of the compute-bound squares --work K with the imbalance plot;
a weak sweep of the executor's sleep command, and a sweep inside a (pretended) Slurm
allocation through a stand-in srun that runs mpirun."""

import csv
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MPIEXEC, RANKPOOL, png_size, scaling  # noqa: E402

COLUMNS = ["command", "task", "mode", "n", "ranks", "nodes", "ranks_per_node", "oversubscribed",
           "repetition", "ok", "exit_code", "wall_seconds", "seconds_scatter", "seconds_compute",
           "seconds_gather", "seconds_total", "compute_min", "compute_mean", "compute_max",
           "launcher", "started", "argv"]
META_KEYS = {"date", "user", "hosts", "cpu", "mpi", "compiler", "rankpool", "sweep",
             "command_lines", "environment"}


def sweep_args(out: Path, *extra: str) -> list[str]:
    return ["sweep", "--out", str(out), "--rankpool", RANKPOOL, "--mpirun", MPIEXEC,
            "--launcher", "mpirun", *extra]


class SquaresSweep(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = Path(cls.tmp.name)
        cls.csv = cls.dir / "runs.csv"
        cls.result = scaling(*sweep_args(cls.csv, "--ranks", "1", "2", "4", "--reps", "2",
                                         "--warmup", "0", "--cores", "2", "--", "squares", "1000"))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def rows(self) -> list[dict[str, str]]:
        with open(self.csv, newline="") as f:
            return list(csv.DictReader(f))

    def test_sweep_succeeds_with_progress(self) -> None:
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        self.assertIn("scaling: [6/6] ranks=4 rep 2/2", self.result.stderr)
        self.assertIn("ETA", self.result.stderr)

    def test_csv_rows_and_columns(self) -> None:
        with open(self.csv, newline="") as f:
            self.assertEqual(next(csv.reader(f)), COLUMNS)
        rows = self.rows()
        self.assertEqual([(r["ranks"], r["repetition"]) for r in rows],
                         [("1", "1"), ("2", "1"), ("4", "1"), ("1", "2"), ("2", "2"), ("4", "2")])
        for r in rows:
            self.assertEqual((r["command"], r["task"], r["mode"], r["n"]),
                             ("squares 1000", "squares", "strong", "1000"))
            self.assertEqual((r["ok"], r["exit_code"], r["nodes"]), ("true", "0", "1"))
            self.assertEqual(r["ranks_per_node"], r["ranks"])
            self.assertEqual(r["oversubscribed"], "true" if r["ranks"] == "4" else "false")
            self.assertEqual(r["launcher"], "mpirun")
            for phase in ("scatter", "compute", "gather", "total"):
                self.assertGreaterEqual(float(r[f"seconds_{phase}"]), 0.0)
            self.assertGreaterEqual(float(r["seconds_total"]), float(r["seconds_compute"]))
            self.assertGreater(float(r["wall_seconds"]), float(r["seconds_total"]))
            self.assertTrue(r["argv"].endswith("squares 1000 --json"), r["argv"])
        self.assertIn("--oversubscribe", rows[2]["argv"])
        self.assertNotIn("--oversubscribe", rows[1]["argv"])

    def test_json_lines_match_the_csv(self) -> None:
        lines = [json.loads(ln) for ln in (self.dir / "runs.jsonl").read_text().splitlines()]
        self.assertEqual(len(lines), 6)
        for line, row in zip(lines, self.rows()):
            self.assertEqual((line["ranks"], line["repetition"], line["ok"]),
                             (int(row["ranks"]), int(row["repetition"]), True))
            self.assertEqual(line["seconds_total"], float(row["seconds_total"]))

    def test_metadata(self) -> None:
        meta = json.loads((self.dir / "runs.meta.json").read_text())
        self.assertLessEqual(META_KEYS, set(meta))
        self.assertEqual(meta["sweep"]["ranks"], [1, 2, 4])
        self.assertEqual(meta["sweep"]["mode"], "strong")
        self.assertEqual(len(meta["command_lines"]), 3)
        self.assertRegex(meta["mpi"]["mpirun_version"], r"\d+\.\d+")  # mpirun --version
        self.assertTrue(meta["rankpool"]["version"])
        self.assertTrue(meta["hosts"]["ranks"])
        self.assertGreaterEqual(meta["cpu"]["cores"], 1)
        self.assertIsNotNone(meta["finished"])
        self.assertEqual(len(meta["load_average"]["end"]), 3)  # 1, 5, 15 minutes

    def test_resume_runs_only_what_is_missing(self) -> None:
        again = scaling(*sweep_args(self.csv, "--ranks", "1", "2", "4", "--reps", "2",
                                    "--warmup", "0", "--cores", "2", "--resume", "--",
                                    "squares", "1000"))
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("6 runs already", again.stderr)
        self.assertNotIn("rep ", again.stderr)
        self.assertEqual(len(self.rows()), 6)

    def test_plot_makes_png_files(self) -> None:
        out = self.dir / "plots"
        result = scaling("plot", str(self.csv), "--out", str(out), "--bootstrap", "200")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("| 4 | 1 | 1,000 | 2 |", result.stdout)
        self.assertIn("oversubscribed", result.stdout)
        for name in ("time", "speedup", "phases", "karp_flatt"):
            png = out / f"{name}.png"
            width, height = png_size(png)
            self.assertTrue(300 <= width <= 3000 and 200 <= height <= 3000, (name, width, height))
            self.assertTrue(10_000 < png.stat().st_size < 2_000_000, name)
            self.assertTrue((out / f"{name}.svg").read_text().lstrip().startswith("<?xml"))
        # squares' reports have every rank's compute time (rank_seconds.compute)
        self.assertTrue(all(r["compute_max"] for r in self.rows()))
        png_size(out / "imbalance.png")
        self.assertTrue((out / "table.md").read_text().startswith("squares 1000"))

    def test_model_beside_the_sweep(self) -> None:
        # constants given (no ping-pong), the squares sweep above as the measured points, a
        # short executor sweep at 1 and 2 ranks: predictions up to 64 ranks and the figure
        out = self.dir / "model"
        result = scaling("model", "--out", str(out), "--rankpool", RANKPOOL, "--mpirun", MPIEXEC,
                         "--squares-csv", str(self.csv), "--latency", "1e-6", "--bandwidth",
                         "1e9", "--item-cost", "1e-9", "--dispatch", "1e-6", "--tasks", "20",
                         "--task-seconds", "0.001", "--measure-ranks", "1", "2", "--reps", "1",
                         "--max-ranks", "64")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("| 64 | ", result.stdout)
        model = json.loads((out / "model.json").read_text())
        self.assertEqual([r["ranks"] for r in model["predictions"]], [1, 2, 4, 8, 16, 32, 64])
        self.assertEqual(model["squares_n"], 1000)
        self.assertEqual(model["constants"]["latency"], 1e-6)
        # one rank: no messages, 1000 items of 1 ns
        self.assertAlmostEqual(model["predictions"][0]["squares_total"], 1e-6)
        width, height = png_size(out / "model.png")
        self.assertTrue(600 <= width <= 3000 and 300 <= height <= 3000, (width, height))
        with open(out / "measured-executor.csv", newline="") as f:
            self.assertEqual([r["ranks"] for r in csv.DictReader(f)], ["1", "2"])


class ComputeSweep(unittest.TestCase):
    """squares N --work K (the compute-bound task): a strong and a weak sweep at 1, 2 and 4
    ranks, two repetitions each, the per-rank compute columns and the imbalance plot."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = Path(cls.tmp.name)
        common = ["--ranks", "1", "2", "4", "--reps", "2", "--warmup", "0", "--cores", "2"]
        cls.strong = scaling(*sweep_args(cls.dir / "compute.csv", *common, "--",
                                         "squares", "2000", "--work", "50"))
        cls.weak = scaling(*sweep_args(cls.dir / "weak.csv", *common, "--mode", "weak", "--",
                                       "squares", "1000", "--work", "50"))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def rows(self, name: str) -> list[dict[str, str]]:
        with open(self.dir / name, newline="") as f:
            return list(csv.DictReader(f))

    def test_strong_rows_and_columns(self) -> None:
        self.assertEqual(self.strong.returncode, 0, self.strong.stderr)
        with open(self.dir / "compute.csv", newline="") as f:
            self.assertEqual(next(csv.reader(f)), COLUMNS)
        rows = self.rows("compute.csv")
        self.assertEqual([(r["ranks"], r["repetition"]) for r in rows],
                         [("1", "1"), ("2", "1"), ("4", "1"), ("1", "2"), ("2", "2"), ("4", "2")])
        for r in rows:
            self.assertEqual((r["command"], r["task"], r["mode"], r["n"], r["ok"]),
                             ("squares 2000 --work 50", "squares", "strong", "2000", "true"))
            self.assertTrue(r["argv"].endswith("squares 2000 --work 50 --json"), r["argv"])
            # every rank's compute time: min <= mean <= max <= the slowest rank's phase
            lo, mean, hi = (float(r[c]) for c in ("compute_min", "compute_mean", "compute_max"))
            self.assertTrue(0.0 < lo <= mean <= hi, (lo, mean, hi))
            self.assertAlmostEqual(hi, float(r["seconds_compute"]), places=9)
            if r["ranks"] == "1":
                self.assertEqual(lo, hi)

    def test_metadata(self) -> None:
        for name, mode in (("compute", "strong"), ("weak", "weak")):
            meta = json.loads((self.dir / f"{name}.meta.json").read_text())
            self.assertLessEqual(META_KEYS, set(meta))
            self.assertEqual((meta["sweep"]["mode"], meta["sweep"]["ranks"]), (mode, [1, 2, 4]))
            self.assertIn("--work 50", meta["sweep"]["command"])
            self.assertEqual(len(meta["command_lines"]), 3)

    def test_weak_scales_n_and_keeps_work(self) -> None:
        self.assertEqual(self.weak.returncode, 0, self.weak.stderr)
        rows = self.rows("weak.csv")
        self.assertEqual([(r["ranks"], r["n"], r["mode"], r["ok"]) for r in rows],
                         [("1", "1000", "weak", "true"), ("2", "2000", "weak", "true"),
                          ("4", "4000", "weak", "true")] * 2)
        for r in rows:
            self.assertEqual(r["command"], "squares 1000 --work 50")
            self.assertTrue(r["argv"].endswith(f"squares {r['n']} --work 50 --json"), r["argv"])

    def plot(self, name: str) -> tuple[Path, str]:
        out = self.dir / f"plots-{name}"
        result = scaling("plot", str(self.dir / f"{name}.csv"), "--out", str(out),
                         "--bootstrap", "100", "--formats", "png")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("no imbalance plot", result.stderr)
        return out, result.stdout

    def assert_png(self, path: Path) -> None:
        width, height = png_size(path)
        self.assertTrue(300 <= width <= 3000 and 200 <= height <= 3000, (path, width, height))
        self.assertTrue(10_000 < path.stat().st_size < 2_000_000, path)

    def test_plots_with_imbalance(self) -> None:
        out, table = self.plot("compute")
        for name in ("time", "speedup", "phases", "imbalance", "karp_flatt"):
            self.assert_png(out / f"{name}.png")
        self.assertFalse((out / "time.svg").exists())  # --formats png
        self.assertIn("imbalance", table.splitlines()[2])  # the header
        # the imbalance column (max / mean compute) of every rank count: 1.000 on one rank
        cells = {row.split("|")[1].strip(): row.split("|")[-3].strip()
                 for row in table.splitlines() if row.startswith("| ") and row[2].isdigit()}
        self.assertEqual(sorted(cells), ["1", "2", "4"])
        self.assertEqual(cells["1"], "1.000")
        self.assertTrue(all(float(v) >= 1.0 for v in cells.values()), cells)

    def test_weak_plots(self) -> None:
        out, table = self.plot("weak")
        for name in ("time", "speedup", "phases", "imbalance"):
            self.assert_png(out / f"{name}.png")
        self.assertFalse((out / "karp_flatt.png").exists())  # strong scaling only
        self.assertIn("squares 1000 --work 50 (weak scaling)", table)
        self.assertIn("scaled: p T(base) / T(p)", table)
        self.assertNotIn("Amdahl fit", table)


class SleepSweep(unittest.TestCase):
    def test_executor_weak_sweep(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "sleep.csv"
            result = scaling(*sweep_args(out, "--ranks", "1,2", "--reps", "1", "--mode", "weak",
                                         "--", "sleep", "0", "--repeat", "500", "--quiet"))
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(out, newline="") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual([(r["ranks"], r["n"], r["task"], r["ok"]) for r in rows],
                             [("1", "500", "sleep", "true"), ("2", "1000", "sleep", "true")])
            self.assertEqual(rows[0]["seconds_compute"], "")
            self.assertGreater(float(rows[1]["seconds_total"]), 0.0)
            self.assertIn("--repeat 1000", rows[1]["argv"])


# srun -n K --mpi=pmix [--overcommit] PROGRAM ARGS...: the real mpirun underneath
FAKE_SRUN = """#!/bin/sh
[ "$1" = -n ] && [ "$3" = --mpi=pmix ] || {{ echo "fake srun: unexpected $*" >&2; exit 9; }}
k=$2
shift 3
[ "$1" = --overcommit ] && shift
exec {mpiexec} -np "$k" --oversubscribe "$@"
"""


class SlurmSweep(unittest.TestCase):
    def test_inside_an_allocation_it_runs_srun(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            srun = Path(tmp) / "srun"
            srun.write_text(FAKE_SRUN.format(mpiexec=MPIEXEC))
            srun.chmod(0o755)
            out = Path(tmp) / "slurm.csv"
            env = {"SLURM_JOB_ID": "4242", "SLURM_JOB_NODELIST": "vm", "SLURM_JOB_NUM_NODES": "1",
                   "SLURM_JOB_CPUS_PER_NODE": "2", "SLURM_CPUS_ON_NODE": "2"}
            result = scaling("sweep", "--out", str(out), "--rankpool", RANKPOOL, "--srun",
                             str(srun), "--ranks", "1", "3", "--reps", "1", "--warmup", "0",
                             "--", "squares", "100", env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(out, newline="") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual([(r["launcher"], r["ranks"], r["nodes"], r["ranks_per_node"],
                               r["oversubscribed"], r["ok"]) for r in rows],
                             [("srun", "1", "1", "1", "false", "true"),
                              ("srun", "3", "1", "3", "true", "true")])
            self.assertTrue(rows[0]["argv"].startswith(f"{srun} -n 1 --mpi=pmix "), rows[0]["argv"])
            self.assertIn(" -n 3 --mpi=pmix --overcommit ", rows[1]["argv"])
            meta = json.loads((Path(tmp) / "slurm.meta.json").read_text())
            self.assertEqual(meta["environment"]["SLURM_JOB_ID"], "4242")
            self.assertEqual(meta["environment"]["SLURM_JOB_NODELIST"], "vm")
            self.assertEqual(meta["sweep"]["launcher"], "srun")
            self.assertEqual(meta["cpu"]["cores_per_host_assumed"], 2)


if __name__ == "__main__":
    unittest.main()
