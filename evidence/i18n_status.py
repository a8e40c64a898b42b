"""How complete the translations are: catalog messages and the database's terms."""

from __future__ import annotations

from typing import Any

from evidence.glossary import Glossary
from evidence.i18n import LOCALES, po_path
from evidence.reader import RawDB

# (table, English column, Chinese column): the terms a Chinese summary needs.
TERM_COLUMNS = (
    ("condition", "name_en", "name_zh"),
    ("intervention", "name_en", "name_zh"),
    ("endpoint", "name_en", "name_zh"),
    ("arm", "label_en", "label_zh"),
    ("population", "label_en", "label_zh"),
    ("adverse_event", "term_en", "term_zh"),
)


def catalog_status() -> list[dict[str, Any]]:
    """One row per locale: non-fuzzy translated messages / all messages of its .po."""
    from babel.messages.pofile import read_po

    rows = []
    for locale in LOCALES:
        # English is the source language: an empty msgstr means "use the msgid".
        source_language = locale == LOCALES[0]
        with po_path(locale).open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        messages = [m for m in catalog if m.id]
        done = [m for m in messages if source_language or (
            m.string and not m.fuzzy and (not isinstance(m.string, tuple) or all(m.string)))]
        missing = [str(m.id if isinstance(m.id, str) else m.id[0]) for m in messages
                   if m not in done]
        rows.append({"what": "catalog messages", "language": locale, "translated": len(done),
                     "total": len(messages), "missing": missing[:10]})
    return rows


def term_coverage(db: RawDB, glossary: Glossary) -> dict[str, Any]:
    """Distinct English terms in the database with a Chinese form (record or glossary)."""
    terms: dict[str, bool] = {}
    for table, en, zh in TERM_COLUMNS:
        for row in db.all(f"SELECT DISTINCT {en} AS en, {zh} AS zh FROM {table} "
                          f"WHERE {en} IS NOT NULL"):
            covered = row["zh"] is not None or glossary.zh(row["en"]) is not None
            terms[row["en"]] = terms.get(row["en"], False) or covered
    missing = sorted(term for term, covered in terms.items() if not covered)
    return {"what": "terms in database (record zh or glossary)", "language": "zh_Hans_CN",
            "translated": len(terms) - len(missing), "total": len(terms), "missing": missing[:10]}
