"""Run the number checks on stored trials and keep their findings up to date."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evidence.reader import RawDB, load_record, resolve_trial_id

if TYPE_CHECKING:
    from evidence.records import Record
    from evidence.stats import Finding


def load_one(url: str, ident: str) -> Record:
    """The record of one trial by any of its identifiers."""
    with RawDB(url) as db:
        return load_record(db, resolve_trial_id(db, ident))


def check_trials(url: str, ident: str | None) -> list[tuple[str, list[Finding]]]:
    """(label, findings) for one trial or, with ident None, every trial; findings are stored."""
    from evidence import crud
    from evidence.db import connect_checked
    from evidence.stats import run_checks

    with RawDB(url) as db:
        ids = ([resolve_trial_id(db, ident)] if ident is not None
               else [int(r["id"]) for r in db.all("SELECT id FROM trial ORDER BY id")])
        records = [(tid, load_record(db, tid)) for tid in ids]
    results = []
    engine = connect_checked(url)
    with engine.begin() as conn:
        for trial_id, record in records:
            findings = run_checks(record)
            crud.replace_findings(conn=conn, trial_id=trial_id, findings=findings)
            results.append((record.label(), findings))
    engine.dispose()
    return results
