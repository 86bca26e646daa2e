"""The one adapter from a rankpool `--json` report to what the scripts read.

It reads the schema_version 1 envelope (docs: /work/notes/PLAN.md, on main after issue 8) and
falls back to the reports of today's binary, where squares has `seconds` with scatter, compute,
gather and total at top level, sleep has `makespan`, `tasks`, `completed` and `failed` at top
level and no `ok`. When the envelope lands only `normalize` may need to change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    """The fields of a report that the sweep, the model and bench.sh use."""

    command: str
    ok: bool
    ranks: int | None
    count: int | None  # problem size: squares' n, sleep's number of tasks
    seconds: dict[str, float]  # phases, always with "total" when the report has a time
    rank_seconds: dict[str, list[float]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    host_cpus: list[int] = field(default_factory=list)
    rankpool: dict[str, str] = field(default_factory=dict)  # version, git
    detail: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


# Keys of today's sleep report that the envelope moves under "detail".
_DETAIL_KEYS = ("workers", "lower_bound", "predicted", "chunks", "tasks_per_rank")


def normalize(report: dict[str, Any]) -> Report:
    """A report of either shape as a Report; raises ValueError when it is no rankpool report."""
    if not isinstance(report, dict) or "command" not in report:
        raise ValueError("not a rankpool --json report (no 'command')")
    results = report.get("results")
    results = results if isinstance(results, dict) else {}

    seconds_raw = report.get("seconds")
    seconds: dict[str, float] = {}
    if isinstance(seconds_raw, dict):
        seconds = {k: float(v) for k, v in seconds_raw.items() if isinstance(v, (int, float))}
    elif isinstance(seconds_raw, (int, float)):  # the C yardsticks: one number
        seconds = {"total": float(seconds_raw)}
    if "total" not in seconds and isinstance(report.get("makespan"), (int, float)):
        seconds["total"] = float(report["makespan"])

    count = results.get("count")
    if count is None:
        count = report.get("n", report.get("tasks"))

    ok = report.get("ok")
    if ok is None:  # today's sleep: every task completed, none failed
        completed = results.get("completed", report.get("completed"))
        failed = results.get("failed", report.get("failed"))
        ok = failed == 0 and completed is not None and completed == count

    detail = report.get("detail")
    if not isinstance(detail, dict):
        detail = {k: report[k] for k in _DETAIL_KEYS if k in report}

    rank_seconds = report.get("rank_seconds")
    rankpool = report.get("rankpool")
    return Report(
        command=str(report["command"]),
        ok=bool(ok),
        ranks=report.get("ranks"),
        count=int(count) if count is not None else None,
        seconds=seconds,
        rank_seconds=rank_seconds if isinstance(rank_seconds, dict) else {},
        hosts=list(report.get("hosts") or []),
        host_cpus=[int(c) for c in report.get("host_cpus") or []],
        rankpool=rankpool if isinstance(rankpool, dict) else {},
        detail=detail,
        raw=report,
    )


def last_json_line(text: str) -> dict[str, Any] | None:
    """The last line of a program's stdout that parses as a JSON object, or None."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None
