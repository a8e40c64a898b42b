"""Query benchmark: lookups, a results filter, search and summaries against a plain-SQL floor.

    python bench/query_bench.py --studies 2000
    python bench/query_bench.py --db /tmp/bench/w20k/import.db   # an imported corpus

Each evidence call is timed over many different trials (p50/p95 by nearest rank)
next to the cheapest plain `sqlite3` code that fetches the same rows: that floor
is what the targets' "≤ 1.5× plain sqlite3" is measured against.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import importlib.util
import random
import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from bench._common import ensure_corpus, percentile, table, workdir

# zh: a phrase make_corpus puts into the Chinese official titles of ~5% of studies.
SEARCH_QUERIES = {"en": "placebo", "zh": "安慰剂对照"}
# The statements load_record issues for one trial, as plain SQL: the floor of a lookup.
_FLOOR_LOOKUP = (
    "SELECT * FROM trial WHERE id = ?",
    "SELECT p.*, s.key FROM provenance p JOIN source s ON s.id = p.source_id "
    "WHERE p.trial_id = ? ORDER BY p.id",
    *[f"SELECT * FROM {t} WHERE trial_id = ? ORDER BY position" for t in (
        "condition", "institution", "source", "population", "arm", "registration",
        "publication", "intervention", "endpoint", "result", "comparison", "adverse_event")],
    "SELECT c.* FROM arm_count c JOIN arm a ON a.id = c.arm_id WHERE a.trial_id = ?",
    "SELECT ia.* FROM intervention_arm ia JOIN intervention i ON i.id = ia.intervention_id "
    "WHERE i.trial_id = ?",
    "SELECT g.* FROM regimen g JOIN intervention i ON i.id = g.intervention_id "
    "WHERE i.trial_id = ?",
    "SELECT tp.* FROM timepoint tp JOIN endpoint e ON e.id = tp.endpoint_id WHERE e.trial_id = ?",
    "SELECT ca.* FROM comparison_arm ca JOIN comparison c ON c.id = ca.comparison_id "
    "WHERE c.trial_id = ?",
)
# The same question as v_results by endpoint name, written by hand over the base tables.
_FLOOR_RESULTS = ("SELECT r.*, e.name_en, a.label_en FROM result r "
                  "JOIN endpoint e ON e.id = r.endpoint_id JOIN arm a ON a.id = r.arm_id "
                  "WHERE e.name_en = ?")


def _times(fn: Callable[[Any], Any], args: list[Any]) -> list[float]:
    out = []
    for arg in args:
        start = time.perf_counter()
        fn(arg)
        out.append(time.perf_counter() - start)
    return out


def _stats(times: list[float]) -> dict[str, float]:
    return {"p50_ms": 1000 * percentile(times, 50), "p95_ms": 1000 * percentile(times, 95),
            "runs": len(times)}


def sample_ids(path: str, k: int, seed: int = 1) -> list[str]:
    """k registration IDs of the database, a seeded sample (repeats if it has fewer)."""
    with sqlite3.connect(path) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT identifier FROM registration WHERE registry = 'ctgov' ORDER BY identifier")]
    rng = random.Random(seed)
    return [rng.choice(ids) for _ in range(k)] if ids else []


def bench_lookup(path: str, ids: list[str]) -> dict[str, Any]:
    """Registration ID -> whole record: RawDB + load_record vs the same SELECTs in sqlite3."""
    from evidence.reader import RawDB, load_record, resolve_trial_id

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def floor(ident: str) -> None:
        row = conn.execute("SELECT trial_id FROM registration WHERE identifier = ?",
                           (ident,)).fetchone()
        for sql in _FLOOR_LOOKUP:
            conn.execute(sql, (row[0],)).fetchall()

    # Warm the pages of every sampled trial first (untimed): on a database larger than
    # the page cache, whichever side ran first would otherwise pay for the disk reads.
    for ident in ids:
        floor(ident)
    with RawDB(f"sqlite:///{path}") as db:
        load_record(db, resolve_trial_id(db, ids[0]))  # first call loads modules and caches
        evidence = _times(lambda i: load_record(db, resolve_trial_id(db, i)), ids)
    plain = _times(floor, ids)
    conn.close()
    return {"evidence": _stats(evidence), "floor": _stats(plain)}


def results_names(path: str, k: int) -> list[str]:
    """k endpoint names that have results, most results first (the heaviest filters)."""
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute(
            "SELECT e.name_en FROM result r JOIN endpoint e ON e.id = r.endpoint_id "
            "GROUP BY e.name_en ORDER BY COUNT(*) DESC, e.name_en LIMIT ?", (k,))]


def bench_results(path: str, names: list[str]) -> dict[str, Any]:
    """Results of an endpoint by name: v_results through RawDB (or a join) vs a plain join.

    Also against the same statement through plain sqlite3 (`same_sql`): the hand join
    is the stricter floor, the same statement is the one the issue names.
    """
    from evidence.reader import RawDB

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    has_view = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'view' AND "
                            "name = 'v_results'").fetchone() is not None
    sql = ("SELECT * FROM v_results WHERE endpoint_name_en = :n" if has_view
           else _FLOOR_RESULTS.replace("?", ":n"))
    for name in names:  # warm the pages first, untimed, as for lookups
        conn.execute(_FLOOR_RESULTS, (name,)).fetchall()
    with RawDB(f"sqlite:///{path}") as db:
        rows = [len(db.all(sql, n=name)) for name in names]
        evidence = _times(lambda n: db.all(sql, n=n), names)
    plain = _times(lambda n: conn.execute(_FLOOR_RESULTS, (n,)).fetchall(), names)
    # The issue's own floor: the very statement evidence runs, through plain sqlite3.
    same = _times(lambda n: conn.execute(sql, {"n": n}).fetchall(), names)
    conn.close()
    return {"via": "v_results" if has_view else "join", "rows": rows,
            "evidence": _stats(evidence), "floor": _stats(plain), "same_sql": _stats(same)}


def bench_search(path: str, repeat: int) -> dict[str, Any]:
    """evidence.search for an English and a Chinese query, if the module exists.

    The floor fetches, per term, every index row that matches: an FTS5 MATCH of the
    quoted term (a LIKE scan under 3 characters), alike for both languages. That is
    what ranking every match needs; evidence.search_topk reads far fewer rows, so its
    ratio to this floor is below 1. `hits` is what search() returns (at most its
    limit, 20); `trials` is how many trials contain every term.
    """
    if importlib.util.find_spec("evidence.search") is None:
        return {"available": False}
    from evidence import search, search_index
    from evidence.reader import RawDB

    out: dict[str, Any] = {"available": True}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    cols = (f"SELECT trial_id, kind, lang, body FROM {search_index.INDEX_TABLE} WHERE "
            f"trial_id IS NOT NULL AND ")

    def term_rows(term: str) -> list[Any]:
        if len(term) >= 3:
            return conn.execute(cols + f"{search_index.INDEX_TABLE} MATCH ?",
                                ('"' + term.replace('"', '""') + '"',)).fetchall()
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"
        return conn.execute(cols + "(body || '') LIKE ? ESCAPE '\\'", (pattern,)).fetchall()

    def floor(query: str) -> list[Any]:
        return [row for term in search.parse_terms(query) for row in term_rows(term)]

    def matching_trials(query: str) -> int:
        found = [{row[0] for row in term_rows(t)} for t in search.parse_terms(query)]
        return len(set.intersection(*found)) if found else 0

    with RawDB(f"sqlite:///{path}") as db:
        for lang, query in SEARCH_QUERIES.items():
            hits = len(search.search(db, query))
            trials = matching_trials(query)
            evidence = _times(lambda q: search.search(db, q), [query] * repeat)
            plain = _times(floor, [query] * repeat)
            out[lang] = {"query": query, "hits": hits, "trials": trials,
                         "evidence": _stats(evidence), "floor": _stats(plain)}
    conn.close()
    return out


def bench_summaries(path: str, ids: list[str], export_limit: int,
                    out_dir: Path) -> dict[str, Any]:
    """Per-trial render time (en, zh) and a bulk export like `evidence export summaries`."""
    from evidence.glossary_store import load_glossary
    from evidence.queries import list_trials
    from evidence.reader import RawDB, load_record, resolve_trial_id
    from evidence.render import render_summary

    out: dict[str, Any] = {}
    with RawDB(f"sqlite:///{path}") as db:
        glossary = load_glossary(db)
        records = [load_record(db, resolve_trial_id(db, i)) for i in ids]
        trials = list_trials(db, limit=export_limit)
        for lang in ("en", "zh"):
            render_summary(records[0], lang, "markdown", glossary=glossary)
            def render(record: Any, lang: str = lang) -> Any:
                return render_summary(record, lang, "markdown", glossary=glossary)

            per = _times(render, records)
            start = time.perf_counter()
            for row in trials:  # what export summaries does per trial, minus the progress bar
                record = load_record(db, int(row["id"]))
                text = render_summary(record, lang, "markdown", glossary=glossary).text
                (out_dir / f"{row['id']}.{lang}.md").write_text(text, encoding="utf-8")
            seconds = time.perf_counter() - start
            out[lang] = {"render": _stats(per), "export_trials": len(trials),
                         "export_seconds": seconds,
                         "export_trials_per_s": len(trials) / seconds if seconds else 0.0}
    return out


def run(path: str, scratch: Path, *, lookups: int = 300, names: int = 30, repeat: int = 30,
        export_limit: int = 1000, seed: int = 1) -> dict[str, Any]:
    """Every measurement of one run, as a JSON-able dict (repeat=0 skips search)."""
    with sqlite3.connect(path) as conn:
        trials = conn.execute("SELECT COUNT(*) FROM trial").fetchone()[0]
    ids = sample_ids(path, lookups, seed)
    export_dir = scratch / "summaries"
    export_dir.mkdir(exist_ok=True)
    return {"database": path, "trials": trials,
            "lookup": bench_lookup(path, ids),
            "results_by_endpoint": bench_results(path, results_names(path, names)),
            "search": bench_search(path, repeat) if repeat else {"available": False},
            "summaries": bench_summaries(path, ids[:max(1, lookups // 3)], export_limit,
                                         export_dir)}


def _ratio(value: float) -> str:
    return f"{value:.1f}" if value >= 1 else f"{value:.2g}"  # 0.014, not 0.0


def format_report(out: dict[str, Any]) -> str:
    """The plain-text report: one line per measurement, ratio to its plain-SQL floor, target."""

    def pair(metric: str, res: dict[str, Any], target: str) -> list[str]:
        ev, fl = res["evidence"], res["floor"]
        return [metric, f"{ev['p50_ms']:.2f}", f"{ev['p95_ms']:.2f}", f"{fl['p50_ms']:.2f}",
                f"{fl['p95_ms']:.2f}", _ratio(ev["p95_ms"] / fl["p95_ms"]), target]

    res = out["results_by_endpoint"]
    rows = [pair("lookup by registration ID (whole record)", out["lookup"],
                 "p95 <= 5 ms, <= 1.5x"),
            pair(f"results by endpoint name ({res['via']}, {max(res['rows'], default=0)} rows max)",
                 res, "<= 1.5x")]
    if "same_sql" in res:  # against the same statement in sqlite3 instead of a hand join
        rows.append(pair(f"  the same, floor = {res['via']} through plain sqlite3",
                         {"evidence": res["evidence"], "floor": res["same_sql"]}, "<= 1.5x"))
    search = out["search"]
    lines = []
    if search["available"]:
        rows += [pair(f"search {lang} {search[lang]['query']!r} ({search[lang]['hits']} hits "
                      f"of {search[lang]['trials']} trials)", search[lang], "p95 <= 100 ms")
                 for lang in SEARCH_QUERIES]
    else:
        lines.append("search: not available")
    summaries = out["summaries"]
    rows += [[f"summary render {lang} (markdown)", f"{summaries[lang]['render']['p50_ms']:.2f}",
              f"{summaries[lang]['render']['p95_ms']:.2f}", "", "", "", ""]
             for lang in ("en", "zh")]
    export = [[f"summary export {lang}", f"{summaries[lang]['export_trials_per_s']:,.0f}",
               f"{summaries[lang]['export_trials']:,}", ">= 500 trials/s"]
              for lang in ("en", "zh")]
    return "\n".join([
        f"database: {out['database']} ({out['trials']:,} trials)", "",
        table(rows, ["query", "p50 ms", "p95 ms", "floor p50", "floor p95", "x floor (p95)",
                     "target"]),
        *lines, "",
        table(export, ["export", "trials/s", "trials", "target"])])


def build_database(studies: int, corpus: Path | None, scratch: Path, seed: int) -> str:
    """Import a (synthetic) corpus into a fresh SQLite file for querying; its path."""
    from evidence import db
    from evidence.importing import import_paths

    source = ensure_corpus(studies, corpus, scratch, seed)
    path = scratch / "query.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.connect_checked(url)
    import_paths(engine, [source], fmt="ctgov")
    engine.dispose()
    return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=2000, help="synthetic corpus size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, help="an existing corpus to import")
    parser.add_argument("--db", type=Path, help="an already imported SQLite database")
    parser.add_argument("--lookups", type=int, default=300, help="lookups timed")
    parser.add_argument("--export-limit", type=int, default=1000,
                        help="trials in the bulk export per language")
    parser.add_argument("--repeat", type=int, default=30,
                        help="repeats of each search (0: skip search)")
    parser.add_argument("--workdir", type=Path, help="keep corpus and database here")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    with workdir(args.workdir) as scratch:
        path = str(args.db) if args.db else build_database(args.studies, args.corpus, scratch,
                                                           args.seed)
        out = run(path, scratch, lookups=args.lookups, export_limit=args.export_limit,
                  seed=args.seed, repeat=args.repeat)
    if args.json:
        import json

        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(format_report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
