"""The machine yardstick: issue 8's own raw floor, measured again on whatever machine runs.

    python bench/yardstick.py             # 5,000 trials, about 3 s on a 2-core machine
    python bench/yardstick.py --trials 20000 --json

Issue 8 set its absolute targets on a machine where plain `sqlite3` `executemany`
with pre-assigned ids in WAL mode stored about 4,000 trials/s at 60 rows per trial
(~230,000 rows/s). The machines these benchmarks run on have differed from each
other by 3x (bench/README.md), so a figure in studies/s says little on its own.
This runs that same workload, independent of evidence's schema and code, so that
every report can say how fast its machine is against the one the targets came from.

The shape: per trial one `trial` row and 59 child rows (4 arms, 15 results,
40 provenance rows: the proportions of evidence's own tables), each child table
with an index on its trial id, foreign keys on, synchronous=NORMAL, one
transaction per 1,000 trials. No search index, no JSON, no Python object mapping:
this is the floor the issue measured, not evidence's. The issue describes that
workload but not its schema, so the scale is an estimate; what it gives for certain
is one fixed workload measured in every run, to compare runs on different machines.

Mapping studies and rendering summaries are pure Python, which machines speed up
differently from SQLite's C: a plain interpreter loop is timed beside it (no
figure from the issue's machine exists for it, so it has no scale).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import contextlib
import random
import sqlite3
import tempfile
import time
from typing import Any

from bench._common import table

# Issue 8, "Measured floor on this machine", as it printed them: "about 4,000 trials/s
# (≈230,000 rows/s at 60 rows per trial)". They disagree a little (4,000 x 60 is
# 240,000); the scale is taken from trials/s, the headline figure.
ISSUE_FLOOR_TRIALS_PER_S = 4000.0
ISSUE_FLOOR_ROWS_PER_S = 230_000.0
ROWS_PER_TRIAL = 60
ARMS, RESULTS, PROVENANCE = 4, 15, 40
BATCH = 1000

_DDL = (
    "CREATE TABLE trial (id INTEGER PRIMARY KEY, title TEXT NOT NULL, status TEXT, "
    "phase TEXT, enrollment INTEGER, start_date TEXT, sponsor TEXT)",
    "CREATE TABLE arm (id INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL REFERENCES trial(id), "
    "position INTEGER NOT NULL, label TEXT, role TEXT, n INTEGER)",
    "CREATE TABLE result (id INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL REFERENCES trial(id), "
    "arm_id INTEGER NOT NULL REFERENCES arm(id), position INTEGER NOT NULL, value REAL, "
    "reported TEXT, unit TEXT)",
    "CREATE TABLE provenance (id INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL "
    "REFERENCES trial(id), entity TEXT NOT NULL, entity_id INTEGER NOT NULL, locator TEXT)",
    "CREATE INDEX ix_arm_trial ON arm (trial_id)",
    "CREATE INDEX ix_result_trial ON result (trial_id)",
    "CREATE INDEX ix_provenance_trial ON provenance (trial_id)",
)
_INSERT = {
    "trial": "INSERT INTO trial VALUES (?, ?, ?, ?, ?, ?, ?)",
    "arm": "INSERT INTO arm VALUES (?, ?, ?, ?, ?, ?)",
    "result": "INSERT INTO result VALUES (?, ?, ?, ?, ?, ?, ?)",
    "provenance": "INSERT INTO provenance VALUES (?, ?, ?, ?, ?)",
}


def batch_rows(first: int, count: int, rng: random.Random) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of trials first..first+count-1, with their ids already assigned."""
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _INSERT}
    for trial in range(first, first + count):
        rows["trial"].append((trial, f"A randomised trial of drug {trial} in condition "
                              f"{rng.randrange(1000)}", "COMPLETED", "PHASE3",
                              rng.randrange(20, 2000), "2019-03-01", f"Sponsor {rng.randrange(500)}"))
        arm0 = (trial - 1) * ARMS + 1
        for k in range(ARMS):
            rows["arm"].append((arm0 + k, trial, k, f"Arm {k}: dose {rng.randrange(10, 500)} mg",
                                "experimental", rng.randrange(10, 500)))
        for k in range(RESULTS):
            value = round(rng.uniform(0, 100), 2)
            rows["result"].append(((trial - 1) * RESULTS + 1 + k, trial, arm0 + k % ARMS, k,
                                   value, f"{value}", "percentage of participants"))
        for k in range(PROVENANCE):
            rows["provenance"].append(((trial - 1) * PROVENANCE + 1 + k, trial, "result", k,
                                       f"resultsSection.outcomeMeasuresModule.outcomeMeasures[{k}]"))
    return rows


def measure(trials: int = 5000, *, folder: Path | None = None, seed: int = 1) -> dict[str, Any]:
    """Trials/s and rows/s of the issue's floor workload here, and this machine's scale."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="evidence-yardstick-", dir=folder) as tmp, \
            contextlib.closing(sqlite3.connect(Path(tmp) / "yardstick.db",
                                               isolation_level=None)) as conn:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        for statement in _DDL:
            conn.execute(statement)
        seconds, rows = 0.0, 0
        for first in range(1, trials + 1, BATCH):
            data = batch_rows(first, min(BATCH, trials + 1 - first), rng)  # not timed
            start = time.perf_counter()
            conn.execute("BEGIN")
            for name, statement in _INSERT.items():
                conn.executemany(statement, data[name])
                rows += len(data[name])
            conn.execute("COMMIT")
            seconds += time.perf_counter() - start
        stored = sum(conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
                     for name in _INSERT)
    trials_per_s = trials / seconds
    return {"trials": trials, "rows": rows, "stored_rows": stored, "seconds": seconds,
            "trials_per_s": trials_per_s, "rows_per_s": rows / seconds,
            "scale": trials_per_s / ISSUE_FLOOR_TRIALS_PER_S,
            "python_mloops_per_s": python_loop()}


def python_loop(iterations: int = 2_000_000) -> float:
    """Millions of iterations per second of a fixed pure-Python loop (best of three)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(iterations):
            total += i * i % 7
        best = min(best, time.perf_counter() - start)
    return iterations / best / 1e6


def scaled(target: float, yard: dict[str, Any]) -> float:
    """A target of the issue's machine, carried over to this one by the yardstick's scale."""
    return target * float(yard["scale"])


def format_report(yard: dict[str, Any]) -> str:
    rows = [["trials/s", f"{yard['trials_per_s']:,.0f}", f"{ISSUE_FLOOR_TRIALS_PER_S:,.0f}"],
            ["rows/s", f"{yard['rows_per_s']:,.0f}",
             f"{ISSUE_FLOOR_ROWS_PER_S:,.0f}"],
            ["this machine / the issue's", f"{yard['scale']:.2f}", "1.00"],
            ["python loop, million iterations/s", f"{yard['python_mloops_per_s']:.1f}", ""]]
    return (f"machine yardstick: the issue's raw floor ({yard['trials']:,} trials of "
            f"{ROWS_PER_TRIAL} rows, plain sqlite3, no search index; the issue's figures as "
            "it printed them, the scale from trials/s)\n"
            + table(rows, ["yardstick", "here", "issue's machine"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    yard = measure(args.trials)
    if args.json:
        import json

        print(json.dumps(yard, indent=2))
    else:
        print(format_report(yard))
    return 0


if __name__ == "__main__":
    sys.exit(main())
