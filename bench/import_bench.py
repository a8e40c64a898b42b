"""Import benchmark: the real `evidence import` path against a raw-DB-API baseline.

    python bench/import_bench.py --studies 2000 --engine both
    python bench/import_bench.py --corpus /tmp/corpus.zip --engine sqlite --json
    python bench/import_bench.py --studies 2000 --profile 40   # cProfile of the SQLite import
    python bench/import_bench.py --corpus /tmp/corpus --floor-parts  # what the raw floor is made of

The import goes through `evidence.importing.import_paths` into a fresh database, in
a fresh (spawned) process so that its peak RSS is the import's own. The baseline
re-inserts exactly the rows the import wrote (read back table by table, untimed)
into an empty copy of the schema with `executemany`, pre-assigned ids and one
transaction per batch of studies. The phase split is measured by a separate pass
over the corpus that times reading, JSON parsing, mapping to records and the
consistency checks; write = import total - those phases (derived, not measured).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import contextlib
import os
import sqlite3
import time
from typing import Any

from bench import yardstick
from bench._common import (
    children_peak_rss_mb,
    database_bytes,
    ensure_corpus,
    peak_rss_mb,
    pg_database,
    remove_sqlite,
    table,
    workdir,
)

TARGETS = {"import_studies_per_s": 1000.0, "write_vs_raw": 2.0, "peak_rss_mb": 300.0,
           "reimport_studies_per_s": 5000.0, "pg_import_studies_per_s": 500.0}
SKIP_TABLES = frozenset({"alembic_version", "sqlite_sequence"})
SEARCH_INDEX = "search_index"  # evidence.search_index.INDEX_TABLE: filled by triggers, not copied


def _is_index(name: str) -> bool:
    return name == SEARCH_INDEX or name.startswith(SEARCH_INDEX + "_")


# --- phases ------------------------------------------------------------------------

def parse_pass(corpus: Path) -> dict[str, Any]:
    """Seconds spent sniffing, reading, JSON-parsing, mapping and checking the corpus (no DB)."""
    import orjson

    from evidence.errors import EvidenceError
    from evidence.importers.ctgov import parse_study
    from evidence.importers.sources import detect_format, iter_files
    from evidence.stats import run_checks

    out: dict[str, Any] = {"sniff": 0.0, "read": 0.0, "parse": 0.0, "map": 0.0, "checks": 0.0,
                           "studies": 0, "sniff_error": None}
    clock = time.perf_counter
    start = clock()
    try:
        detect_format(corpus)
    except EvidenceError as exc:  # reported: `evidence import` without --format fails the same way
        out["sniff_error"] = str(exc)
    out["sniff"] = clock() - start
    files = iter_files(corpus)
    while True:
        start = clock()
        got = next(files, None)
        out["read"] += clock() - start
        if got is None:
            break
        locator, data = got
        start = clock()
        study = orjson.loads(data)
        out["parse"] += clock() - start
        start = clock()
        item = parse_study(study, locator=locator)
        out["map"] += clock() - start
        if item.record is not None:
            start = clock()
            run_checks(item.record)
            out["checks"] += clock() - start
        out["studies"] += 1
    return out


def import_pass(url: str, corpus: Path, jobs: int | None = None) -> dict[str, Any]:
    """Import the corpus into a fresh database, then again unchanged; times, rows, bytes, RSS.

    RSS is this process' (the writer's); each worker process's own peak is reported apart.
    """
    from evidence import db
    from evidence.importing import import_paths

    db.upgrade(url)
    empty_bytes = database_bytes(url)
    engine = db.connect_checked(url)
    start = time.perf_counter()
    # --format ctgov, as `evidence import --format ctgov`: format sniffing is timed apart.
    report = import_paths(engine, [corpus], fmt="ctgov", jobs=jobs, keep=0)
    seconds = time.perf_counter() - start
    rss = peak_rss_mb()
    workers_rss = children_peak_rss_mb()
    start = time.perf_counter()
    again = import_paths(engine, [corpus], fmt="ctgov", jobs=jobs, keep=0)
    reimport = time.perf_counter() - start
    engine.dispose()
    rows = table_rows(url)
    failures = [i.message for i in report.items if i.outcome == "failed"]
    return {"studies": report.total, "created": report.count("created"),
            "failed": len(failures), "failures": failures[:5], "seconds": seconds,
            "peak_rss_mb": rss, "workers_peak_rss_mb": workers_rss, "jobs": jobs,
            "stages": dict(report.timings), "reimport_stages": dict(again.timings),
            "reimport_seconds": reimport,
            "reimport_unchanged": again.count("unchanged"), "rows": rows,
            "bytes": database_bytes(url) - empty_bytes}


def table_rows(url: str) -> dict[str, int]:
    """Rows per table (without Alembic's bookkeeping)."""
    from evidence.reader import RawDB

    with RawDB(url) as raw:
        if raw.sqlite:
            names = [r["name"] for r in raw.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            names = [r["table_name"] for r in raw.all(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")]
        # FTS5 shadow tables (search_index_*) are storage of the index, not rows of ours.
        return {n: int(raw.all(f'SELECT COUNT(*) AS k FROM "{n}"')[0]["k"])
                for n in sorted(names)
                if n not in SKIP_TABLES and not (_is_index(n) and n != SEARCH_INDEX)}


def in_child(fn: Any, *args: Any) -> Any:
    """Run fn(*args) in a freshly spawned interpreter, so its memory is measured alone."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


# --- raw baseline ------------------------------------------------------------------

def _schema(src: Any) -> tuple[list[str], dict[str, list[str]], dict[str, str | None]]:
    """Tables in foreign-key order, their columns, and how each reaches trial_id."""
    names = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "ORDER BY name")
             if r[0] not in SKIP_TABLES and not _is_index(r[0])]
    info = {n: list(src.execute(f'PRAGMA table_info("{n}")')) for n in names}
    columns = {n: [r[1] for r in info[n]] for n in names}
    required = {n: {r[1] for r in info[n] if r[3]} for n in names}
    parents = {n: {(r[2], r[3]) for r in src.execute(f'PRAGMA foreign_key_list("{n}")')}
               for n in names}
    order: list[str] = []
    while len(order) < len(names):
        for n in names:
            if n not in order and all(p in order or p == n for p, _ in parents[n]):
                order.append(n)
    owner: dict[str, str | None] = {}
    for n in names:
        if n == "trial":
            owner[n] = "t.id"
        elif "trial_id" in columns[n]:
            owner[n] = "t.trial_id"
        else:
            # Through a NOT NULL link only: regimen.arm_id may be empty, intervention_id not.
            via = next(((p, col) for p, col in sorted(parents[n])
                        if "trial_id" in columns[p] and col in required[n]), None)
            owner[n] = f"JOIN \"{via[0]}\" o ON o.id = t.{via[1]}|o.trial_id" if via else None
    return order, columns, owner


def _select(name: str, columns: list[str], owner: str | None, first: bool) -> str:
    cols = ", ".join(f't."{c}"' for c in columns)
    if owner is None:  # no link to a trial (glossary_term): all of it in the first batch
        return f'SELECT {cols} FROM "{name}" t WHERE {1 if first else 0}'
    join, key = owner.split("|") if "|" in owner else ("", owner)
    orphans = f" OR {key} IS NULL" if first else ""
    return (f'SELECT {cols} FROM "{name}" t {join} WHERE ({key} >= ? AND {key} < ?{orphans}) '
            "ORDER BY t.rowid")


def raw_baseline(src_path: str, dest_url: str, *, batch: int = 1000, search_index: bool = True,
                 secondary_indexes: bool = True) -> dict[str, Any]:
    """Insert the rows of an imported SQLite database into an empty schema by raw DB-API.

    On SQLite the floor can be taken apart (floor_parts): without filling the search
    index, and without the non-unique indexes (unique ones keep their constraints).
    """
    from evidence.config import is_sqlite, sqlite_path

    src = sqlite3.connect(src_path)
    order, columns, owner = _schema(src)
    sqlite = is_sqlite(dest_url)
    if sqlite:
        dest: Any = sqlite3.connect(sqlite_path(dest_url), isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            dest.execute(f"PRAGMA {pragma}")  # the same pragmas as evidence.db
        # Tables, then indexes, views and triggers: the search index's triggers fill it
        # in the baseline as they do in the import. FTS5 makes its own shadow tables.
        ddl = [r[1] for r in src.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
            "'sqlite_%' AND name != 'alembic_version' ORDER BY type != 'table', rowid")
            if r[0] == SEARCH_INDEX or not (_is_index(r[0]) and r[1].startswith("CREATE TABLE"))]
        # The search index is filled set-based per batch, as the import does: row triggers
        # cost SQLite several times more (bench/README.md). Update/delete triggers stay.
        from evidence.search_index import index_trials_statements, insert_triggers

        skip = set(insert_triggers("sqlite"))
        for statement in ddl:
            if any(f"TRIGGER {name} " in statement for name in skip):
                continue
            if not secondary_indexes and statement.startswith("CREATE INDEX "):
                continue
            dest.execute(statement)
        mark, booleans = "?", {n: set[str]() for n in order}
    else:
        import psycopg

        from evidence import db

        db.upgrade(dest_url)  # the same schema, by the same migrations
        dest = psycopg.connect(dest_url.replace("postgresql+psycopg://", "postgresql://"))
        mark, booleans = "%s", {n: {r[0] for r in dest.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND data_type = 'boolean'", (n,))} for n in order}
        dest.commit()
    inserts = {n: f'INSERT INTO "{n}" ({", ".join(chr(34) + c + chr(34) for c in columns[n])}) '
                  f"VALUES ({', '.join([mark] * len(columns[n]))})" for n in order}
    low, high = src.execute("SELECT MIN(id), MAX(id) FROM trial").fetchone()
    seconds, rows = 0.0, 0
    for start in range(low or 0, (high or 0) + 1, batch):
        first = start == (low or 0)
        data = {}
        for n in order:  # read back outside the clock
            sql = _select(n, columns[n], owner[n], first)
            params = () if owner[n] is None else (start, start + batch)
            fetched = src.execute(sql, params).fetchall()
            flags = [i for i, c in enumerate(columns[n]) if c in booleans[n]]
            if flags:  # SQLite stores booleans as 0/1; PostgreSQL wants bool
                fetched = [tuple(bool(v) if i in flags and v is not None else v
                                 for i, v in enumerate(r)) for r in fetched]
            data[n] = fetched
        clock = time.perf_counter()
        if sqlite:
            dest.execute("BEGIN")
        cursor = dest.cursor()
        for n in order:
            if data[n]:
                cursor.executemany(inserts[n], data[n])
                rows += len(data[n])
        if sqlite and search_index:
            for statement in index_trials_statements("sqlite", range(start, start + batch)):
                dest.execute(statement)
        dest.execute("COMMIT") if sqlite else dest.commit()
        seconds += time.perf_counter() - clock
    dest.close()
    src.close()
    return {"seconds": seconds, "rows": rows, "batch": batch}


# What the raw floor of evidence's schema is made of: the same rows, less and less indexed.
FLOOR_PARTS = (("everything (the raw baseline)", True, True),
               ("without filling the search index", False, True),
               ("without it and without non-unique indexes", False, False))


def floor_parts(src_path: str, scratch: Path, *, batch: int = 1000) -> list[dict[str, Any]]:
    """The raw SQLite baseline three times: as the import writes, then with less indexing."""
    out = []
    for label, search_index, secondary in FLOOR_PARTS:
        dest = scratch / "floor-part.db"
        remove_sqlite(dest)
        res = raw_baseline(src_path, f"sqlite:///{dest}", batch=batch, search_index=search_index,
                           secondary_indexes=secondary)
        with contextlib.closing(sqlite3.connect(dest)) as conn:
            indexes = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' "
                                   "AND sql IS NOT NULL").fetchone()[0]
            indexed = conn.execute(f"SELECT COUNT(*) FROM {SEARCH_INDEX}").fetchone()[0]
        out.append({"label": label, "seconds": res["seconds"], "rows": res["rows"],
                    "indexes": indexes, "search_index_rows": indexed})
        remove_sqlite(dest)  # a registry-sized copy each time: not kept
    return out


def format_floor_parts(parts: list[dict[str, Any]], studies: int) -> str:
    rows = [[p["label"], f"{p['seconds']:.2f}", f"{studies / p['seconds']:,.0f}",
             f"{p['seconds'] / parts[0]['seconds']:.2f}", str(p["indexes"]),
             f"{p['search_index_rows']:,}"] for p in parts]
    return ("the raw SQLite floor taken apart (plain sqlite3 executemany of the import's rows):\n"
            + table(rows, ["raw baseline", "seconds", "studies/s", "share", "indexes",
                           "search index rows"]))


# --- the run -----------------------------------------------------------------------

def run(corpus: Path, scratch: Path, engines: tuple[str, ...], *, isolate: bool = True,
        batch: int = 1000, jobs: int | None = None,
        yardstick_trials: int = 5000, parts: bool = False) -> dict[str, Any]:
    """Every measurement of one run, as a JSON-able dict."""
    call = in_child if isolate else (lambda fn, *a: fn(*a))
    # First, on a quiet machine: how fast this one is against the one the targets came from.
    yard = yardstick.measure(yardstick_trials, folder=scratch)
    phases = parse_pass(corpus)  # also warms the page cache for the imports that follow
    out: dict[str, Any] = {"corpus": str(corpus), "studies": phases["studies"],
                           "phases": phases, "yardstick": yard, "engines": {}}
    sqlite_file = scratch / "import.db"
    for path in (sqlite_file, scratch / "raw.db"):
        remove_sqlite(path)
    # The baseline reads the rows back from the SQLite import, so it always runs.
    result = call(import_pass, f"sqlite:///{sqlite_file}", corpus, jobs)
    result["raw"] = raw_baseline(str(sqlite_file), f"sqlite:///{scratch / 'raw.db'}", batch=batch)
    if parts:
        out["floor_parts"] = floor_parts(str(sqlite_file), scratch, batch=batch)
    if "sqlite" in engines:
        out["engines"]["sqlite"] = result
    if "postgresql" in engines:
        tag = os.getpid()
        with pg_database(f"evidence_bench_{tag}") as url, \
                pg_database(f"evidence_bench_raw_{tag}") as raw_url:
            pg = call(import_pass, url, corpus, jobs)
            pg["raw"] = raw_baseline(str(sqlite_file), raw_url, batch=batch)
        out["engines"]["postgresql"] = pg
    for res in out["engines"].values():
        derive(res, phases)
    return out


def derive(res: dict[str, Any], phases: dict[str, Any]) -> None:
    """Rates and ratios from the raw measurements (in place)."""
    n = res["studies"] or 1
    # Rows the import inserts; the search index's rows come from triggers in both runs.
    res["index_rows"] = res["rows"].get(SEARCH_INDEX, 0)
    total_rows = sum(v for k, v in res["rows"].items() if k != SEARCH_INDEX)
    stages = sum(phases[k] for k in ("read", "parse", "map", "checks"))
    res["total_rows"] = total_rows
    res["studies_per_s"] = n / res["seconds"]
    res["rows_per_s"] = total_rows / res["seconds"]
    # The writer's own time in its batch transactions, measured by the import itself
    # (workers map meanwhile, so total - mapping stages would not be the write time).
    res["write_seconds"] = res["stages"].get("write", max(res["seconds"] - stages, 0.0))
    res["raw_rows_per_s"] = res["raw"]["rows"] / res["raw"]["seconds"]
    res["raw_studies_per_s"] = n / res["raw"]["seconds"]
    res["write_vs_raw"] = res["write_seconds"] / res["raw"]["seconds"]
    res["total_vs_raw"] = res["seconds"] / res["raw"]["seconds"]
    res["bytes_per_study"] = res["bytes"] / n
    res["reimport_studies_per_s"] = n / res["reimport_seconds"]


def format_report(out: dict[str, Any]) -> str:
    """The plain-text report: one metric per line, one column per engine, then the target."""
    engines = list(out["engines"])
    res = [out["engines"][e] for e in engines]
    ph = out["phases"]

    def line(metric: str, key: str, fmt: str, target: str = "") -> list[str]:
        return [metric, *[format(r[key], fmt) for r in res], target]

    rows = [
        line("import studies/s", "studies_per_s", ",.0f", ">= 1,000 (PostgreSQL >= 500)"),
        line("import seconds", "seconds", ".2f"),
        line("rows written", "total_rows", ","),
        line("search index rows (triggers)", "index_rows", ","),
        line("import rows/s", "rows_per_s", ",.0f"),
        ["raw baseline rows/s", *[format(r["raw_rows_per_s"], ",.0f") for r in res], ""],
        ["raw baseline seconds", *[format(r["raw"]["seconds"], ".2f") for r in res], ""],
        line("raw baseline studies/s", "raw_studies_per_s", ",.0f"),
        line("import / raw (total)", "total_vs_raw", ".1f"),
        line("writer seconds (measured)", "write_seconds", ".2f"),
        line("write / raw", "write_vs_raw", ".1f", "<= 2"),
        line("peak RSS MB (writer)", "peak_rss_mb", ".0f", "<= 300"),
        line("peak RSS MB (largest worker)", "workers_peak_rss_mb", ".0f", "<= 300"),
        line("database bytes/study", "bytes_per_study", ",.0f"),
        line("re-import studies/s", "reimport_studies_per_s", ",.0f", ">= 5,000"),
        line("failed studies", "failed", "d", "0"),
    ]
    report = [f"corpus: {out['corpus']} ({out['studies']:,} studies)", "",
              table(rows, ["metric", *engines, "target"]), ""]
    report += [f"stages of the {engines[0] if engines else ''} import as measured by it "
               "(writer = its batch transactions; wait = for worker processes; map = "
               "batches mapped in the writer's own process; digests = hashing and looking "
               "up files), and a separate single-process pass over the corpus (read, parse, "
               "map, checks; sniff is not part of an import --format ctgov):",
               table([[k, f"{res[0]['stages'].get(k, 0.0):.2f}"]
                      for k in ("write", "wait", "map", "digests")]
                     + [[f"single pass: {k}", f"{ph[k]:.2f}"]
                        for k in ("sniff", "read", "parse", "map", "checks")],
                     ["stage", "seconds"])] if res else []
    yard = out.get("yardstick")  # absent from JSON of runs before it existed
    if yard is not None:
        report += ["", *_yardstick_lines(out, yard)]
    if out.get("floor_parts"):
        report += ["", format_floor_parts(out["floor_parts"], out["studies"])]
    if ph["sniff_error"]:
        report.append(f"sniff FAILED (evidence import without --format): {ph['sniff_error']}")
    return "\n".join(report)


def _yardstick_lines(out: dict[str, Any], yard: dict[str, Any]) -> list[str]:
    """The yardstick, the targets carried over by it, and the raw baseline against it."""
    lines = [yardstick.format_report(yard),
             f"the issue's import targets carried to this machine (x {yard['scale']:.2f}): "
             f"import >= {yardstick.scaled(TARGETS['import_studies_per_s'], yard):,.0f} "
             f"studies/s, PostgreSQL >= "
             f"{yardstick.scaled(TARGETS['pg_import_studies_per_s'], yard):,.0f} "
             "(an estimate, scaled by the SQLite yardstick)"]
    sq = out["engines"].get("sqlite")
    if sq and sq["studies"]:
        lines.append(
            f"evidence's schema through the same plain sqlite3 (raw baseline): "
            f"{sq['raw_studies_per_s']:,.0f} studies/s, {sq['total_rows'] / sq['studies']:.0f} "
            f"rows and {sq['index_rows'] / sq['studies']:.0f} search-index rows per study: "
            f"{yard['trials_per_s'] / sq['raw_studies_per_s']:.1f}x the yardstick's cost per trial")
    return lines


def profile(corpus: Path, scratch: Path, top: int) -> str:
    """cProfile of one SQLite import of the corpus: the top functions by own and total time."""
    import cProfile
    import io
    import pstats

    from evidence import db
    from evidence.importing import import_paths

    remove_sqlite(scratch / "profile.db")  # a fresh database, as the benchmark's import
    url = f"sqlite:///{scratch / 'profile.db'}"
    db.upgrade(url)
    engine = db.connect_checked(url)
    prof = cProfile.Profile()
    prof.runcall(import_paths, engine, [corpus], fmt="ctgov")
    stream = io.StringIO()
    stats = pstats.Stats(prof, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return stream.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=2000, help="synthetic corpus size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, help="an existing corpus (folder or zip)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--batch", type=int, default=1000, help="studies per baseline transaction")
    parser.add_argument("--jobs", type=int, help="import worker processes (default: one per CPU)")
    parser.add_argument("--workdir", type=Path, help="keep corpus and databases here")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--floor-parts", action="store_true",
                        help="also take the raw SQLite floor apart (search index, indexes)")
    parser.add_argument("--profile", type=int, metavar="TOP",
                        help="instead: cProfile one SQLite import, print the TOP functions")
    args = parser.parse_args(argv)
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    with workdir(args.workdir) as scratch:
        corpus = ensure_corpus(args.studies, args.corpus, scratch, args.seed)
        if args.profile:
            print(profile(corpus, scratch, args.profile))
            return 0
        out = run(corpus, scratch, engines, batch=args.batch, jobs=args.jobs,
                  parts=args.floor_parts)
    if args.json:
        import json

        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(format_report(out))
    with contextlib.suppress(KeyError):
        return 1 if any(r["failed"] for r in out["engines"].values()) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
