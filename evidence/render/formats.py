"""Document(s) -> plain text, Markdown, a standalone HTML page, or JSON with the facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from html import escape

from evidence.i18n import html_lang
from evidence.render.compose import Document
from evidence.render.facts import Facts
from evidence.render.writer import DERIVED, MISSING_CLOSE, MISSING_OPEN

SUMMARY_FORMAT = "evidence-summary/1"


def to_text(doc: Document) -> str:
    """Plain text: title, citation, then each section as a heading and `- ` items."""
    lines = [doc.title]
    if doc.citation:
        lines.append(doc.citation)
    for section in doc.sections:
        lines += ["", section.heading] + [f"- {item}" for item in section.items]
    if doc.footnotes:
        lines += ["", *doc.footnotes]
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    # Escape only what Markdown would eat; `p=0.052` and `IL-2` stay readable.
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(doc: Document, level: int = 1) -> str:
    """Markdown: `#` title, citation paragraph, `##` sections with bullet items."""
    hashes = "#" * level
    lines = [f"{hashes} {_md(doc.title)}"]
    if doc.citation:
        lines += ["", _md(doc.citation)]
    for section in doc.sections:
        lines += ["", f"{hashes}# {_md(section.heading)}", ""]
        lines += [f"- {_md(item)}" for item in section.items]
    if doc.footnotes:
        lines += [""] + [_md(note) + "  " for note in doc.footnotes[:-1]] + [_md(doc.footnotes[-1])]
    return "\n".join(lines) + "\n"


_MISSING = re.compile(re.escape(escape(MISSING_OPEN)) + r"(.*?)" + re.escape(escape(MISSING_CLOSE)))

_CSS = """
body { margin: 2rem auto; max-width: 72rem; padding: 0 1rem; line-height: 1.6;
       font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 3rem; }
@media (max-width: 50rem) { .columns { grid-template-columns: 1fr; } }
article:lang(zh) { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
       "PingFang SC", "Microsoft YaHei", sans-serif; }
h1 { font-size: 1.35rem; line-height: 1.4; }
h2 { font-size: 1.05rem; margin-bottom: 0.2rem; border-bottom: 1px solid #ddd; }
ul { padding-left: 1.2rem; margin-top: 0.3rem; }
.citation, .notes { color: #444; font-size: 0.92rem; }
mark.missing { background: #ffe08a; }
sup.derived { font-family: "DejaVu Sans", Arial, sans-serif; }
""".strip()


def _html_text(text: str) -> str:
    marked = _MISSING.sub(r'<mark class="missing">\g<0></mark>', escape(text))
    # A superscript dagger in a Latin font: the CJK font's full-width one wraps alone.
    return marked.replace(DERIVED, f'<sup class="derived">{DERIVED}</sup>')


def _article(doc: Document) -> str:
    parts = [f'<article lang="{html_lang(doc.locale)}">', f"<h1>{_html_text(doc.title)}</h1>"]
    if doc.citation:
        parts.append(f'<p class="citation">{_html_text(doc.citation)}</p>')
    for section in doc.sections:
        parts.append(f'<section class="{section.key}"><h2>{_html_text(section.heading)}</h2><ul>')
        parts += [f"<li>{_html_text(item)}</li>" for item in section.items]
        parts.append("</ul></section>")
    if doc.footnotes:
        parts.append('<div class="notes">' + "".join(
            f"<p>{_html_text(note)}</p>" for note in doc.footnotes) + "</div>")
    parts.append("</article>")
    return "\n".join(parts)


def to_html(docs: list[Document]) -> str:
    """A standalone UTF-8 page; two documents are shown side by side."""
    body = "\n".join(_article(doc) for doc in docs)
    if len(docs) > 1:
        body = f'<div class="columns">\n{body}\n</div>'
    title = " / ".join(escape(doc.title) for doc in docs)
    return (f'<!DOCTYPE html>\n<html lang="{html_lang(docs[0].locale)}">\n<head>\n'
            f'<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n{body}\n"
            f"</body>\n</html>\n")


def _json_default(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(docs: list[Document], facts: Facts) -> str:
    """JSON: each language's summary (sections, text) and the facts it was made from."""
    summaries = {
        doc.locale: {
            "title": doc.title,
            "citation": doc.citation,
            "sections": [dataclasses.asdict(s) for s in doc.sections],
            "footnotes": doc.footnotes,
            "missing_terms": [dataclasses.asdict(m) for m in doc.missing],
            "text": to_text(doc),
        }
        for doc in docs
    }
    data = {"format": SUMMARY_FORMAT, "summaries": summaries, "facts": dataclasses.asdict(facts)}
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"
