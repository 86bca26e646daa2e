#!/usr/bin/env python3
"""Checks the `rankpool squares --json` reports in a file (a job's output, a sweep's .jsonl, or
mpirun's captured stdout): every line that starts with '{' is one report.

  check_report.py FILE [--count K] [--ranks R[,R...]] [--n N[,N...]] [--hosts H:C[,H:C...]]

Each report must say ok, have one host per rank, and a checksum equal to n(n-1)(2n-1)/6 (read
at the top level or under "results": both layouts of the report are accepted). --ranks and --n
give the expected values, one for all reports or one per report; --hosts the expected count of
ranks on each host (every report). Prints one line per report; exits 1 on the first mismatch.
"""
import argparse
import collections
import json
import sys


def per_report(text, count, convert=int):
    if text is None:
        return [None] * count
    values = [convert(v) for v in text.split(",")]
    if len(values) == 1:
        return values * count
    if len(values) != count:
        sys.exit(f"FAIL: {len(values)} expected values for {count} reports")
    return values


def field(report, name, *sections):
    """report[name], or report[section][name] for the first section that has it."""
    if name in report:
        return report[name]
    for section in sections:
        if name in report.get(section, {}):
            return report[section][name]
    return None


def check(report, index, ranks, n, hosts):
    def fail(what):
        sys.exit(f"FAIL: report {index + 1}: {what}\n{json.dumps(report)[:2000]}")

    if report.get("ok") is not True:
        fail("ok is not true")
    got_hosts = report.get("hosts")
    got_ranks = report.get("ranks")
    if not isinstance(got_hosts, list) or len(got_hosts) != got_ranks:
        fail(f"hosts {got_hosts} is not one host per rank ({got_ranks} ranks)")
    if ranks is not None and got_ranks != ranks:
        fail(f"{got_ranks} ranks, expected {ranks}")
    got_n = field(report, "n", "options")
    if got_n is None:
        got_n = field(report, "count", "results")
    if got_n is None:
        fail("no n")
    got_n = int(got_n)
    if n is not None and got_n != n:
        fail(f"n = {got_n}, expected {n}")
    checksum = field(report, "checksum", "results")
    if checksum is None:
        fail("no checksum")
    expected = got_n * (got_n - 1) * (2 * got_n - 1) // 6
    if int(checksum) != expected:  # sums above 2^64 are decimal strings
        fail(f"checksum {checksum}, expected {expected}")
    per_host = collections.Counter(got_hosts)
    if hosts is not None and per_host != hosts:
        fail(f"ranks per host {dict(per_host)}, expected {dict(hosts)}")
    placed = ", ".join(f"{h} x{c}" for h, c in sorted(per_host.items()))
    print(f"   report {index + 1}: {got_ranks} ranks on {placed}; n = {got_n}, "
          f"checksum {checksum} = n(n-1)(2n-1)/6, ok")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--ranks")
    parser.add_argument("--n")
    parser.add_argument("--hosts")
    args = parser.parse_args()

    with open(args.file, encoding="utf-8") as f:
        lines = [line for line in f if line.startswith("{")]
    if len(lines) != args.count:
        sys.exit(f"FAIL: {args.file}: {len(lines)} reports, expected {args.count}")
    reports = []
    for number, line in enumerate(lines, 1):
        try:
            reports.append(json.loads(line))
        except json.JSONDecodeError as error:
            sys.exit(f"FAIL: {args.file}: report {number} is not JSON: {error}")
    hosts = None
    if args.hosts:
        hosts = collections.Counter(
            {h: int(c) for h, c in (item.split(":") for item in args.hosts.split(","))})
    ranks = per_report(args.ranks, len(reports))
    ns = per_report(args.n, len(reports))
    for index, report in enumerate(reports):
        check(report, index, ranks[index], ns[index], hosts)


if __name__ == "__main__":
    main()
