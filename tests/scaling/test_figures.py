"""scripts/scaling figures: the load check, the uneven task lengths and the README filling
(in-process), bad input (one line, exit 2), and a --quick run of the compute and weak steps
end to end at 1-4 ranks into a scratch directory, with a README to fill."""

import csv
import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from common import MPIEXEC, RANKPOOL, png_size, scaling  # noqa: E402
from rankpool_py import figures  # noqa: E402
from rankpool_py.errors import UsageError  # noqa: E402
from rankpool_py.sweep import local_cores  # noqa: E402

README = """# Title

<!-- figures:machine -->
old machine text
<!-- /figures:machine -->

Some text that stays.

<!-- figures:compute -->
old compute text
over two lines
<!-- /figures:compute -->

<!-- figures:nothing -->
kept as it is
<!-- /figures:nothing -->
"""


class Pure(unittest.TestCase):
    def test_quiet_machine_passes(self) -> None:
        self.assertIsNone(figures.check_load(1.5, False, (0.4, 2.0, 3.0)))
        self.assertIsNone(figures.check_load(1.5, False, (1.5, 9.0, 9.0)))

    def test_loaded_machine_is_refused(self) -> None:
        with self.assertRaises(UsageError) as e:
            figures.check_load(1.5, False, (9.0, 8.5, 7.25))
        self.assertIn("1-minute load average is 9.00", str(e.exception))
        self.assertIn("--force", str(e.exception))
        self.assertNotIn("\n", str(e.exception))

    def test_forced_run_is_warned(self) -> None:
        text = figures.check_load(1.5, True, (9.0, 8.5, 7.25))
        self.assertIsNotNone(text)
        self.assertIn("above --max-load 1.5", text)

    def test_task_lengths_are_seeded_heavy_tailed(self) -> None:
        a = figures.task_lengths(4000, 0.005)
        self.assertEqual(a, figures.task_lengths(4000, 0.005))
        self.assertTrue(all(t > 0 for t in a))
        mean = sum(a) / len(a)
        self.assertAlmostEqual(mean, 0.005, delta=0.0005)
        median = sorted(a)[len(a) // 2]
        self.assertLess(median, 0.8 * mean)  # lognormal: the mean is pulled up by the tail
        self.assertGreater(max(a), 5 * mean)

    def test_task_file_round_trip(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tasks.txt"
            lengths = figures.task_lengths(50, 0.002)
            figures.write_task_file(path, lengths, 0.002)
            self.assertTrue(path.read_text().startswith("# 50 task lengths"))
            self.assertEqual(figures.read_task_file(path), lengths)

    def test_fill_readme_between_markers(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "README.md"
            path.write_text(README)
            long = " ".join(["word"] * 40)
            filled = figures.fill_readme(path, {"machine": "new machine", "compute": long,
                                                "absent": "x"})
            self.assertEqual(filled, ["machine", "compute"])
            text = path.read_text()
            self.assertIn("<!-- figures:machine -->\nnew machine\n<!-- /figures:machine -->",
                          text)
            # wrapped at 96 columns, after "*Measured:* "
            self.assertIn("<!-- figures:compute -->\n*Measured:* word word", text)
            block = text.split("<!-- figures:compute -->\n")[1].split("<!-- /figures")[0]
            self.assertEqual(block.split(), ["*Measured:*"] + ["word"] * 40)
            self.assertTrue(all(len(line) <= 96 for line in block.splitlines()))
            self.assertGreater(len(block.splitlines()), 1)
            self.assertIn("kept as it is", text)
            self.assertIn("Some text that stays.", text)
            self.assertNotIn("old", text)
            # filling again changes nothing more
            figures.fill_readme(path, {"machine": "new machine", "compute": long})
            self.assertEqual(path.read_text(), text)


    def test_wrap_starts_no_markdown_block(self) -> None:
        text = " ".join(["compute 0.937 s + gather 1.24 s, 2: -, 3: 1. x"] * 12)
        lines = figures.wrap(text, 40).splitlines()
        self.assertEqual(" ".join(lines), text)
        for line in lines:
            self.assertNotRegex(line, r"^([-+*>#|]|\d+[.)])(\s|$)", lines)
        self.assertTrue(any(len(line) <= 40 for line in lines))


class BadInput(unittest.TestCase):
    def refused(self, *args: str, says: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            result = scaling("figures", "--data", f"{tmp}/data", "--img", f"{tmp}/img", *args)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(result.stdout, "")
            lines = result.stderr.splitlines()
            self.assertEqual(len(lines), 1, result.stderr)
            self.assertTrue(lines[0].startswith("scaling: error: "), lines[0])
            self.assertIn(says, lines[0])
            self.assertEqual(os.listdir(tmp), [])

    def test_bad_values(self) -> None:
        self.refused("--rankpool", RANKPOOL, "--reps", "0", says="--reps must be >= 1, got 0")
        self.refused("--rankpool", RANKPOOL, "--max-load", "0", says="--max-load must be > 0")
        self.refused("--rankpool", RANKPOOL, "--only", "sideways",
                     says="invalid choice: 'sideways'")
        self.refused("--rankpool", "/nonexistent/rankpool", says="no rankpool binary there")
        self.refused("--rankpool", RANKPOOL, "--readme", "/nonexistent/README.md",
                     says="no such file")

    def test_model_needs_the_compute_sweep(self) -> None:
        self.refused("--rankpool", RANKPOOL, "--pingpong", RANKPOOL, "--only", "model",
                     says="the model compares with")

    def test_dry_run_lists_the_steps(self) -> None:
        result = scaling("figures", "--rankpool", RANKPOOL, "--pingpong", RANKPOOL, "--dry-run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([ln.split(":")[0] for ln in result.stdout.splitlines()],
                         ["compute", "strong", "weak", "executor", "model"])
        self.assertIn("squares 1000000 --work 1000", result.stdout)


class QuickRun(unittest.TestCase):
    """figures --quick --only compute weak: the sweeps at 1-4 ranks, their plots, the
    summary, figures.json and a README filled from them."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = Path(cls.tmp.name)
        cls.data, cls.img, cls.readme = cls.dir / "data", cls.dir / "img", cls.dir / "README.md"
        cls.readme.write_text(README)
        cls.result = scaling("figures", "--quick", "--only", "compute", "weak", "--max-load",
                             "1000", "--data", str(cls.data), "--img", str(cls.img),
                             "--readme", str(cls.readme), "--rankpool", RANKPOOL, "--mpirun",
                             MPIEXEC, timeout=170)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_succeeds(self) -> None:
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        self.assertIn("scaling: figures: [1/2] compute:", self.result.stderr)
        self.assertIn("scaling: figures: [2/2] weak:", self.result.stderr)

    def test_sweeps(self) -> None:
        cores = local_cores()
        for name, mode in (("compute", "strong"), ("weak", "weak")):
            with open(self.data / f"{name}.csv", newline="") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual(sorted((int(r["ranks"]), int(r["repetition"])) for r in rows),
                             [(p, k) for p in (1, 2, 3, 4) for k in (1, 2)])
            for r in rows:
                self.assertEqual((r["mode"], r["ok"]), (mode, "true"))
                self.assertIn("--work 100", r["command"])
                self.assertEqual(r["oversubscribed"], "true" if int(r["ranks"]) > cores
                                 else "false")
                self.assertTrue(r["compute_max"])
            self.assertTrue((self.data / f"{name}-table.md").is_file())

    def test_pngs(self) -> None:
        names = [f"compute-{n}" for n in ("time", "speedup", "phases", "imbalance",
                                           "karp_flatt")]
        names += [f"weak-{n}" for n in ("time", "speedup", "phases", "imbalance")]
        self.assertEqual(sorted(p.stem for p in self.img.iterdir()), sorted(names))
        for name in names:
            width, height = png_size(self.img / f"{name}.png")
            self.assertTrue(300 <= width <= 3000 and 200 <= height <= 3000, (name, width, height))

    def test_record_and_summary(self) -> None:
        record = json.loads((self.data / "figures.json").read_text())
        for key in ("date", "finished", "quick", "forced", "warnings", "max_load",
                    "load_average", "cpu_steal_percent", "cpu", "ranks", "sizes", "steps",
                    "summary"):
            self.assertIn(key, record)
        self.assertEqual((record["quick"], record["forced"], record["warnings"]),
                         (True, False, []))
        self.assertEqual(len(record["load_average"]["start"]), 3)
        self.assertEqual([s["name"] for s in record["steps"]], ["compute", "weak"])
        self.assertTrue(record["command"].startswith("scripts/scaling figures --quick --only"),
                        record["command"])
        self.assertEqual(sorted(record["summary"]), ["compute", "imbalance", "machine", "weak"])
        compute = record["summary"]["compute"]
        self.assertIn("`squares 20000 --work 100`, median of 2 runs", compute)
        self.assertIn("Speedup: 1: 1.00, 2: ", compute)
        self.assertIn("Karp-Flatt e(p): ", compute)
        self.assertIn("Scaled efficiency", record["summary"]["weak"])
        self.assertIn("1: 1.000", record["summary"]["imbalance"])
        for name in ("compute", "weak"):
            meta = json.loads((self.data / f"{name}.meta.json").read_text())
            self.assertEqual(meta["figures"]["forced"], False)
            self.assertEqual(meta["figures"]["date"], record["date"])
        summary = (self.data / "summary.md").read_text()
        self.assertEqual(self.result.stdout, summary)
        self.assertTrue(summary.startswith("**machine**: Made by `scripts/scaling figures"))

    def test_summary_again_without_running(self) -> None:
        readme = self.dir / "again.md"
        readme.write_text(README)
        result = scaling("figures", "--summary", "--data", str(self.data), "--readme",
                         str(readme))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, (self.data / "summary.md").read_text())
        self.assertNotIn("[1/", result.stderr)  # nothing run
        self.assertIn("<!-- figures:compute -->\n*Measured:* `squares 20000", readme.read_text())

    def test_summary_needs_a_run(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            result = scaling("figures", "--summary", "--data", tmp)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
            self.assertIn("no figures run to summarize", result.stderr)

    def test_readme_filled(self) -> None:
        text = self.readme.read_text()
        self.assertIn("<!-- figures:compute -->\n*Measured:* `squares 20000 --work 100`", text)
        self.assertIn("<!-- figures:machine -->\nMade by", text)
        self.assertIn("kept as it is", text)
        self.assertIn("filled", self.result.stderr)


if __name__ == "__main__":
    unittest.main()
