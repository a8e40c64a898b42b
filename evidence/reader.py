"""Read trials back as records with plain SQL over the DB-API driver.

`show` and `summary` must answer in well under half a second including start-up,
and SQLAlchemy plus SQLModel alone take ~0.26 s to import; so reads go straight
through sqlite3 or psycopg. A trial is nineteen indexed SELECTs, sent together
(one pipeline on PostgreSQL), then one validation as a Record (~1 ms on SQLite).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evidence.config import is_sqlite, sqlite_path
from evidence.db import DatabaseError
from evidence.errors import NotFound
from evidence.records import Record
from evidence.rowmap import (
    COMPARISON_FIELDS,
    RESULT_FIELDS,
    arm_data,
    endpoint_data,
    json_value,
    plain_data,
    publication_data,
    regimen_data,
    text_data,
    trial_data,
)


def one_line(exc: BaseException) -> str:
    """A driver's message on one line (psycopg adds hints on further lines)."""
    return " ".join(str(exc).split())


def _is_driver_error(exc: Exception) -> bool:
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    module = type(exc).__module__
    return module.startswith("psycopg")


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    try:
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()


@functools.cache
def _pg_params(sql: str) -> str:
    """`:name` parameters as psycopg's `%(name)s`."""
    return re.sub(r":(\w+)", r"%(\1)s", sql)


