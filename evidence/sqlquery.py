"""Run one read-only SQL statement for an analyst, on SQLite or PostgreSQL.

Three layers refuse changes, so no single oversight lets one through:
1. the text must be one statement that starts like a query (SELECT, WITH, ...);
2. SQLite opens the file read-only with an authorizer that denies every write,
   DDL, ATTACH and state-changing PRAGMA; PostgreSQL runs in a READ ONLY
   transaction that is rolled back;
3. a timer stops a runaway query (SQLite progress handler, PostgreSQL
   statement_timeout).
On a shared PostgreSQL server, also connect as a role with only SELECT rights:
a read-only transaction still lets functions such as pg_terminate_backend() run.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evidence.config import is_sqlite, sqlite_path
from evidence.errors import EvidenceError

DEFAULT_TIMEOUT = 30.0


class QueryError(EvidenceError):
    """The statement failed in the database (syntax, unknown column, ...)."""


class QueryRefused(EvidenceError):
    """The statement would change the database, or is not exactly one statement."""


class QueryTimeout(EvidenceError):
    """The statement ran longer than its time limit and was stopped."""


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Column names (made unique) and rows as dicts keyed by them."""

    columns: list[str]
    rows: list[dict[str, Any]]


# ---- reading the statement text -------------------------------------------------------------

_READ_KEYWORDS = {"SELECT", "WITH", "VALUES", "EXPLAIN", "TABLE", "SHOW", "PRAGMA"}
_WRITE = {"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT", "COPY", "TRUNCATE"}
_DDL = {"CREATE", "DROP", "ALTER", "RENAME", "COMMENT", "GRANT", "REVOKE", "REINDEX", "VACUUM",
        "ANALYZE", "ANALYSE", "CLUSTER", "REFRESH", "SECURITY", "IMPORT"}
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def _segments(sql: str, dollar_quotes: bool) -> Iterator[tuple[str, str]]:
    """(kind, text) pieces: 'code', 'string' (quoted text or identifier) or 'comment'."""
    i, n, start = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        end = -1
        if ch in "'\"`":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # doubled quote inside
                        end += 2
                        continue
                    break
                # E'...' strings (PostgreSQL) escape with backslashes.
                if (ch == "'" and sql[end] == "\\" and i > 0 and sql[i - 1] in "eE"
                        and dollar_quotes):
                    end += 1
                end += 1
            end = min(end + 1, n)
            kind = "string"
        elif sql.startswith("--", i):
            nl = sql.find("\n", i)
            end, kind = (n if nl < 0 else nl), "comment"
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end, kind = (n if close < 0 else close + 2), "comment"
        elif ch == "$" and dollar_quotes and (m := _DOLLAR.match(sql, i)):
            close = sql.find(m.group(0), m.end())
            end, kind = (n if close < 0 else close + len(m.group(0))), "string"
        if end < 0:
            i += 1
            continue
        if start < i:
            yield "code", sql[start:i]
        yield kind, sql[i:end]
        i = start = end
    if start < n:
        yield "code", sql[start:]


def check_statement(sql: str, *, postgres: bool = False) -> str:
    """The statement's first keyword, upper-case; refuses more than one statement or a write."""
    parts = list(_segments(sql, dollar_quotes=postgres))
    code = [(k, t) for k, t in parts if k != "comment"]
    seen_end = False
    for kind, piece in code:
        if seen_end and (kind != "code" or piece.strip(" \t\r\n;")):
            raise QueryRefused("only one statement at a time: remove everything after the "
                               "first ';'")
        if kind == "code" and ";" in piece:
            seen_end = True
            if piece.split(";", 1)[1].strip(" \t\r\n;"):
                raise QueryRefused("only one statement at a time: remove everything after the "
                                   "first ';'")
    text = "".join(t for k, t in code if k == "code")
    match = re.match(r"[\s(]*([A-Za-z]+)", text)
    if not match:
        raise QueryRefused("no SQL statement given")
    keyword = match.group(1).upper()
    if keyword in _READ_KEYWORDS:
        if keyword == "PRAGMA" and postgres:
            raise QueryRefused("PRAGMA is SQLite's; PostgreSQL has no such statement")
        return keyword
    if keyword in _WRITE:
        raise QueryRefused(f"{keyword} would change the database; `evidence query` only reads")
    if keyword in _DDL:
        raise QueryRefused(f"{keyword} would change the schema; `evidence query` only reads")
    if keyword in ("ATTACH", "DETACH"):
        raise QueryRefused(f"{keyword} is not allowed: `evidence query` reads one database only")
    raise QueryRefused(f"{keyword} is not a query; `evidence query` runs SELECT, WITH, VALUES, "
                       "EXPLAIN or a read-only PRAGMA")


