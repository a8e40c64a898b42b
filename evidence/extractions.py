"""Independent extractions of one trial by different curators, before adjudication."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from evidence.errors import EvidenceError
from evidence.registries import canonical_case

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from evidence.reader import RawDB
    from evidence.records import Record


@dataclass(frozen=True, slots=True)
class StoredExtraction:
    id: int
    curator: str
    record: Record
    submitted_at: str


def trial_key(record: Record) -> str:
    """What extractions of one trial share: its first registration ID, else PMID or DOI."""
    if record.registrations:
        return canonical_case(record.registrations[0].identifier)
    for pub in record.publications:
        if pub.pmid:
            return f"PMID:{pub.pmid}"
        if pub.doi:
            return f"doi:{pub.doi}"
    raise EvidenceError("an extraction needs a registration ID, PMID or DOI to be matched")


def save_extraction(*, conn: Connection, record: Record, curator: str,
                    source_file: str | None) -> Literal["created", "updated", "unchanged"]:
    """Store (or replace) this curator's extraction of the trial; created/updated/unchanged."""
    from sqlalchemy import insert, select, update

    from evidence.crud import content_hash
    from evidence.models import Extraction, table_of
    from evidence.recordio import record_to_data

    table = table_of(Extraction)
    key = trial_key(record)
    digest = content_hash(record)
    row = conn.execute(select(table.c.id, table.c.content_hash).where(
        table.c.trial_key == key, table.c.curator == curator)).first()
    values = {"record": record_to_data(record), "content_hash": digest,
              "source_file": source_file, "submitted_at": dt.datetime.now(dt.UTC)}
    if row is None:
        conn.execute(insert(table).values(trial_key=key, curator=curator, **values))
        return "created"
    if row.content_hash == digest:
        return "unchanged"
    conn.execute(update(table).where(table.c.id == row.id).values(**values))
    return "updated"


def load_extractions(db: RawDB, ident: str) -> list[StoredExtraction]:
    """Every extraction whose trial key, or any registration ID, is `ident`; newest first."""
    from evidence.recordio import record_from_data
    from evidence.rowmap import json_value

    wanted = canonical_case(ident.strip())
    out = []
    for row in db.all("SELECT id, trial_key, curator, record, submitted_at FROM extraction "
                      "ORDER BY submitted_at DESC, id DESC"):
        record = record_from_data(json_value(row["record"]))
        ids = {r.identifier for r in record.registrations} | {row["trial_key"]}
        if wanted in ids:
            out.append(StoredExtraction(row["id"], row["curator"], record,
                                        str(row["submitted_at"])))
    return out


def pick_pair(extractions: list[StoredExtraction], curators: tuple[str, str] | None
              ) -> tuple[StoredExtraction, StoredExtraction]:
    """Two extractions by different curators: the named ones, else the two newest."""
    by_curator: dict[str, StoredExtraction] = {}
    for extraction in extractions:
        by_curator.setdefault(extraction.curator, extraction)
    if curators:
        missing = [c for c in curators if c not in by_curator]
        if missing:
            raise EvidenceError(f"no extraction by {', '.join(missing)} for this trial "
                                f"(found: {', '.join(sorted(by_curator)) or 'none'})")
        return by_curator[curators[0]], by_curator[curators[1]]
    if len(by_curator) < 2:
        raise EvidenceError(f"need extractions by two curators; found "
                            f"{len(by_curator)} ({', '.join(sorted(by_curator)) or 'none'})")
    newest = sorted(by_curator.values(), key=lambda e: (e.submitted_at, e.id), reverse=True)[:2]
    first, second = sorted(newest, key=lambda e: e.curator)
    return first, second


def record_adjudication(*, conn: Connection, trial_id: int, key: str, curator: str,
                        pair: tuple[StoredExtraction, StoredExtraction],
                        decisions: dict[str, Any]) -> None:
    from sqlalchemy import insert

    from evidence.models import Adjudication, table_of

    conn.execute(insert(table_of(Adjudication)).values(
        trial_id=trial_id, trial_key=key, curator=curator, extraction_a_id=pair[0].id,
        extraction_b_id=pair[1].id, decisions=decisions, decided_at=dt.datetime.now(dt.UTC)))
