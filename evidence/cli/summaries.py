"""Bilingual summaries: `summary`, `export summaries`, `glossary ...` and `i18n status`."""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evidence.cli.output import CurationStatus, OutputFormat, emit, message

if TYPE_CHECKING:
    from evidence.glossary import Glossary
    from evidence.records import Record
    from evidence.render import RenderResult


class Lang(StrEnum):
    en = "en"
    zh = "zh"
    both = "both"


class SummaryFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    html = "html"
    json = "json"


SUFFIX = {"text": ".txt", "markdown": ".md", "html": ".html", "json": ".json"}
LangOption = Annotated[Lang, typer.Option(
    "--lang", "-l", help="en, zh (also zh-CN, zh_Hans ...), or both.",
    parser=lambda v: Lang.both if v == "both" else Lang.en if v.lower().startswith("en")
    else Lang.zh if v.lower().startswith("zh") else Lang(v))]
StrictOption = Annotated[bool, typer.Option(
    "--strict", help="Exit 1 when a term has no Chinese translation.")]


def _render(record: Record, lang: Lang, fmt: SummaryFormat, glossary: Glossary) -> RenderResult:
    from evidence.render import render_both, render_summary

    if lang is Lang.both:
        return render_both(record, fmt.value, glossary=glossary)
    return render_summary(record, lang.value, fmt.value, glossary=glossary)


def _report_missing(result: RenderResult, label: str) -> int:
    for term in result.missing_terms:
        message(f"Untranslated: {label}: {term.lang}: {term.kind}: {term.text}")
    return len(result.missing_terms)


def summary(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="Registration ID, PMID, DOI or id.")],
    lang: LangOption = Lang.both,
    fmt: Annotated[SummaryFormat, typer.Option("--format", "-f", help="Output format.")]
    = SummaryFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
    strict: StrictOption = False,
) -> None:
    """Write a trial's summary in English, Chinese or both, from its structured fields.

    Values are printed as the source printed them; a derived count is marked †.
    A term with no Chinese (record or glossary) is shown as ⟦term⟧ and reported.

    Example: evidence summary NCT02932137 --lang zh --format markdown
    """
    from evidence.glossary_store import load_glossary
    from evidence.reader import RawDB, load_record, resolve_trial_id

    with RawDB(str(ctx.obj.url)) as db:
        record = load_record(db, resolve_trial_id(db, ident))
        glossary = load_glossary(db)
    result = _render(record, lang, fmt, glossary)
    if output is None:
        sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
    else:
        output.write_text(result.text, encoding="utf-8")
        message(f"Wrote {output}")
    if _report_missing(result, record.label()) and strict:
        raise typer.Exit(1)


def _file_stem(record: Record, trial_id: int) -> str:
    label = record.registrations[0].identifier if record.registrations else f"trial-{trial_id}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label)


def _index(entries: list[dict[str, Any]], fmt: SummaryFormat) -> tuple[str, str]:
    if fmt is SummaryFormat.json:
        import orjson

        return "index.json", orjson.dumps(entries, option=orjson.OPT_INDENT_2).decode() + "\n"
    if fmt is SummaryFormat.html:
        from html import escape

        items = "\n".join(f'<li><a href="{escape(e["file"])}">{escape(e["trial"])}</a> '
                          f'{escape(e["title"])}</li>' for e in entries)
        return "index.html", ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                              f"<title>Trial summaries</title></head><body><ul>\n{items}\n"
                              "</ul></body></html>\n")
    lines = [f"- [{e['trial']}]({e['file']}) {e['title']}" for e in entries]
    return ("index.md" if fmt is SummaryFormat.markdown else "index.txt"), "\n".join(lines) + "\n"


def export_summaries(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")],
    lang: LangOption = Lang.both,
    fmt: Annotated[SummaryFormat, typer.Option("--format", "-f", help="File format.")]
    = SummaryFormat.markdown,
    condition: Annotated[str | None, typer.Option(help="Condition contains.")] = None,
    intervention: Annotated[str | None, typer.Option(help="Intervention contains.")] = None,
    status: Annotated[CurationStatus | None, typer.Option(help="Curation status.")] = None,
    strict: StrictOption = False,
) -> None:
    """Write one summary file per trial plus an index, with a progress bar.

    Example: evidence export summaries --status verified --format html -o site/
    """
    from rich.progress import track

    from evidence.glossary_store import load_glossary
    from evidence.queries import list_trials
    from evidence.reader import RawDB, load_record

    entries: list[dict[str, Any]] = []
    missing = 0
    with RawDB(str(ctx.obj.url)) as db:
        glossary = load_glossary(db)
        out_dir.mkdir(parents=True, exist_ok=True)  # only once the database answered
        trials = list_trials(db, condition=condition, intervention=intervention,
                             status=status.value if status else None)
        console = _stderr_console()
        for row in track(trials, description="summaries", transient=True, console=console,
                         disable=not console.is_terminal):
            record = load_record(db, int(row["id"]))
            result = _render(record, lang, fmt, glossary)
            name = _file_stem(record, int(row["id"])) + SUFFIX[fmt.value]
            (out_dir / name).write_text(result.text, encoding="utf-8")
            missing += _report_missing(result, record.label())
            entries.append({"trial": record.label(), "file": name, "title": row["title"],
                            "untranslated": len(result.missing_terms)})
    index_name, index_text = _index(entries, fmt)
    (out_dir / index_name).write_text(index_text, encoding="utf-8")
    message(f"Wrote {len(entries)} summaries and {index_name} to {out_dir}")
    if missing and strict:
        raise typer.Exit(1)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


