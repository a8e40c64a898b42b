"""The glossary table: curated English -> Chinese terms shared by everyone on a database."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from evidence.glossary import Glossary, GlossaryEntry, GlossaryError, term_key
from evidence.reader import RawDB

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def load_glossary(db: RawDB) -> Glossary:
    """Every term in the database as a Glossary (fast: plain SQL)."""
    rows = db.all("SELECT term_en, term_zh, domain FROM glossary_term ORDER BY term_key")
    return Glossary(GlossaryEntry(r["term_en"], r["term_zh"], r["domain"]) for r in rows)


def upsert_terms(*, conn: Connection, entries: list[GlossaryEntry],
                 replace: bool = False) -> dict[str, int]:
    """Add terms; an existing term with another translation is refused unless `replace`."""
    from sqlalchemy import insert, select, update

    from evidence.models import GlossaryTerm, table_of

    table = table_of(GlossaryTerm)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    now = dt.datetime.now(dt.UTC)
    for entry in entries:
        if not entry.en.strip() or not entry.zh.strip():
            raise GlossaryError(f"glossary entry needs both en and zh: {entry.en!r}")
        key = term_key(entry.en)
        row = conn.execute(select(table.c.id, table.c.term_zh, table.c.domain)
                           .where(table.c.term_key == key)).first()
        if row is None:
            conn.execute(insert(table).values(term_key=key, term_en=entry.en.strip(),
                                              term_zh=entry.zh.strip(), domain=entry.domain,
                                              updated_at=now))
            counts["added"] += 1
        elif (row.term_zh, row.domain) == (entry.zh.strip(), entry.domain):
            counts["unchanged"] += 1
        elif row.term_zh != entry.zh.strip() and not replace:
            raise GlossaryError(f"{entry.en!r} is already translated as {row.term_zh!r}, not "
                                f"{entry.zh!r} (use --replace to change it)")
        else:
            conn.execute(update(table).where(table.c.id == row.id)
                         .values(term_zh=entry.zh.strip(), domain=entry.domain, updated_at=now))
            counts["updated"] += 1
    return counts
