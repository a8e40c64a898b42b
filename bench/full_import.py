"""A registry-sized import, as a user runs it: one pass, progress lines, then a re-import.

    python bench/full_import.py --corpus /tmp/bench/c550k --db /tmp/bench/big550k.db

No raw baseline and no separate parse pass (each would be another full pass over
27 GB): the import's own stage timings say where the time went. The database is
left in place for `query_bench.py --db`.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import time
from typing import Any

from bench._common import children_peak_rss_mb, peak_rss_mb, remove_sqlite


def run(corpus: Path, db_file: Path, every: int, jobs: int | None) -> None:
    from evidence import db
    from evidence.importing import ItemOutcome, import_paths

    remove_sqlite(db_file)
    url = f"sqlite:///{db_file}"
    db.upgrade(url)
    engine = db.connect_checked(url)
    seen = [0]
    start = time.perf_counter()

    def tick(_outcome: ItemOutcome) -> None:
        seen[0] += 1
        if seen[0] % every == 0:
            spent = time.perf_counter() - start
            print(f"{seen[0]:,} studies  {spent:,.0f} s  {seen[0] / spent:,.0f}/s  "
                  f"writer RSS {peak_rss_mb():.0f} MB", flush=True)

    report = import_paths(engine, [corpus], fmt="ctgov", jobs=jobs, keep=0, on_item=tick)
    spent = time.perf_counter() - start
    print(f"import: {report.summary()} in {spent:,.1f} s = {report.total / spent:,.0f} "
          f"studies/s; peak RSS writer {peak_rss_mb():.0f} MB, largest worker "
          f"{children_peak_rss_mb():.0f} MB; stages {_rounded(report.timings)}")
    failures = [i.message for i in report.items if i.outcome == "failed"]
    if failures:
        print("failures:", *failures[:5], sep="\n  ")
    size = sum(os.path.getsize(f"{db_file}{s}") for s in ("", "-wal")
               if os.path.exists(f"{db_file}{s}"))
    print(f"database: {size:,} bytes, {size / max(report.total, 1):,.0f} per study")
    start = time.perf_counter()
    again = import_paths(engine, [corpus], fmt="ctgov", jobs=jobs, keep=0)
    spent = time.perf_counter() - start
    print(f"re-import: {again.summary()} in {spent:,.1f} s = {again.total / spent:,.0f} "
          f"studies/s; stages {_rounded(again.timings)}")
    engine.dispose()


def _rounded(timings: dict[str, Any]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in timings.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="folder or zip of studies")
    parser.add_argument("--db", type=Path, required=True, help="SQLite file (replaced)")
    parser.add_argument("--every", type=int, default=25_000, help="progress line every N")
    parser.add_argument("--jobs", type=int, help="worker processes (default: one per CPU)")
    args = parser.parse_args(argv)
    run(args.corpus, args.db, args.every, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
