"""The full-text index over titles, conditions, agents, endpoints and abstracts, en and zh.

The index is one table, `search_index`, with one row per (source row, text column):
on SQLite an FTS5 table with the trigram tokenizer (Chinese has no spaces, so
words are useless; trigrams find any substring of 3+ characters), on PostgreSQL
a plain table with a pg_trgm GIN index for ILIKE. Database triggers keep it in
step with the tables whatever writes them; each index row's id is computed from
its source row, so a trigger deletes its rows by key. This module builds the DDL,
triggers and fill statements; what is indexed and the key layouts are in
evidence/search_keys.py (re-exported here: migrations import them from this module).
Querying it: evidence/search.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evidence.search_keys import (
    INDEX_TABLE,
    KIND_SHIFT,
    KINDS,
    LAYOUT,
    RANGE_MESSAGE,
    SLOTS,
    SOURCE_ID_LIMIT,
    SOURCE_SHIFT,
    SOURCES,
    TABLES,
    TRIAL_ID_LIMIT,
    TRIAL_SHIFT,
    WEIGHTS,
    Layout,
    Source,
    is_index_table,
    key_sql,
    kind_range,
    kind_trial_key,
    out_of_range_sql,
    trial_id_sql,
    trial_of_key,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from evidence.views import Dialect

__all__ = [
    "DEFERRED_SETTING", "INDEX_TABLE", "KINDS", "KIND_SHIFT", "LAYOUT", "SLOTS", "SOURCES",
    "SOURCE_ID_LIMIT", "SOURCE_SHIFT", "TABLES", "TRIAL_ID_LIMIT", "TRIAL_SHIFT", "WEIGHTS",
    "Layout", "Source", "create_statements", "drop_statements", "index_trials_statements",
    "insert_triggers", "is_index_table", "kind_range", "kind_trial_key", "pg_sync_function",
    "rebuild_statements", "relayout_statements", "trial_of_key",
]


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


def _rows_select(table: str, r: str, dialect: Dialect, from_clause: str, layout: Layout) -> str:
    """SELECT (id, body, trial_id, kind, lang) for every non-empty indexed text of row `r`."""
    trial = trial_id_sql(table, r)
    parts = [f"SELECT {key_sql(s, r, dialect, layout)} AS id, "
             f"{_text_expr(s, r, dialect)} AS body, "
             f"{trial} AS trial_id, '{s.kind}' AS kind, '{s.lang}' AS lang{from_clause}"
             for s in SOURCES if s.table == table]
    union = "\n  UNION ALL ".join(parts)
    # Layout 2 has no key for a text without a trial (a publication only): not indexed,
    # as search never returned such rows anyway.
    keep = " AND trial_id IS NOT NULL" if layout == 2 else ""
    return (f"SELECT id, body, trial_id, kind, lang FROM (\n  {union}\n) AS d "
            f"WHERE body IS NOT NULL AND body <> ''{keep}")


def _insert(table: str, r: str, dialect: Dialect, from_clause: str = "",
            layout: Layout = LAYOUT) -> str:
    target = "rowid" if dialect == "sqlite" else "id"
    return (f"INSERT INTO {INDEX_TABLE} ({target}, body, trial_id, kind, lang)\n"
            + _rows_select(table, r, dialect, from_clause, layout))


def _delete(table: str, r: str, dialect: Dialect, layout: Layout) -> str:
    ids = ", ".join(key_sql(s, r, dialect, layout) for s in SOURCES if s.table == table)
    key = "rowid" if dialect == "sqlite" else "id"
    return f"DELETE FROM {INDEX_TABLE} WHERE {key} IN ({ids})"


def _watched(table: str) -> str:
    cols = {"abstract_sections" if s.column.startswith("sections.") else s.column
            for s in SOURCES if s.table == table}
    cols.add("id" if table == "trial" else "trial_id")
    return ", ".join(sorted(cols))


def _sqlite_triggers(table: str, layout: Layout = LAYOUT) -> list[str]:
    name = f"{INDEX_TABLE}_{table}"
    guard = (f"SELECT RAISE(ABORT, '{RANGE_MESSAGE}') WHERE {out_of_range_sql(table, 'NEW')};\n"
             if layout == 2 else "")
    return [
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN\n"
        f"{guard}{_insert(table, 'NEW', 'sqlite', layout=layout)};\nEND",
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN\n"
        f"{_delete(table, 'OLD', 'sqlite', layout)};\nEND",
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {_watched(table)} ON {table} BEGIN\n"
        f"{guard}{_delete(table, 'OLD', 'sqlite', layout)};\n"
        f"{_insert(table, 'NEW', 'sqlite', layout=layout)};\nEND",
    ]


# A bulk writer that indexes its new trials itself sets this for its transaction.
DEFERRED_SETTING = "evidence.search_index_deferred"


def pg_sync_function(table: str, *, deferrable: bool = True, replace: bool = False,
                     layout: Layout = LAYOUT) -> str:
    """The trigger function keeping the index in step with one table (PostgreSQL).

    `deferrable` (migration 0005): inserts are skipped while the transaction has set
    DEFERRED_SETTING, because the bulk import then indexes the new trials set-based.
    """
    fn = f"{INDEX_TABLE}_sync_{table}"
    delete = _delete(table, "OLD", "postgresql", layout)
    guard = (f"  IF TG_OP <> 'DELETE' AND ({out_of_range_sql(table, 'NEW')}) THEN\n"
             f"    RAISE EXCEPTION '{RANGE_MESSAGE}';\n  END IF;\n") if layout == 2 else ""
    skip = (f"  IF TG_OP = 'INSERT' AND current_setting('{DEFERRED_SETTING}', true) = 'on' "
            "THEN\n    RETURN NULL;\n  END IF;\n") if deferrable else ""
    insert = _insert(table, "NEW", "postgresql", layout=layout)
    return (f"CREATE {'OR REPLACE ' if replace else ''}FUNCTION {fn}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $fn$\nBEGIN\n{guard}{skip}"
            f"  IF TG_OP <> 'INSERT' THEN\n    {delete};\n  END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN\n    {insert};\n  END IF;\n"
            f"  RETURN NULL;\nEND\n$fn$")


def _pg_trigger(table: str, *, deferrable: bool, layout: Layout) -> list[str]:
    fn = f"{INDEX_TABLE}_sync_{table}"
    return [
        pg_sync_function(table, deferrable=deferrable, layout=layout),
        f"CREATE TRIGGER {INDEX_TABLE}_sync AFTER INSERT OR DELETE OR UPDATE OF "
        f"{_watched(table)} ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}()",
    ]


def create_statements(dialect: Dialect, *, trigram_index: bool = True,
                      layout: Layout = LAYOUT, deferrable: bool = True) -> list[str]:
    """DDL of the index table and its triggers, then the statements that fill it.

    Migration 0003 asks for layout 1 without deferrable triggers, as it first shipped.
    """
    if dialect == "sqlite":
        # Trigram, not unicode61: the unit of Chinese search is a character run, not a word.
        out = [f"CREATE VIRTUAL TABLE {INDEX_TABLE} USING fts5(body, trial_id UNINDEXED, "
               "kind UNINDEXED, lang UNINDEXED, tokenize = 'trigram')"]
        for table in TABLES:
            out += _sqlite_triggers(table, layout)
    else:
        out = [f"CREATE TABLE {INDEX_TABLE} (id BIGINT PRIMARY KEY, "
               "trial_id INTEGER REFERENCES trial (id) ON DELETE CASCADE, "
               "kind VARCHAR(16) NOT NULL, lang VARCHAR(2) NOT NULL, body TEXT NOT NULL)",
               f"CREATE INDEX {INDEX_TABLE}_trial_id ON {INDEX_TABLE} (trial_id)"]
        if trigram_index:
            out.append(f"CREATE INDEX {INDEX_TABLE}_body_trgm ON {INDEX_TABLE} "
                       "USING gin (body gin_trgm_ops)")
        for table in TABLES:
            out += _pg_trigger(table, deferrable=deferrable, layout=layout)
    return out + rebuild_statements(dialect, layout)


def rebuild_statements(dialect: Dialect, layout: Layout = LAYOUT) -> list[str]:
    """Empty the index and fill it again from every row of the indexed tables."""
    return [f"DELETE FROM {INDEX_TABLE}"] + [
        _insert(table, "r", dialect, f" FROM {table} r", layout) for table in TABLES]


def relayout_statements(dialect: Dialect, layout: Layout) -> list[str]:
    """Move an index to another key layout: new triggers, then every row indexed again.

    On PostgreSQL the trigger functions are replaced (they stay deferrable, as since
    migration 0005); the table and its trigram index stay.
    """
    if dialect == "sqlite":
        out = _drop_sqlite_triggers()
        out += [sql for t in TABLES for sql in _sqlite_triggers(t, layout)]
    else:
        out = [pg_sync_function(t, replace=True, layout=layout) for t in TABLES]
    return out + rebuild_statements(dialect, layout)


def _drop_sqlite_triggers() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {INDEX_TABLE}_{t}_{s}" for t in TABLES
            for s in ("ai", "ad", "au")]


def drop_statements(dialect: Dialect) -> list[str]:
    """Undo create_statements (the pg_trgm extension stays: other objects may use it)."""
    if dialect == "sqlite":
        out = _drop_sqlite_triggers()
        return [*out, f"DROP TABLE IF EXISTS {INDEX_TABLE}"]
    out = [f"DROP TRIGGER IF EXISTS {INDEX_TABLE}_sync ON {t}" for t in TABLES]
    out += [f"DROP FUNCTION IF EXISTS {INDEX_TABLE}_sync_{t}()" for t in TABLES]
    return [*out, f"DROP TABLE IF EXISTS {INDEX_TABLE}"]


# ---- bulk writes (the database is at the latest layout) -------------------------------------

def insert_triggers(dialect: Dialect) -> dict[str, str]:
    """The AFTER INSERT trigger of each indexed table (SQLite): name -> CREATE statement."""
    assert dialect == "sqlite"
    return {f"{INDEX_TABLE}_{t}_ai": _sqlite_triggers(t)[0] for t in TABLES}


def index_trials_statements(dialect: Dialect, trial_ids: Sequence[int]) -> list[str]:
    """Index every row of these trials at once (they are new: nothing to delete).

    The ids come from evidence.rowwrite.allocate_ids, which keeps them within the keys.
    """
    if isinstance(trial_ids, range) and trial_ids.step == 1:
        where = f"BETWEEN {int(trial_ids.start)} AND {int(trial_ids.stop) - 1}"
    else:
        where = f"IN ({', '.join(str(int(i)) for i in trial_ids)})"
    out = []
    for table in TABLES:
        key = "id" if table == "trial" else "trial_id"
        out.append(_insert(table, "r", dialect, f" FROM {table} r WHERE r.{key} {where}"))
    return out
