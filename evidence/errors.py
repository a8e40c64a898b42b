"""The few exceptions the library raises; the CLI turns each into one `Error: ...` line."""

from __future__ import annotations


class EvidenceError(Exception):
    """Base class: a problem the user can fix (bad input, unknown ID, refused change)."""


class RecordError(EvidenceError):
    """A record (file or parsed source) is invalid; names the file, record and field path."""

    def __init__(self, message: str, *, file: str | None = None, record: str | None = None,
                 field: str | None = None) -> None:
        self.message = message
        self.file = file
        self.record = record
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [part for part in (self.file, self.record) if part]
        prefix = ": ".join(where)
        located = f"{self.field}: {self.message}" if self.field else self.message
        return f"{prefix}: {located}" if prefix else located


class NotFound(EvidenceError):
    """No trial matches the given registration ID, PMID, DOI or number."""


class SourceFormatError(RecordError):
    """A source file (ClinicalTrials.gov, PubMed, abstract) cannot be parsed."""
