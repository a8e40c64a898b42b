"""A curated English -> Chinese glossary of trial terms, used to fill gaps in records.

Pure and in memory: the renderer takes a `Glossary` as an optional argument; the
database table that will persist it is separate. Lookups are case-insensitive and
ignore runs of whitespace, so "Lupus  Nephritis" finds "lupus nephritis".
Files are CSV (columns en, zh, domain) or YAML (a list of {en, zh, domain}).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from evidence.errors import EvidenceError

FIELDS = ("en", "zh", "domain")


class GlossaryError(EvidenceError):
    """A glossary file is malformed, or two entries disagree."""


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    """One term: English, Chinese, and an optional domain (condition, drug, endpoint ...)."""

    en: str
    zh: str
    domain: str | None = None


def term_key(term: str) -> str:
    """The folded form terms are matched on (and the glossary table's unique `term_key`)."""
    return " ".join(term.split()).casefold()


class Glossary:
    """Case-insensitive two-way term lookup."""

    def __init__(self, entries: Iterable[GlossaryEntry] = ()) -> None:
        self._by_en: dict[str, GlossaryEntry] = {}
        self._by_zh: dict[str, GlossaryEntry] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: GlossaryEntry) -> None:
        """Add a term; re-adding the same translation is fine, a different one is an error."""
        if not entry.en.strip() or not entry.zh.strip():
            raise GlossaryError(f"glossary entry needs both en and zh: {entry!r}")
        known = self._by_en.get(term_key(entry.en))
        if known is not None and known.zh != entry.zh:
            raise GlossaryError(
                f"glossary term {entry.en!r} already translated as {known.zh!r}, not {entry.zh!r}")
        self._by_en[term_key(entry.en)] = entry
        self._by_zh.setdefault(term_key(entry.zh), entry)

    def zh(self, en: str) -> str | None:
        """The Chinese for an English term, or None."""
        entry = self._by_en.get(term_key(en))
        return entry.zh if entry else None

    def en(self, zh: str) -> str | None:
        """The English for a Chinese term, or None."""
        entry = self._by_zh.get(term_key(zh))
        return entry.en if entry else None

    def __len__(self) -> int:
        return len(self._by_en)

    def __iter__(self) -> Iterator[GlossaryEntry]:
        return iter(sorted(self._by_en.values(), key=lambda e: (e.domain or "", term_key(e.en))))

    def __contains__(self, en: object) -> bool:
        return isinstance(en, str) and term_key(en) in self._by_en

    # --- files -----------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, object]], *, source: str = "glossary") -> Glossary:
        """Build from mappings with keys en, zh and optional domain."""
        entries = []
        for number, row in enumerate(rows, start=1):
            en, zh, domain = (row.get(name) for name in FIELDS)
            if not isinstance(en, str) or not isinstance(zh, str):
                raise GlossaryError(f"{source}: entry {number}: needs text fields 'en' and 'zh'")
            entries.append(GlossaryEntry(en.strip(), zh.strip(),
                                         str(domain).strip() or None if domain else None))
        return cls(entries)

    @classmethod
    def from_csv_text(cls, text: str, *, source: str = "glossary.csv") -> Glossary:
        """Parse CSV with a header row naming at least en and zh."""
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"en", "zh"} <= set(reader.fieldnames):
            raise GlossaryError(f"{source}: header must name the columns en and zh")
        return cls.from_rows(reader, source=source)

    @classmethod
    def from_yaml_text(cls, text: str, *, source: str = "glossary.yaml") -> Glossary:
        """Parse YAML: a list of {en, zh, domain} mappings."""
        import yaml

        data = yaml.safe_load(text) or []
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise GlossaryError(f"{source}: expected a list of mappings with en and zh")
        return cls.from_rows(data, source=source)

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read a .csv, .yaml or .yml glossary file."""
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".csv":
            return cls.from_csv_text(text, source=str(path))
        if path.suffix.lower() in (".yaml", ".yml"):
            return cls.from_yaml_text(text, source=str(path))
        raise GlossaryError(f"{path}: glossary files are .csv, .yaml or .yml")

    def to_csv_text(self) -> str:
        """CSV with header en,zh,domain, sorted by domain then term."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for entry in self:
            writer.writerow((entry.en, entry.zh, entry.domain or ""))
        return out.getvalue()

    def to_yaml_text(self) -> str:
        """YAML list of {en, zh, domain}, UTF-8 kept readable."""
        import yaml

        rows = [{"en": e.en, "zh": e.zh, **({"domain": e.domain} if e.domain else {})}
                for e in self]
        return yaml.safe_dump(rows, allow_unicode=True, sort_keys=False)

    def save(self, path: Path) -> None:
        """Write as CSV or YAML according to the file's suffix."""
        if path.suffix.lower() == ".csv":
            path.write_text(self.to_csv_text(), encoding="utf-8")
        elif path.suffix.lower() in (".yaml", ".yml"):
            path.write_text(self.to_yaml_text(), encoding="utf-8")
        else:
            raise GlossaryError(f"{path}: glossary files are .csv, .yaml or .yml")
