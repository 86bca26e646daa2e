"""Bad input to scripts/scaling: one line, `scaling: error: ...`, exit 2, nothing written."""

import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RANKPOOL, scaling  # noqa: E402


class BadInput(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def refused(self, *args: str, says: str) -> None:
        result = scaling(*args, cwd=self.dir)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stdout, "")
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("scaling: error: "), lines[0])
        self.assertIn(says, lines[0])

    def sweep(self, *args: str) -> list[str]:
        return ["sweep", "--out", "x.csv", "--rankpool", RANKPOOL, *args]

    def test_unknown_mode(self) -> None:
        self.refused(*self.sweep("--ranks", "1", "--mode", "sideways", "--", "squares", "10"),
                     says="invalid choice: 'sideways'")

    def test_rank_list_with_zero(self) -> None:
        self.refused(*self.sweep("--ranks", "0", "1", "2", "--", "squares", "10"),
                     says="rank counts must be >= 1, got 0")
        self.refused(*self.sweep("--ranks", "1,0", "--", "squares", "10"), says="got 0")

    def test_no_command(self) -> None:
        self.refused(*self.sweep("--ranks", "1"), says="after --")

    def test_weak_without_a_size(self) -> None:
        self.refused(*self.sweep("--ranks", "1", "--mode", "weak", "--", "sleep", "1"),
                     says="--mode weak scales the problem size")

    def test_rankpool_refuses_its_arguments(self) -> None:
        self.refused(*self.sweep("--ranks", "1", "--warmup", "0", "--", "squares", "-5"),
                     says="rankpool refused the command (exit 2): rankpool: error:")
        self.assertEqual(list(self.dir.iterdir()), [])

    def test_rankpool_refuses_a_bad_work(self) -> None:
        for bad in ("-5", "x", "1e3"):
            self.refused(*self.sweep("--ranks", "1", "--warmup", "0", "--", "squares", "10",
                                     "--work", bad),
                         says="rankpool refused the command (exit 2): rankpool: error:")
        self.assertEqual(list(self.dir.iterdir()), [])

    def test_weak_sweep_of_work_without_a_size(self) -> None:
        self.refused(*self.sweep("--ranks", "1", "2", "--mode", "weak", "--", "squares",
                                 "--work", "10"), says="--mode weak scales the problem size")

    def test_unknown_action(self) -> None:
        self.refused("sideways", says="invalid choice: 'sideways'")

    def test_csv_with_missing_columns(self) -> None:
        (self.dir / "bad.csv").write_text("command,mode,ranks\nsquares 10,strong,1\n")
        self.refused("plot", "bad.csv", "--out", "plots",
                     says="bad.csv: missing columns: repetition, oversubscribed, ok, seconds_total")
        self.assertFalse((self.dir / "plots").exists())

    def test_csv_that_is_not_there(self) -> None:
        self.refused("plot", "none.csv", "--out", "plots", says="none.csv")

    def test_csv_with_a_bad_mode(self) -> None:
        (self.dir / "m.csv").write_text(
            "command,mode,ranks,repetition,oversubscribed,ok,seconds_total\n"
            "squares 10,sideways,1,1,false,true,0.5\n")
        self.refused("plot", "m.csv", "--out", "plots", says="mode must be strong or weak")

    def test_csv_with_no_number(self) -> None:
        (self.dir / "n.csv").write_text(
            "command,mode,ranks,repetition,oversubscribed,ok,seconds_total\n"
            "squares 10,strong,1,1,false,true,fast\n")
        self.refused("plot", "n.csv", "--out", "plots", says="'fast' is not a number")


if __name__ == "__main__":
    unittest.main()