def parameter_names(sql: str, *, postgres: bool = False) -> list[str]:
    """The `:name` parameters in the statement, in order of first use (not `::type` casts)."""
    names: list[str] = []
    for kind, piece in _segments(sql, dollar_quotes=postgres):
        if kind == "code":
            names += re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", piece)
    return list(dict.fromkeys(names))


def _to_psycopg(sql: str) -> str:
    """`:name` -> `%(name)s`, and every other `%` doubled, as psycopg wants with parameters."""
    out = []
    for kind, piece in _segments(sql, dollar_quotes=True):
        piece = piece.replace("%", "%%")
        if kind == "code":
            piece = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", piece)
        out.append(piece)
    return "".join(out)


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`name=value` strings -> dict; values stay text and the database compares them."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lstrip(":")
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise QueryRefused(f"--param {pair!r}: write it as name=value")
        out[name] = value
    return out


# ---- running it -----------------------------------------------------------------------------


def run_query(url: str, sql: str, params: Mapping[str, str] | None = None, *,
              timeout: float = DEFAULT_TIMEOUT) -> QueryResult:
    """Run one read-only statement with `:name` parameters; nothing it does is kept."""
    postgres = not is_sqlite(url)
    check_statement(sql, postgres=postgres)
    given = dict(params or {})
    used = parameter_names(sql, postgres=postgres)
    missing = [n for n in used if n not in given]
    if missing:
        raise QueryRefused("no value for " + ", ".join(f":{n}" for n in missing)
                           + " (give --param name=value)")
    unused = [n for n in given if n not in used]
    if unused:
        raise QueryRefused("--param " + ", ".join(unused) + " not used by the statement")
    if postgres:
        return _run_postgres(url, sql, given, timeout)
    return _run_sqlite(url, sql, given, timeout)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _plain(value: Any) -> Any:
    """Driver values as JSON-ready ones; Decimals keep their exact digits as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        import orjson

        return orjson.dumps(value).decode()
    return value


def _result(description: Any, rows: list[tuple[Any, ...]]) -> QueryResult:
    columns = _unique([d[0] for d in description or ()])
    return QueryResult(columns, [dict(zip(columns, map(_plain, row), strict=True))
                                 for row in rows])


# Introspection PRAGMAs read, whatever their argument; others may only be read bare.
_PRAGMA_INTROSPECT = {"table_info", "table_xinfo", "table_list", "index_list", "index_info",
                      "index_xinfo", "foreign_key_list", "function_list", "module_list",
                      "pragma_list", "collation_list", "compile_options", "database_list",
                      "foreign_key_check", "integrity_check", "quick_check"}
_PRAGMA_READ = {"user_version", "schema_version", "application_id", "page_count", "page_size",
                "freelist_count", "encoding", "journal_mode", "foreign_keys", "data_version",
                "max_page_count", "auto_vacuum", "cache_size", "query_only", "busy_timeout",
                "synchronous", "recursive_triggers", "case_sensitive_like", "temp_store"}


def _sqlite_authorizer(refusals: list[str]) -> Any:
    import sqlite3 as s

    allowed = {s.SQLITE_SELECT, s.SQLITE_READ, s.SQLITE_FUNCTION, s.SQLITE_RECURSIVE}
    writes = {s.SQLITE_INSERT: "INSERT into", s.SQLITE_UPDATE: "UPDATE of",
              s.SQLITE_DELETE: "DELETE from"}

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None,
                  _trigger: str | None) -> int:
        if action in allowed:
            return s.SQLITE_OK
        if action == s.SQLITE_UPDATE and arg1 == "sqlite_master":
            # SQLite asks this while it sets up an eponymous virtual table such as
            # pragma_table_info(); the file is read-only and query_only is on, so
            # nothing can be written, and an UPDATE statement never gets this far.
            return s.SQLITE_OK
        if action == s.SQLITE_PRAGMA and arg1 is not None:
            name = arg1.lower()
            if name in _PRAGMA_INTROSPECT or (name in _PRAGMA_READ and arg2 is None):
                return s.SQLITE_OK
            refusals.append(f"PRAGMA {arg1}{'' if arg2 is None else ' = ' + arg2} would "
                            "change the connection or database; only reading PRAGMAs run")
        elif action in writes:
            refusals.append(f"{writes[action]} {arg1} would change the database; "
                            "`evidence query` only reads")
        elif action in (s.SQLITE_ATTACH, s.SQLITE_DETACH):
            refusals.append("ATTACH/DETACH is not allowed: `evidence query` reads one database "
                            "only")
        else:
            refusals.append("the statement would change the schema or transaction state; "
                            "`evidence query` only reads")
        return s.SQLITE_DENY

    return authorize


def _run_sqlite(url: str, sql: str, params: dict[str, str], timeout: float) -> QueryResult:
    import sqlite3
    from pathlib import Path
    from urllib.parse import quote

    path = sqlite_path(url)
    if path != ":memory:" and not Path(path).is_file():
        raise QueryError(f"no SQLite database at {path}")
    target = f"file:{quote(path)}?mode=ro" if path != ":memory:" else ":memory:"
    conn = sqlite3.connect(target, uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA query_only = ON")
        refusals: list[str] = []
        conn.set_authorizer(_sqlite_authorizer(refusals))
        deadline = time.monotonic() + timeout
        # Called every 10,000 virtual-machine steps; a non-zero return interrupts.
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            cursor = conn.execute(sql, params)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            if refusals:
                raise QueryRefused(refusals[0]) from None
            if "interrupted" in str(exc):
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped "
                                   "(raise --timeout)") from None
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise QueryRefused(f"{exc}; `evidence query` only reads") from None
            raise QueryError(str(exc)) from None
        return _result(cursor.description, rows)
    finally:
        conn.close()


def _run_postgres(url: str, sql: str, params: dict[str, str], timeout: float) -> QueryResult:
    import psycopg

    conninfo = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)
    try:
        conn = psycopg.connect(conninfo, autocommit=True,
                               options="-c default_transaction_read_only=on")
    except psycopg.OperationalError as exc:
        raise QueryError(f"cannot connect to PostgreSQL: {exc}") from None
    try:
        conn.execute("BEGIN READ ONLY")
        # statement_timeout counts milliseconds; SET cannot take a parameter.
        conn.execute(f"SET LOCAL statement_timeout = {max(1, round(timeout * 1000))}")
        try:
            cursor = conn.execute(_to_psycopg(sql) if params else sql,
                                  params if params else None)
            rows = cursor.fetchall() if cursor.description else []
        except psycopg.errors.QueryCanceled:
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped "
                               "(raise --timeout)") from None
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise QueryRefused(f"{exc.diag.message_primary}; `evidence query` only reads") \
                from None
        except psycopg.Error as exc:
            raise QueryError(exc.diag.message_primary or str(exc)) from None
        return _result(cursor.description, rows)
    finally:
        conn.close()  # closing inside the transaction rolls it back: nothing is kept
