"""scripts/scaling model against stand-ins: a fake mpirun that runs its program once, a fake
rankpool whose squares has --work K and whose times follow known constants, and a fake
pingpong_ref. Checks that the model measures what it should (latency, bandwidth, dispatch,
compute cost, the --work probe) and predicts from it."""

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import png_size, scaling  # noqa: E402

FAKE_MPIRUN = """#!/bin/sh
# mpirun -np K [--oversubscribe] PROGRAM ARGS...: runs PROGRAM once
shift 2
[ "$1" = --oversubscribe ] && shift
exec "$@"
"""

# 1 ns per item (+ 1 ps per multiply-add of --work), 2 us per dispatched task, sleeps as asked
FAKE_RANKPOOL = """#!{python}
import json, sys
args = sys.argv[1:]
if "--help" in args:
    print("  --work K   multiply-adds per item")
    sys.exit(0)
if args[0] == "squares":
    n = int(args[1])
    work = int(args[args.index("--work") + 1]) if "--work" in args else 0
    c = n * (1e-9 + work * 1e-12)
    print(json.dumps({{"command": "squares", "n": n, "ok": True, "ranks": 1, "hosts": ["h"],
                      "seconds": {{"scatter": 0.0, "compute": c, "gather": 0.0, "total": c}}}}))
elif args[0] == "sleep":
    t = float(args[1])
    n = int(args[args.index("--repeat") + 1])
    print(json.dumps({{"command": "sleep", "tasks": n, "completed": n, "failed": 0,
                      "hosts": ["h"], "makespan": n * (t if t > 0 else 2e-6)}}))
"""

# one-way time 1 us + m / 4 GB/s
FAKE_PINGPONG = """#!{python}
import json
sizes = [0, 1, 4, 16, 64, 256, 1024, 4096, 1 << 20, 1 << 22, 1 << 24]
print(json.dumps({{"command": "pingpong_ref", "ranks": 2, "ok": True, "sizes": sizes,
                  "one_way_seconds": [1e-6 + m / 4e9 for m in sizes]}}))
"""


class ModelWithFakes(unittest.TestCase):
    def test_constants_and_predictions(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            for name, text in (("mpirun", FAKE_MPIRUN), ("rankpool", FAKE_RANKPOOL),
                               ("pingpong_ref", FAKE_PINGPONG)):
                (d / name).write_text(text.format(python=sys.executable))
                (d / name).chmod(0o755)
            result = scaling("model", "--out", str(d / "out"), "--plots", str(d / "img"),
                             "--rankpool", str(d / "rankpool"), "--mpirun", str(d / "mpirun"),
                             "--pingpong", str(d / "pingpong_ref"), "--n", "1000000",
                             "--tasks", "100", "--task-seconds", "0.001", "--reps", "1",
                             "--measure-ranks", "1", "--max-ranks", "1024", "--cores", "2",
                             "--formats", "png")
            self.assertEqual(result.returncode, 0, result.stderr)
            model = json.loads((d / "out" / "model.json").read_text())
            m = model["constants"]
            self.assertAlmostEqual(m["latency"], 1e-6 + 16 / 4e9)  # median of sizes <= 1 KiB
            self.assertAlmostEqual(m["bandwidth"] / 4e9, 1.0, places=6)
            self.assertAlmostEqual(m["item_cost"], 1e-9)
            self.assertAlmostEqual(m["dispatch"], 2e-6)
            self.assertEqual(m["cores"], 2)
            probe = model["how"]["work_probe"]
            self.assertAlmostEqual(probe["seconds_per_multiply_add"], 1e-12)
            self.assertAlmostEqual(model["executor"]["task_seconds_measured"], 0.001)
            rows = {r["ranks"]: r for r in model["predictions"]}
            self.assertEqual(sorted(rows), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
            self.assertAlmostEqual(rows[1]["squares_total"], 1e-3)
            # 100 tasks of 1 ms on 128 workers: one round of 1 ms outlasts the master (100 * 2 us)
            self.assertAlmostEqual(rows[128]["executor"], 1e-3 + 2 * m["latency"])
            self.assertAlmostEqual(rows[1]["executor"], 0.1 + 2 * m["latency"])
            self.assertIn("speedup <= 1 + c b / 8 = 1.50", result.stdout)  # 1e-9 * 4e9 / 8
            width, _ = png_size(d / "img" / "model.png")
            self.assertGreater(width, 600)


if __name__ == "__main__":
    unittest.main()
