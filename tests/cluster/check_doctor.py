#!/usr/bin/env python3
"""Checks a `rankpool doctor --json` report (the one line of a file that starts with '{'):

  check_doctor.py FILE [--ok | --failed] [--launcher NAME] [--ranks-per-host H:N[,H:N...]]
                  [--pair A,B:ok | A,B:failed ...] [--no-answer R[,R...]]
                  [--no-answer-hosts H[,H...]] [--pitfall ID ...]
                  [--no-pitfall ID ...] [--spawn supported|unsupported] [--count K]

--pair names a pair by its ranks: an ok pair must have a latency and a bandwidth above 0 and
its two hosts; a failed one an error. Prints one line per pair; exits 1 on the first mismatch.
With --count K, the file must hold K reports (srun mpirun: one per mpirun) and each is checked.
"""
import argparse
import json
import sys


def fail(what, report=None):
    extra = f"\n{json.dumps(report)[:3000]}" if report is not None else ""
    sys.exit(f"FAIL: {what}{extra}")


def check_pair(report, spec):
    ranks_text, state = spec.split(":")
    ranks = [int(r) for r in ranks_text.split(",")]
    pairs = [p for p in report["detail"]["pairs"] if p["ranks"] == ranks]
    if len(pairs) != 1:
        fail(f"no pair {ranks}", report)
    p = pairs[0]
    hosts = report["hosts"]
    if p["hosts"] != [hosts[ranks[0]], hosts[ranks[1]]]:
        fail(f"pair {ranks}: hosts {p['hosts']}, ranks are on {hosts[ranks[0]]}, {hosts[ranks[1]]}")
    if state == "ok":
        if not (p["ok"] and p["latency_seconds"] > 0 and p["bandwidth_bytes_per_second"] > 0):
            fail(f"pair {ranks} not measured", report)
        print(f"   pair {ranks} {p['hosts'][0]} <-> {p['hosts'][1]}: latency "
              f"{p['latency_seconds'] * 1e6:.1f} us, bandwidth "
              f"{p['bandwidth_bytes_per_second'] / 1e6:.0f} MB/s")
    else:
        if p["ok"] or not p["error"]:
            fail(f"pair {ranks} did not fail", report)
        print(f"   pair {ranks} {p['hosts'][0]} <-> {p['hosts'][1]}: failed: {p['error']}")


def check(report, args):
    if args.ok and report.get("ok") is not True:
        fail("ok is not true", report)
    if args.failed and report.get("ok") is not False:
        fail("ok is not false", report)
    detail = report["detail"]
    if args.launcher and detail["launcher"]["name"] != args.launcher:
        fail(f"launcher {detail['launcher']['name']}, expected {args.launcher}", report)
    if args.ranks_per_host:
        want = {h: int(n) for h, n in (x.split(":") for x in args.ranks_per_host.split(","))}
        if detail["ranks_per_host"] != want:
            fail(f"ranks per host {detail['ranks_per_host']}, expected {want}", report)
    for spec in args.pair:
        check_pair(report, spec)
    if args.no_answer is not None:
        want = [int(r) for r in args.no_answer.split(",")] if args.no_answer else []
        if detail["no_answer"] != want:
            fail(f"no answer from {detail['no_answer']}, expected {want}", report)
    if args.no_answer_hosts is not None:
        want = args.no_answer_hosts.split(",") if args.no_answer_hosts else []
        if detail["no_answer_hosts"] != want:
            fail(f"hosts of the ranks that did not answer {detail['no_answer_hosts']}, "
                 f"expected {want}", report)
    ids = [p["id"] for p in detail["pitfalls"]]
    for pitfall in args.pitfall:
        if pitfall not in ids:
            fail(f"no pitfall {pitfall} (pitfalls: {ids})", report)
    for pitfall in args.no_pitfall:
        if pitfall in ids:
            fail(f"pitfall {pitfall} reported", report)
    if args.spawn and detail["spawn"]["supported"] != (args.spawn == "supported"):
        fail(f"spawn: {detail['spawn']}, expected {args.spawn}", report)
    print(f"   report: {report['ranks']} ranks, launcher {detail['launcher']['name']}, per host "
          f"{detail['ranks_per_host']}, ok {report['ok']}, pitfalls {ids}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--ok", action="store_true")
    parser.add_argument("--failed", action="store_true")
    parser.add_argument("--launcher")
    parser.add_argument("--ranks-per-host")
    parser.add_argument("--pair", action="append", default=[])
    parser.add_argument("--no-answer")
    parser.add_argument("--no-answer-hosts")
    parser.add_argument("--pitfall", action="append", default=[])
    parser.add_argument("--no-pitfall", action="append", default=[])
    parser.add_argument("--spawn", choices=["supported", "unsupported"])
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    with open(args.file, encoding="utf-8") as f:
        lines = [line for line in f if line.startswith("{")]
    if len(lines) != args.count:
        fail(f"{args.file}: {len(lines)} reports, expected {args.count}")
    for line in lines:
        check(json.loads(line), args)


if __name__ == "__main__":
    main()
