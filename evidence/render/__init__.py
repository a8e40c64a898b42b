"""Bilingual (English / Simplified Chinese) trial summaries rendered from a Record.

    result = render_summary(record, "zh", "markdown", glossary=glossary)
    result.text           # the summary
    result.missing_terms  # terms shown as ⟦term⟧ because nothing translated them

Data flows one way: Record -> Facts (build.py, no language) -> Document per locale
(compose.py, through the gettext catalogs under locales/) -> text, markdown, html or
json (formats.py). Numbers the source printed are copied from `reported`; a number
the curator derived is followed by †, explained in a footnote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from evidence.errors import EvidenceError
from evidence.i18n import LOCALES, normalize_lang
from evidence.render.build import build_facts
from evidence.render.compose import Document, compose
from evidence.render.facts import Facts
from evidence.render.formats import to_html, to_json, to_markdown, to_text
from evidence.render.writer import MissingTerm, Writer

if TYPE_CHECKING:
    from evidence.glossary import Glossary
    from evidence.records import Record

FORMATS = ("text", "markdown", "html", "json")

__all__ = ["FORMATS", "MissingTerm", "RenderResult", "build_facts", "render_both",
           "render_summary"]


@dataclass(frozen=True)
class RenderResult:
    """The rendered summary, the terms left untranslated, and the facts it states."""

    text: str
    missing_terms: tuple[MissingTerm, ...]
    facts: Facts


def _check_format(fmt: str) -> str:
    key = fmt.strip().lower()
    key = {"md": "markdown", "txt": "text"}.get(key, key)
    if key not in FORMATS:
        raise EvidenceError(f"unknown summary format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return key


def _documents(facts: Facts, locales: tuple[str, ...], glossary: Glossary | None) -> list[Document]:
    return [compose(facts, Writer(locale, glossary)) for locale in locales]


def _render(record: Record, locales: tuple[str, ...], fmt: str,
            glossary: Glossary | None) -> RenderResult:
    fmt = _check_format(fmt)
    facts = build_facts(record)
    docs = _documents(facts, locales, glossary)
    if fmt == "text":
        text = "\n".join(to_text(doc) for doc in docs)
    elif fmt == "markdown":
        text = "\n".join(to_markdown(doc) for doc in docs)
    elif fmt == "html":
        text = to_html(docs)
    else:
        text = to_json(docs, facts)
    missing = tuple(m for doc in docs for m in doc.missing)
    return RenderResult(text, missing, facts)


def render_summary(record: Record, lang: str = "en", fmt: str = "text",
                   glossary: Glossary | None = None) -> RenderResult:
    """One language's summary (`lang` like en, zh, zh-CN) as text, markdown, html or json."""
    return _render(record, (normalize_lang(lang),), fmt, glossary)


def render_both(record: Record, fmt: str = "text",
                glossary: Glossary | None = None) -> RenderResult:
    """English and Chinese together: one after the other, side by side in html, both in json."""
    return _render(record, LOCALES, fmt, glossary)