class RawDB:
    """A DB-API connection that takes `:name` parameters on both engines."""

    def __init__(self, url: str, *, connection: Any = None) -> None:
        self.sqlite = is_sqlite(url)
        self.owned = connection is None
        if connection is not None:
            self.conn: Any = connection
        elif self.sqlite:
            import sqlite3

            path = sqlite_path(url)
            if path != ":memory:" and not Path(path).is_file():
                raise DatabaseError(f"no database at {path}: run `evidence init` first")
            self.conn = (sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                         if path != ":memory:" else sqlite3.connect(":memory:"))
        else:
            import psycopg

            conninfo = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)
            try:
                self.conn = psycopg.connect(conninfo, autocommit=True)
            except psycopg.Error as exc:
                raise DatabaseError(f"cannot connect to PostgreSQL: {one_line(exc)}") from None

    @classmethod
    def inside(cls, connection: Any) -> RawDB:
        """Read through an open SQLAlchemy Connection, inside its transaction."""
        return cls(str(connection.engine.url), connection=connection.connection.driver_connection)

    def all(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        return self.many([sql], **params)[0]

    def many(self, statements: Sequence[str], **params: Any) -> list[list[dict[str, Any]]]:
        """The rows of each statement, all run with the same parameters.

        PostgreSQL gets them in one pipeline: one round trip instead of one per statement.
        """
        try:
            if self.sqlite:
                return [_dicts(self.conn.execute(sql, params)) for sql in statements]
            if len(statements) == 1:
                return [_dicts(self.conn.execute(_pg_params(statements[0]), params))]
            with self.conn.pipeline():
                cursors = [self.conn.execute(_pg_params(sql), params) for sql in statements]
            return [_dicts(cursor) for cursor in cursors]
        except Exception as exc:
            raise self.explained(exc) from None

    def explained(self, exc: Exception) -> Exception:
        """A driver error of a database we opened, as one line; anything else as it is."""
        if not self.owned or not _is_driver_error(exc):
            return exc
        # A file that is not ours (no tables, not SQLite, an older schema): say so.
        return DatabaseError(f"cannot read the database ({one_line(exc)}); is it an evidence "
                             "database at the latest schema? run `evidence init`")

    def close(self) -> None:
        if self.owned:
            self.conn.close()

    def __enter__(self) -> RawDB:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def resolve_trial_id(db: RawDB, ident: str) -> int:
    """A trial id from a registration ID, PMID, DOI or the numeric database id."""
    from evidence.registries import canonical_case

    ident = ident.strip()
    rows = db.all("SELECT trial_id FROM registration WHERE identifier = :i",
                  i=canonical_case(ident))
    if not rows:
        pmid = ident.removeprefix("PMID:").removeprefix("pmid:").strip()
        doi = re.sub(r"^(doi:|https?://(dx\.)?doi\.org/)", "", ident, flags=re.I).lower()
        rows = db.all("SELECT trial_id FROM publication WHERE (pmid = :p OR doi = :d) "
                      "AND trial_id IS NOT NULL", p=pmid, d=doi)
    if not rows and ident.isdigit():
        rows = db.all("SELECT id AS trial_id FROM trial WHERE id = :i", i=int(ident))
    if not rows:
        raise NotFound(f"no trial with registration ID, PMID, DOI or id {ident!r}")
    return int(rows[0]["trial_id"])


def trial_meta(db: RawDB, trial_id: int) -> dict[str, Any]:
    """Database bookkeeping of a trial: id, version, timestamps, content hash."""
    row = db.all("SELECT id, version, created_at, updated_at, content_hash FROM trial "
                 "WHERE id = :t", t=trial_id)[0]
    return {k: str(v) if k.endswith("_at") else v for k, v in row.items()}


Rows = dict[str, list[dict[str, Any]]]
_BY_TRIAL = ("condition", "institution", "source", "population", "arm", "registration",
             "publication", "intervention", "endpoint", "result", "comparison", "adverse_event")
# Every statement load_record needs, all keyed by the trial id alone, so that they go
# to the database together (one round trip on PostgreSQL).
_RECORD_SQL = {
    "trial": "SELECT * FROM trial WHERE id = :t",
    # Without a join to source: PostgreSQL hashes every source row for it (~0.7 ms).
    "provenance": "SELECT * FROM provenance WHERE trial_id = :t ORDER BY id",
    **{table: f"SELECT * FROM {table} WHERE trial_id = :t ORDER BY position"
       for table in _BY_TRIAL},
    "arm_count": "SELECT c.* FROM arm_count c JOIN arm a ON a.id = c.arm_id "
                 "WHERE a.trial_id = :t ORDER BY c.position",
    "intervention_arm": "SELECT ia.* FROM intervention_arm ia JOIN intervention i "
                        "ON i.id = ia.intervention_id WHERE i.trial_id = :t ORDER BY ia.position",
    "regimen": "SELECT g.* FROM regimen g JOIN intervention i ON i.id = g.intervention_id "
               "WHERE i.trial_id = :t ORDER BY g.position",
    "timepoint": "SELECT tp.* FROM timepoint tp JOIN endpoint e ON e.id = tp.endpoint_id "
                 "WHERE e.trial_id = :t ORDER BY tp.position",
    "comparison_arm": "SELECT ca.* FROM comparison_arm ca JOIN comparison c "
                      "ON c.id = ca.comparison_id WHERE c.trial_id = :t ORDER BY ca.position",
}


def load_record(db: RawDB, trial_id: int) -> Record:
    """The whole trial as a record, exactly as it was imported."""
    rows = dict(zip(_RECORD_SQL, db.many(list(_RECORD_SQL.values()), t=trial_id), strict=True))
    if not rows["trial"]:
        raise NotFound(f"no trial with id {trial_id}")
    # rowplan links provenance only to sources of the same trial.
    source_key = {r["id"]: r["key"] for r in rows["source"]}
    prov = _provenance(rows["provenance"], source_key)
    trial = trial_data(rows["trial"][0])
    trial["conditions"] = [text_data(r, "name") or {} for r in rows["condition"]]
    trial["institutions"] = [
        _compact({"name": text_data(r, "name") or {}, "city": r["city"], "country": r["country"]})
        for r in rows["institution"]]
    trial.update(prov.get(("trial", trial_id), {}))
    pop_key = {r["id"]: r["key"] for r in rows["population"]}
    arm_key = {r["id"]: r["key"] for r in rows["arm"]}
    counts = defaultdict(list)
    for r in rows["arm_count"]:
        counts[r["arm_id"]].append({"population": pop_key[r["population_id"]], "n": r["n"],
                                    **prov.get(("arm_count", r["id"]), {})})
    data: dict[str, Any] = {
        "trial": trial,
        "registrations": [_compact({"registry": r["registry"], "identifier": r["identifier"]})
                          for r in rows["registration"]],
        "publications": [publication_data(r) for r in rows["publication"]],
        "sources": [{k: (str(v) if k == "retrieved" else v) for k, v in r.items()
                     if v is not None and k not in ("id", "trial_id", "position")}
                    for r in rows["source"]],
        "populations": [{"key": r["key"], "label": text_data(r, "label") or {}, "kind": r["kind"],
                         **({"description": r["description"]} if r["description"] else {})}
                        for r in rows["population"]],
        "arms": [{**arm_data(r), "counts": counts[r["id"]], **prov.get(("arm", r["id"]), {})}
                 for r in rows["arm"]],
        "interventions": _interventions(rows, arm_key, prov),
    }
    endpoints, tp_key = _endpoints(rows, pop_key, prov)
    data["endpoints"] = endpoints

    def where(r: dict[str, Any]) -> dict[str, Any]:
        _endpoint, tp = tp_key.get(r["timepoint_id"], (None, None))
        return _compact({"timepoint": tp, "population": pop_key.get(r["population_id"])})

    ep_by_id = {e.pop("_id"): e["key"] for e in endpoints}
    data["results"] = [
        {"endpoint": ep_by_id[r["endpoint_id"]], "arm": arm_key[r["arm_id"]], **where(r),
         **plain_data(r, RESULT_FIELDS), **prov.get(("result", r["id"]), {})}
        for r in rows["result"]]
    cmp_arms = defaultdict(list)
    for r in rows["comparison_arm"]:
        cmp_arms[r["comparison_id"]].append(arm_key[r["arm_id"]])
    data["comparisons"] = [
        {"endpoint": ep_by_id[r["endpoint_id"]], **where(r), "arms": cmp_arms[r["id"]],
         **plain_data(r, COMPARISON_FIELDS), **prov.get(("comparison", r["id"]), {})}
        for r in rows["comparison"]]
    data["adverse_events"] = [
        {"term": text_data(r, "term") or {}, "arm": arm_key[r["arm_id"]],
         "serious": bool(r["serious"]),
         **plain_data(r, ("organ_system", "affected", "at_risk", "events", "vocabulary")),
         **prov.get(("adverse_event", r["id"]), {})}
        for r in rows["adverse_event"]]
    # Validated like any record: nothing proves the rows came from a validated write
    # (SQL by hand, an older version, another tool); it costs ~40% of a lookup.
    return Record.model_validate(data)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _provenance(rows: list[dict[str, Any]], source_key: dict[int, str]
                ) -> dict[tuple[str, int], dict[str, Any]]:
    """(entity, id) -> {"provenance": ..., "field_provenance": {...}}."""
    out: dict[tuple[str, int], dict[str, Any]] = defaultdict(dict)
    for r in rows:
        prov: dict[str, Any] = {"source": source_key[r["source_id"]]}
        for name in ("locator", "quote", "derivation"):
            if r[name] is not None:
                prov[name] = r[name]
        if r["span_start"] is not None:
            prov["span"] = [r["span_start"], r["span_end"]]
        slot = out[(r["entity"], r["entity_id"])]
        if r["field"] is None:
            slot["provenance"] = prov
        else:
            slot.setdefault("field_provenance", {})[r["field"]] = prov
    return out


def _interventions(rows: Rows, arm_key: dict[int, str],
                   prov: dict[tuple[str, int], dict[str, Any]]) -> list[dict[str, Any]]:
    links = defaultdict(list)
    for r in rows["intervention_arm"]:
        links[r["intervention_id"]].append(arm_key[r["arm_id"]])
    regimens = defaultdict(list)
    for r in rows["regimen"]:
        regimens[r["intervention_id"]].append(
            {**regimen_data(r, arm_key.get(r["arm_id"])), **prov.get(("regimen", r["id"]), {})})
    return [_compact({"key": r["key"], "name": text_data(r, "name") or {}, "kind": r["kind"],
                      "description": r["description"],
                      "other_names": json_value(r["other_names"]) or [],
                      "arms": links[r["id"]], "regimens": regimens[r["id"]],
                      **prov.get(("intervention", r["id"]), {})}) for r in rows["intervention"]]


def _endpoints(rows: Rows, pop_key: dict[int, str], prov: dict[tuple[str, int], dict[str, Any]]
               ) -> tuple[list[dict[str, Any]], dict[int, tuple[str, str]]]:
    by_ep = defaultdict(list)
    tp_key: dict[int, tuple[str, str]] = {}
    ep_key = {r["id"]: r["key"] for r in rows["endpoint"]}
    for r in rows["timepoint"]:
        by_ep[r["endpoint_id"]].append(r)
        tp_key[r["id"]] = (ep_key[r["endpoint_id"]], r["key"])
    out = []
    for r in rows["endpoint"]:
        points = by_ep[r["id"]]
        primary = next((p["key"] for p in points if p["is_primary"]), None)
        out.append(_compact({
            "_id": r["id"], **endpoint_data(r), "population": pop_key.get(r["population_id"]),
            "timepoints": [_compact({"key": p["key"], "label": text_data(p, "label") or {},
                                     "value": p["value"], "unit": p["unit"]}) for p in points],
            "primary_timepoint": primary, **prov.get(("endpoint", r["id"]), {})}))
    return out, tp_key
