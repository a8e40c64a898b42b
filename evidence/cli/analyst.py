"""Commands for analysts: `query` (read-only SQL), `search` (full text), `schema-doc`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from evidence.cli.output import OutputFormat, emit, message


class TableFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Language(StrEnum):
    en = "en"
    zh = "zh"


FormatOption = Annotated[TableFormat, typer.Option(
    "--format", "-f", help="Output: table for people, json/csv for scripts, markdown for notes.")]


def _markdown_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def write_markdown(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A GitHub-flavoured Markdown table; pipes and newlines in cells escaped."""
    lines = ["| " + " | ".join(_markdown_cell(c) for c in columns) + " |",
             "|" + "|".join(" --- " for _ in columns) + "|"]
    lines += ["| " + " | ".join(_markdown_cell(r.get(c)) for c in columns) + " |" for r in rows]
    sys.stdout.write("\n".join(lines) + "\n")


def _emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: TableFormat) -> None:
    if fmt is TableFormat.markdown:
        write_markdown(rows, columns)
    else:
        emit(rows, columns, OutputFormat(fmt.value))


def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(metavar="SQL", help="One read-only statement; "
                                                           ":name marks a parameter.")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", metavar="NAME=VALUE",
        help="Bind :NAME to VALUE (text; the database converts it). Repeatable.")] = None,
    timeout: Annotated[float, typer.Option(
        min=0.001, help="Stop the query after this many seconds.")] = 30.0,
    fmt: FormatOption = TableFormat.table,
) -> None:
    """Run one read-only SQL statement; writes, DDL, ATTACH and state-changing PRAGMAs are refused.

    The flat views v_trials, v_results, v_comparisons, v_regimens and
    v_adverse_events need no joins; docs/schema.md describes every table and view.

    Example: evidence query "SELECT * FROM v_results WHERE n > :n" -p n=20
    """
    from evidence.sqlquery import parse_params, run_query

    result = run_query(str(ctx.obj.url), sql, parse_params(param or []), timeout=timeout)
    _emit(result.rows, result.columns, fmt)
    message(f"{len(result.rows)} row{'' if len(result.rows) == 1 else 's'}")


def search(
    ctx: typer.Context,
    text: Annotated[list[str], typer.Argument(
        metavar="TEXT...", help='Words or Chinese text; every term must match; "a phrase".')],
    lang: Annotated[Language | None, typer.Option(
        "--lang", help="Only English or only Chinese text (default: both).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many trials.")] = 20,
    fmt: FormatOption = TableFormat.table,
) -> None:
    """Find trials by title, condition, agent, endpoint or abstract, in English or Chinese.

    Ranked by where the terms occur: title, then agent and condition, endpoint, abstract.

    Example: evidence search 狼疮肾炎
    """
    from evidence.reader import RawDB
    from evidence.search import search as run_search

    with RawDB(str(ctx.obj.url)) as db:
        hits = run_search(db, " ".join(text), lang=lang.value if lang else None, limit=limit)
    rows = [{"rank": i, "trial_id": h.trial_id, "registration_ids": h.registration_ids,
             "title": h.title, "matched": ", ".join(h.matched), "score": h.score,
             "snippet": h.snippet} for i, h in enumerate(hits, 1)]
    _emit(rows, ("rank", "registration_ids", "title", "matched", "snippet"), fmt)
    message(f"{len(hits)} trial{'' if len(hits) == 1 else 's'} found")


def schema_doc(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write here instead of stdout, e.g. docs/schema.md.")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Exit 1 if --output (default docs/schema.md) differs from what the "
                        "models give.")] = False,
) -> None:
    """Write the schema documentation (tables, columns, views, ER diagram) from the models.

    Example: evidence schema-doc --output docs/schema.md
    """
    from evidence.schemadoc import render_schema_doc

    text = render_schema_doc()
    if check and output is None:
        output = Path("docs/schema.md")  # what --check means without -o: the committed docs
    if output is None:
        sys.stdout.write(text)
        return
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            message(f"Error: {output} is out of date; run evidence schema-doc --output {output}")
            raise typer.Exit(1)
        message(f"{output} is up to date.")
        return
    output.write_text(text, encoding="utf-8")
    message(f"Wrote {output}.")


def register(app: typer.Typer) -> None:
    app.command()(query)
    app.command()(search)
    app.command("schema-doc")(schema_doc)