# --- glossary ---------------------------------------------------------------------------

glossary_app = typer.Typer(help="The curated English -> Chinese glossary that fills gaps.\n\n"
                                "Example: evidence glossary add \"lupus nephritis\" 狼疮肾炎",
                           no_args_is_help=True)


def _write(ctx: typer.Context, work: Any) -> Any:
    from evidence.db import connect_checked

    engine = connect_checked(str(ctx.obj.url))
    with engine.begin() as conn:
        result = work(conn)
    engine.dispose()
    return result


@glossary_app.command("add")
def glossary_add(
    ctx: typer.Context,
    en: Annotated[str, typer.Argument(help="English term.")],
    zh: Annotated[str, typer.Argument(help="Chinese term.")],
    domain: Annotated[str | None, typer.Option(help="condition, drug, endpoint, ...")] = None,
    replace: Annotated[bool, typer.Option(help="Replace an existing translation.")] = False,
) -> None:
    """Add (or with --replace, change) one term.

    Example: evidence glossary add "complete remission" 完全缓解 --domain endpoint
    """
    from evidence.glossary import GlossaryEntry
    from evidence.glossary_store import upsert_terms

    counts = _write(ctx, lambda conn: upsert_terms(
        conn=conn, entries=[GlossaryEntry(en, zh, domain)], replace=replace))
    message(", ".join(f"{v} {k}" for k, v in counts.items()))


@glossary_app.command("list")
def glossary_list(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
    = OutputFormat.table,
) -> None:
    """List every term.

    Example: evidence glossary list --format csv
    """
    from evidence.glossary_store import load_glossary
    from evidence.reader import RawDB

    with RawDB(str(ctx.obj.url)) as db:
        glossary = load_glossary(db)
    rows = [{"en": e.en, "zh": e.zh, "domain": e.domain} for e in glossary]
    emit(rows, ("en", "zh", "domain"), fmt, title="Glossary")


@glossary_app.command("import")
def glossary_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A .csv (columns en,zh,domain) or .yaml file.")],
    replace: Annotated[bool, typer.Option(help="Replace existing translations.")] = False,
) -> None:
    """Import terms from a CSV or YAML file, all or nothing.

    Example: evidence glossary import terms.csv
    """
    from evidence.glossary import Glossary
    from evidence.glossary_store import upsert_terms

    entries = list(Glossary.load(path))
    counts = _write(ctx, lambda conn: upsert_terms(conn=conn, entries=entries, replace=replace))
    message(f"{path}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@glossary_app.command("export")
def glossary_export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Write to this .csv or .yaml file.")],
) -> None:
    """Export every term to a CSV or YAML file.

    Example: evidence glossary export terms.yaml
    """
    from evidence.glossary_store import load_glossary
    from evidence.reader import RawDB

    with RawDB(str(ctx.obj.url)) as db:
        glossary = load_glossary(db)
    glossary.save(path)
    message(f"Wrote {len(glossary)} terms to {path}")


# --- i18n status --------------------------------------------------------------------------

i18n_app = typer.Typer(help="Translation status of the summary catalogs and the glossary.\n\n"
                            "Example: evidence i18n status", no_args_is_help=True)


@i18n_app.command("status")
def i18n_status(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
    = OutputFormat.table,
) -> None:
    """Per language: messages translated / total, and glossary coverage of the database's terms.

    Example: evidence i18n status --format json
    """
    from evidence.glossary_store import load_glossary
    from evidence.i18n_status import catalog_status, term_coverage
    from evidence.reader import RawDB

    rows = catalog_status()
    with RawDB(str(ctx.obj.url)) as db:
        rows.append(term_coverage(db, load_glossary(db)))
    emit(rows, ("what", "language", "translated", "total", "missing"), fmt, title="i18n status")


def register(app: typer.Typer) -> None:
    app.command()(summary)
    export_app = typer.Typer(help="Export many trials at once.\n\n"
                                  "Example: evidence export summaries -o out/", no_args_is_help=True)
    export_app.command("summaries")(export_summaries)
    app.add_typer(export_app, name="export")
    app.add_typer(glossary_app, name="glossary")
    app.add_typer(i18n_app, name="i18n")
