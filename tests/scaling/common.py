"""What the scaling tests share: where the script, the binary and mpirun are, and a runner."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "scaling"
# ctest sets these (tests/scaling/CMakeLists.txt); by hand, the default build directory.
RANKPOOL = os.environ.get("RANKPOOL_EXE", str(REPO / "build" / "rankpool"))
MPIEXEC = os.environ.get("RANKPOOL_MPIEXEC", "mpirun")


def scaling(*args: str, cwd: Path | None = None, timeout: float = 50,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Runs scripts/scaling with this interpreter (env: added to this environment)."""
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env={**os.environ, **(env or {})})


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; raises AssertionError when it is no PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path}: no PNG signature"
    assert data[12:16] == b"IHDR", f"{path}: no IHDR chunk first"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
