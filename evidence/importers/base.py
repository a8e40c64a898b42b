"""What every importer yields: one item per study or article, a record or an error."""

from __future__ import annotations

from dataclasses import dataclass, field

from evidence.errors import RecordError
from evidence.records import Publication, Record


@dataclass(slots=True)
class ImportItem:
    """One study/article read from a source.

    Exactly one of `record`, `publication` or `error` is set. `locator` names the
    file and the place inside it (`studies.zip:NCT0123.json`, `page.json#studies[3]`).
    `notes` are things the importer could not map and reports instead of guessing.
    """

    locator: str
    record: Record | None = None
    publication: Publication | None = None  # an article that is not a trial report
    error: RecordError | None = None
    notes: list[str] = field(default_factory=list)
