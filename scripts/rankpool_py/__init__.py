"""rankpool's Python side: scaling sweeps, plots and the cost model (scripts/scaling), and the
tables of scripts/bench.sh.

Modules:
  perf     pure math, stdlib only: medians, spread, speedup, efficiency, Amdahl fit with a
           bootstrap, Karp-Flatt, latency/bandwidth fit, the cost model's equations
  reports  the one adapter from a rankpool --json report (today's or the schema_version 1
           envelope) to the fields the scripts read
  sweep    runs a rankpool command at several rank counts; CSV, JSON lines, metadata
  plots    figures and the table of a sweep's CSV (matplotlib, Agg)
  model    measures the machine's constants and predicts beyond it
  figures  the README's figures in one command: the sweeps, plots, model and their summary
  bench    the markdown tables of scripts/bench.sh
  cli      the `scaling` command line
"""
