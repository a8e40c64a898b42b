"""Full-text search over titles, conditions, agents, endpoints and abstracts, English and Chinese.

The index is one table, `search_index`, with one row per (source row, text column):
on SQLite an FTS5 table with the trigram tokenizer (Chinese has no spaces, so
words are useless; trigrams find any substring of 3+ characters), on PostgreSQL
a plain table with a pg_trgm GIN index for ILIKE. Database triggers, created by
migration 0003, keep it in step with the tables whatever writes them; each index
row's id is `source id * 32 + slot`, so a trigger deletes its rows by key.
Ranking is computed here from which kinds of text matched, so both engines rank
alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evidence.errors import EvidenceError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from evidence.reader import RawDB
    from evidence.views import Dialect

INDEX_TABLE = "search_index"
SLOTS = 32  # index row id = source row id * SLOTS + slot

# Kinds of text and how much a match in each counts for the ranking.
WEIGHTS = {"title": 5, "agent": 4, "condition": 4, "endpoint": 3, "abstract": 1}
KINDS = tuple(WEIGHTS)


class SearchError(EvidenceError):
    """The search cannot run: empty query, or a database without the search index."""


@dataclass(frozen=True, slots=True)
class Source:
    """One indexed text: which table column, its slot, kind and language."""

    slot: int
    table: str
    kind: str
    lang: str
    column: str  # a plain column, or "other_names" / "sections.en" handled below


def _sources() -> tuple[Source, ...]:
    spec = [("trial", "title", [("title_en", "en"), ("title_zh", "zh"),
                                ("official_title", "en"), ("acronym", "en")]),
            ("condition", "condition", [("name_en", "en"), ("name_zh", "zh")]),
            ("intervention", "agent", [("name_en", "en"), ("name_zh", "zh"),
                                       ("other_names", "en")]),
            ("endpoint", "endpoint", [("name_en", "en"), ("name_zh", "zh")]),
            ("publication", "abstract", [("title_en", "en"), ("title_zh", "zh"),
                                         ("abstract_en", "en"), ("abstract_zh", "zh"),
                                         ("sections.en", "en"), ("sections.zh", "zh")])]
    out, slot = [], 1
    for table, kind, columns in spec:
        for column, lang in columns:
            out.append(Source(slot, table, kind, lang, column))
            slot += 1
    assert slot <= SLOTS
    return tuple(out)


SOURCES = _sources()
TABLES = tuple(dict.fromkeys(s.table for s in SOURCES))


def is_index_table(name: str) -> bool:
    """Whether a database table belongs to the search index (FTS5 adds shadow tables)."""
    return name == INDEX_TABLE or name.startswith(INDEX_TABLE + "_")


def _text_expr(src: Source, r: str, dialect: Dialect) -> str:
    if src.column == "other_names":
        if dialect == "sqlite":
            return (f"(SELECT group_concat(j.value, '; ') FROM json_each({r}.other_names) j "
                    f"WHERE json_type({r}.other_names) = 'array')")
        return (f"(SELECT string_agg(j.v, '; ' ORDER BY j.i) FROM "
                f"json_array_elements_text(CASE WHEN json_typeof({r}.other_names) = 'array' "
                f"THEN {r}.other_names END) WITH ORDINALITY AS j(v, i))")
    if src.column.startswith("sections."):
        lang = src.column.split(".", 1)[1]
        if dialect == "sqlite":
            return (f"(SELECT group_concat(json_extract(j.value, '$.text.{lang}'), ' ') "
                    f"FROM json_each({r}.abstract_sections) j "
                    f"WHERE json_type({r}.abstract_sections) = 'array')")
        return (f"(SELECT string_agg(j.v->'text'->>'{lang}', ' ' ORDER BY j.i) FROM "
                f"json_array_elements(CASE WHEN json_typeof({r}.abstract_sections) = 'array' "
                f"THEN {r}.abstract_sections END) WITH ORDINALITY AS j(v, i))")
    return f"{r}.{src.column}"


def _rows_select(table: str, r: str, dialect: Dialect, from_clause: str) -> str:
    """SELECT (id, body, trial_id, kind, lang) for every non-empty indexed text of row `r`."""
    trial = f"{r}.id" if table == "trial" else f"{r}.trial_id"
    rid = f"{r}.id" if dialect == "sqlite" else f"CAST({r}.id AS BIGINT)"
    parts = [f"SELECT {rid} * {SLOTS} + {s.slot} AS id, {_text_expr(s, r, dialect)} AS body, "
             f"{trial} AS trial_id, '{s.kind}' AS kind, '{s.lang}' AS lang{from_clause}"
             for s in SOURCES if s.table == table]
    union = "\n  UNION ALL ".join(parts)
    return (f"SELECT id, body, trial_id, kind, lang FROM (\n  {union}\n) AS d "
            f"WHERE body IS NOT NULL AND body <> ''")


def _insert(table: str, r: str, dialect: Dialect, from_clause: str = "") -> str:
    target = "rowid" if dialect == "sqlite" else "id"
    return (f"INSERT INTO {INDEX_TABLE} ({target}, body, trial_id, kind, lang)\n"
            + _rows_select(table, r, dialect, from_clause))


def _delete(table: str, r: str, dialect: Dialect) -> str:
    rid = f"{r}.id" if dialect == "sqlite" else f"CAST({r}.id AS BIGINT)"
    ids = ", ".join(f"{rid} * {SLOTS} + {s.slot}" for s in SOURCES if s.table == table)
    key = "rowid" if dialect == "sqlite" else "id"
    return f"DELETE FROM {INDEX_TABLE} WHERE {key} IN ({ids})"


def _watched(table: str) -> str:
    cols = {"abstract_sections" if s.column.startswith("sections.") else s.column
            for s in SOURCES if s.table == table}
    cols.add("id" if table == "trial" else "trial_id")
    return ", ".join(sorted(cols))


def _sqlite_triggers(table: str) -> list[str]:
    name = f"{INDEX_TABLE}_{table}"
    return [
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN\n"
        f"{_insert(table, 'NEW', 'sqlite')};\nEND",
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN\n"
        f"{_delete(table, 'OLD', 'sqlite')};\nEND",
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {_watched(table)} ON {table} BEGIN\n"
        f"{_delete(table, 'OLD', 'sqlite')};\n{_insert(table, 'NEW', 'sqlite')};\nEND",
    ]


# A bulk writer that indexes its new trials itself sets this for its transaction.
DEFERRED_SETTING = "evidence.search_index_deferred"


def pg_sync_function(table: str, *, deferrable: bool = True, replace: bool = False) -> str:
    """The trigger function keeping the index in step with one table (PostgreSQL).

    `deferrable` (migration 0005): inserts are skipped while the transaction has set
    DEFERRED_SETTING, because the bulk import then indexes the new trials set-based.
    """
    fn = f"{INDEX_TABLE}_sync_{table}"
    delete = _delete(table, "OLD", "postgresql")
    skip = (f"  IF TG_OP = 'INSERT' AND current_setting('{DEFERRED_SETTING}', true) = 'on' "
            "THEN\n    RETURN NULL;\n  END IF;\n") if deferrable else ""
    return (f"CREATE {'OR REPLACE ' if replace else ''}FUNCTION {fn}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $fn$\nBEGIN\n{skip}"
            f"  IF TG_OP <> 'INSERT' THEN\n    {delete};\n  END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN\n    {_insert(table, 'NEW', 'postgresql')};\n  END IF;\n"
            f"  RETURN NULL;\nEND\n$fn$")


def _pg_trigger(table: str) -> list[str]:
    fn = f"{INDEX_TABLE}_sync_{table}"
    return [
        pg_sync_function(table),
        f"CREATE TRIGGER {INDEX_TABLE}_sync AFTER INSERT OR DELETE OR UPDATE OF "
        f"{_watched(table)} ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}()",
    ]


def create_statements(dialect: Dialect, *, trigram_index: bool = True) -> list[str]:
    """DDL of the index table and its triggers, then the statements that fill it."""
    if dialect == "sqlite":
        # Trigram, not unicode61: the unit of Chinese search is a character run, not a word.
        out = [f"CREATE VIRTUAL TABLE {INDEX_TABLE} USING fts5(body, trial_id UNINDEXED, "
               "kind UNINDEXED, lang UNINDEXED, tokenize = 'trigram')"]
        for table in TABLES:
            out += _sqlite_triggers(table)
    else:
        out = [f"CREATE TABLE {INDEX_TABLE} (id BIGINT PRIMARY KEY, "
               "trial_id INTEGER REFERENCES trial (id) ON DELETE CASCADE, "
               "kind VARCHAR(16) NOT NULL, lang VARCHAR(2) NOT NULL, body TEXT NOT NULL)",
               f"CREATE INDEX {INDEX_TABLE}_trial_id ON {INDEX_TABLE} (trial_id)"]
        if trigram_index:
            out.append(f"CREATE INDEX {INDEX_TABLE}_body_trgm ON {INDEX_TABLE} "
                       "USING gin (body gin_trgm_ops)")
        for table in TABLES:
            out += _pg_trigger(table)
    return out + rebuild_statements(dialect)


def rebuild_statements(dialect: Dialect) -> list[str]:
    """Empty the index and fill it again from every row of the indexed tables."""
    return [f"DELETE FROM {INDEX_TABLE}"] + [
        _insert(table, "r", dialect, f" FROM {table} r") for table in TABLES]


def drop_statements(dialect: Dialect) -> list[str]:
    """Undo create_statements (the pg_trgm extension stays: other objects may use it)."""
    if dialect == "sqlite":
        out = [f"DROP TRIGGER IF EXISTS {INDEX_TABLE}_{t}_{s}" for t in TABLES
               for s in ("ai", "ad", "au")]
        return [*out, f"DROP TABLE IF EXISTS {INDEX_TABLE}"]
    out = [f"DROP TRIGGER IF EXISTS {INDEX_TABLE}_sync ON {t}" for t in TABLES]
    out += [f"DROP FUNCTION IF EXISTS {INDEX_TABLE}_sync_{t}()" for t in TABLES]
    return [*out, f"DROP TABLE IF EXISTS {INDEX_TABLE}"]


# ---- searching ------------------------------------------------------------------------------

_TERM = re.compile(r'"([^"]*)"|([^\s"]+)')
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SNIPPET_CONTEXT = 30


@dataclass(frozen=True, slots=True)
class Hit:
    """One trial found: its rank score, IDs, title, what matched and a snippet of the text."""

    trial_id: int
    score: int
    registration_ids: str | None
    title: str | None
    matched: tuple[str, ...]
    snippet: str


def parse_terms(text: str) -> list[str]:
    """Whitespace-separated terms; "double quotes" keep a phrase together."""
    terms = [(m.group(1) or m.group(2) or "").strip() for m in _TERM.finditer(text)]
    return list(dict.fromkeys(t for t in terms if t))


def _like_pattern(term: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"


def _term_rows(db: RawDB, term: str, lang: str | None) -> list[dict[str, Any]]:
    where = "trial_id IS NOT NULL" + (" AND lang = :lang" if lang else "")
    cols = f"SELECT trial_id, kind, lang, body FROM {INDEX_TABLE} WHERE {where} AND "
    params: dict[str, Any] = {"lang": lang} if lang else {}
    if not db.sqlite:
        return db.all(cols + "body ILIKE :pat ESCAPE '\\'", pat=_like_pattern(term), **params)
    if len(term) >= 3:
        return db.all(cols + f"{INDEX_TABLE} MATCH :q", q='"' + term.replace('"', '""') + '"',
                      **params)
    # Under 3 characters a trigram index cannot answer: scan. `body || ''` keeps SQLite
    # (3.40) from handing LIKE to FTS5, which returns no rows for short non-ASCII patterns.
    return db.all(cols + "(body || '') LIKE :pat ESCAPE '\\'", pat=_like_pattern(term), **params)


def _snippet(body: str, term: str) -> str:
    flat = " ".join(body.split())
    at = flat.lower().find(term.lower())
    if at < 0:
        return flat[:2 * _SNIPPET_CONTEXT]
    start, end = max(0, at - _SNIPPET_CONTEXT), min(len(flat), at + len(term) + _SNIPPET_CONTEXT)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


def search(db: RawDB, text: str, *, lang: str | None = None, limit: int = 20) -> list[Hit]:
    """Trials whose texts contain every term, best first (ties by trial id)."""
    terms = parse_terms(text)
    if not terms:
        raise SearchError("nothing to search for")
    matched: dict[int, dict[str, set[str]]] = {}  # trial -> term -> kinds
    first_body: dict[int, tuple[int, str]] = {}  # trial -> (weight, body) of the best match
    for n, term in enumerate(terms):
        try:
            rows = _term_rows(db, term, lang)
        except Exception as exc:  # sqlite3 / psycopg errors: the index may be missing
            if INDEX_TABLE in str(exc):
                raise SearchError("this database has no search index: run `evidence init` "
                                  "to upgrade it") from None
            raise
        for row in rows:
            tid = int(row["trial_id"])
            if n and tid not in matched:
                continue
            matched.setdefault(tid, {}).setdefault(term, set()).add(row["kind"])
            if n == 0 and WEIGHTS[row["kind"]] > first_body.get(tid, (0, ""))[0]:
                first_body[tid] = (WEIGHTS[row["kind"]], row["body"])
        matched = {t: m for t, m in matched.items() if term in m}
    scored = sorted(((sum(WEIGHTS[k] for kinds in m.values() for k in kinds), tid)
                     for tid, m in matched.items()), key=lambda s: (-s[0], s[1]))[:limit]
    meta = _trial_meta(db, [tid for _, tid in scored])
    zh = lang == "zh" or (lang is None and bool(_CJK.search(text)))
    hits = []
    for score, tid in scored:
        info = meta.get(tid, {})
        title = (info.get("title_zh") or info.get("title_en")) if zh else \
            (info.get("title_en") or info.get("title_zh"))
        kinds = set().union(*matched[tid].values())
        hits.append(Hit(tid, score, info.get("registration_ids"), title,
                        tuple(k for k in KINDS if k in kinds),
                        _snippet(first_body[tid][1], terms[0])))
    return hits


def _trial_meta(db: RawDB, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    names = {f"t{i}": tid for i, tid in enumerate(ids)}
    rows = db.all("SELECT trial_id, registration_ids, title_en, title_zh FROM v_trials "
                  f"WHERE trial_id IN ({', '.join(':' + k for k in names)})", **names)
    return {int(r["trial_id"]): r for r in rows}


# ---- bulk writes ----------------------------------------------------------------------------

def insert_triggers(dialect: Dialect) -> dict[str, str]:
    """The AFTER INSERT trigger of each indexed table (SQLite): name -> CREATE statement."""
    assert dialect == "sqlite"
    return {f"{INDEX_TABLE}_{t}_ai": _sqlite_triggers(t)[0] for t in TABLES}


def index_trials_statements(dialect: Dialect, trial_ids: Sequence[int]) -> list[str]:
    """Index every row of these trials at once (they are new: nothing to delete)."""
    if isinstance(trial_ids, range) and trial_ids.step == 1:
        where = f"BETWEEN {int(trial_ids.start)} AND {int(trial_ids.stop) - 1}"
    else:
        where = f"IN ({', '.join(str(int(i)) for i in trial_ids)})"
    out = []
    for table in TABLES:
        key = "id" if table == "trial" else "trial_id"
        out.append(_insert(table, "r", dialect, f" FROM {table} r WHERE r.{key} {where}"))
    return out
