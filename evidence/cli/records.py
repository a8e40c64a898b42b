"""Commands on trial records: init, import, list, show, export-record, schema, demo."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evidence.cli.output import CurationStatus, OutputFormat, emit, message, write_json

if TYPE_CHECKING:
    from evidence.curation import Actor
    from evidence.importing import ImportReport

FormatOption = Annotated[OutputFormat, typer.Option(
    "--format", "-f", help="Output: table for people, json or csv for scripts.")]


class SourceFormat(StrEnum):
    record = "record"
    ctgov = "ctgov"
    ctgov_xml = "ctgov-xml"
    pubmed = "pubmed"
    abstract = "abstract"


class RecordFormat(StrEnum):
    yaml = "yaml"
    json = "json"


def _url(ctx: typer.Context) -> str:
    return str(ctx.obj.url)


def init(ctx: typer.Context) -> None:
    """Create the database, or upgrade it to the latest schema.

    Example: evidence --db trials.db init
    """
    from evidence.db import current_revision, make_engine, safe_url, upgrade

    url = _url(ctx)
    upgrade(url)
    engine = make_engine(url)
    message(f"Database {safe_url(url)} is at schema revision {current_revision(engine)}.")
    engine.dispose()


# A registry-scale import lists this many items; past it, only failed ones and the counts.
LISTED_ITEMS = 10_000
NOTED_ITEMS = 1_000  # items whose notes are printed; later notes are counted


@dataclass(frozen=True, slots=True)
class _ImportRequest:
    paths: list[Path]
    fmt: str | None
    dry_run: bool
    as_extraction: bool
    jobs: int | None
    recheck: bool


def _progress_import(url: str, request: _ImportRequest, actor: Actor) -> ImportReport:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from evidence.db import connect_checked
    from evidence.importing import ItemOutcome, import_paths

    engine = connect_checked(url)
    console = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
    seen = [0, 0]  # items, notes not printed

    def show(outcome: ItemOutcome) -> None:
        seen[0] += 1
        if outcome.outcome == "failed":
            console.print(f"Error: {outcome.message}")
        for change in outcome.changes:
            console.print(f"Changed: {outcome.label}: {change}")
        if seen[0] > NOTED_ITEMS:
            seen[1] += len(outcome.notes)
            return
        for note in outcome.notes:
            console.print(f"Note: {outcome.locator}: {note}")

    def run(on_item: Callable[[ItemOutcome], None]) -> ImportReport:
        return import_paths(engine, request.paths, fmt=request.fmt, dry_run=request.dry_run,
                            on_item=on_item, actor=actor, as_extraction=request.as_extraction,
                            jobs=request.jobs, recheck=request.recheck, keep=LISTED_ITEMS)

    # The bar is for people: not drawn when stderr is a pipe or a log file.
    many = console.is_terminal and (len(request.paths) > 1 or any(
        p.is_dir() or p.suffix.lower() == ".zip" for p in request.paths))
    try:
        if not many:
            report = run(show)
        else:
            with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.description}"), console=console,
                          transient=True) as progress:
                task = progress.add_task("", total=None)

                def step(outcome: ItemOutcome) -> None:
                    show(outcome)
                    progress.update(task, advance=1, description=outcome.label)

                report = run(step)
    except KeyboardInterrupt:
        # Typer would exit 130 without a word. Outcomes are reported after their commit,
        # so what was reported is stored; the signal can also land between a commit and
        # its report, so the rest may be stored too (importing again skips what is).
        done = "nothing was stored (dry run)" if request.dry_run else \
            "those are stored as reported; import again for the rest"
        console.print(f"Interrupted after {seen[0]:,} item{'' if seen[0] == 1 else 's'}: "
                      f"{done}.")
        raise typer.Exit(130) from None
    finally:
        engine.dispose()
    if seen[1]:
        console.print(f"Note: {seen[1]:,} more notes on items after the first "
                      f"{NOTED_ITEMS:,} not shown")
    if report.omitted:
        console.print(f"Note: {report.omitted:,} items imported without failure are not listed "
                      f"(only the first {LISTED_ITEMS:,} are, and every failed one)")
    return report


def import_(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Record files (YAML/JSON), ClinicalTrials.gov "
                                                     "JSON/XML, PubMed XML, abstract text; "
                                                     "folders and zips too.")],
    source: Annotated[SourceFormat | None, typer.Option(
        "--from", help="Source format (default: detected from the content).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change; "
                                                            "write nothing.")] = False,
    as_extraction: Annotated[bool, typer.Option(
        "--as-extraction", help="Store as your own extraction of the trial, for `evidence diff` "
                                "and `evidence adjudicate`; the trial itself is not changed.")]
    = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=0, help="Worker processes mapping registry files (default: one per "
                                    "CPU; 0: none).")] = None,
    recheck: Annotated[bool, typer.Option(
        "--recheck", help="Map registry files again even if the same file was imported "
                          "before (default: skip them, reported unchanged).")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Validate and import trial records or sources; a bad item fails alone.

    Importing the same record twice changes nothing; an edited record updates the
    trial it shares a registration ID with. ClinicalTrials.gov folders and zips
    (the full registry download too) are mapped in worker processes and written in
    batches; a file imported before, unchanged, is skipped without parsing.
    Exit status 1 if any item failed.

    Example: evidence import evidence/examples/seed-il2-sle.yaml

    Example: evidence import --jobs 2 ctg-studies.json.zip
    """
    request = _ImportRequest(paths, source.value if source else None, dry_run, as_extraction,
                             jobs, recheck)
    report = _progress_import(_url(ctx), request, ctx.obj.actor())
    rows = [{"item": i.locator, "outcome": i.outcome, "trial": i.label, "id": i.trial_id,
             "kind": i.kind, "message": i.message, "changes": i.changes, "notes": i.notes}
            for i in report.items]
    emit(rows, ("item", "outcome", "trial", "id"), fmt, title="Import")
    prefix = "Dry run, nothing written: " if dry_run else ""
    message(prefix + report.summary())
    if report.failed:
        raise typer.Exit(1)


def list_(
    ctx: typer.Context,
    condition: Annotated[str | None, typer.Option(help="Condition contains (en or zh).")] = None,
    intervention: Annotated[str | None, typer.Option(help="Intervention contains.")] = None,
    registry_id: Annotated[str | None, typer.Option(help="Registration ID contains.")] = None,
    status: Annotated[CurationStatus | None, typer.Option(help="Curation status.")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only trials with check findings "
                                                            "(see `evidence check`).")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List trials, optionally filtered.

    Example: evidence list --condition lupus --format csv
    """
    from evidence.queries import LIST_COLUMNS, list_trials
    from evidence.reader import RawDB

    with RawDB(_url(ctx)) as db:
        rows = list_trials(db, condition=condition, intervention=intervention,
                           registry_id=registry_id, status=status.value if status else None,
                           flagged=flagged)
    emit(rows, LIST_COLUMNS, fmt, title="Trials")


def _load(url: str, ident: str) -> tuple[Any, dict[str, Any]]:
    from evidence.reader import RawDB, load_record, resolve_trial_id, trial_meta

    with RawDB(url) as db:
        trial_id = resolve_trial_id(db, ident)
        return load_record(db, trial_id), trial_meta(db, trial_id)


def show(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="Registration ID, PMID, DOI or "
                                                            "database id.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show a whole trial record: a readable report, or json / csv (path,value rows).

    Example: evidence show NCT02932137 --format json
    """
    from evidence.recordio import record_to_data

    record, meta = _load(_url(ctx), ident)
    if fmt is OutputFormat.json:
        write_json({"database": meta, **record_to_data(record)})
    elif fmt is OutputFormat.csv:
        from evidence.cli.output import write_csv
        from evidence.report import flatten

        write_csv([{"path": p, "value": v} for p, v in flatten(record_to_data(record))],
                  ("path", "value"))
    else:
        from evidence.report import render_report

        sys.stdout.write(render_report(record, meta))


def export_record(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="Registration ID, PMID, DOI or id.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file "
                                                                      "instead of stdout.")] = None,
    fmt: Annotated[RecordFormat, typer.Option("--format", "-f", help="Record file format.")]
    = RecordFormat.yaml,
) -> None:
    """Write a trial back as a record file (the format `evidence import` reads).

    Example: evidence export-record NCT02465580 -o il2-sle.yaml
    """
    from evidence.recordio import dump_record

    record, meta = _load(_url(ctx), ident)
    # The version it was exported from: importing the edited file refuses it if someone
    # changed the trial in between (optimistic locking).
    text = dump_record(record.model_copy(update={"base_version": meta["version"]}), fmt=fmt.value)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        message(f"Wrote {output}")


def schema() -> None:
    """Print the JSON Schema of the record format (evidence-record/1).

    Example: evidence schema > evidence-record.schema.json
    """
    from evidence.records import json_schema

    write_json(json_schema())


def demo(ctx: typer.Context) -> None:
    """The main job on the embedded default: create the database, import the seed trial,
    and print its summary in English and Chinese.

    Example: evidence demo
    """
    from evidence.db import connect_checked, safe_url, upgrade
    from evidence.importing import import_paths
    from evidence.recordio import bundled_seed_path

    url = _url(ctx)
    upgrade(url)
    engine = connect_checked(url)
    report = import_paths(engine, [bundled_seed_path()], actor=ctx.obj.actor())
    engine.dispose()
    message(f"Database {safe_url(url)}: seed trial {report.summary()}")
    if report.failed:
        raise typer.Exit(1)
    from evidence.glossary_store import load_glossary
    from evidence.reader import RawDB, load_record, resolve_trial_id
    from evidence.render import render_both

    with RawDB(url) as db:
        record = load_record(db, resolve_trial_id(db, "NCT02932137"))
        result = render_both(record, "text", glossary=load_glossary(db))
    sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
    message("Next: evidence show NCT02932137 | evidence check NCT02932137 | "
            "evidence summary NCT02932137 --format html -o seed.html")


def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Target database URL or SQLite path; must be "
                                                 "new or empty.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Copy the whole database to another one (e.g. SQLite to PostgreSQL), verified by
    row counts and a content checksum per table.

    Example: evidence --db evidence.db copy --to postgresql+psycopg://curator@db/evidence
    """
    from evidence.config import database_url
    from evidence.copying import copy_database
    from evidence.db import safe_url

    target = database_url(to)
    report = copy_database(_url(ctx), target,
                           on_table=lambda name, n: message(f"copied {name}: {n} rows"))
    rows = [{"table": t.table, "rows": t.rows_target, "checksum": t.checksum_target[:16],
             "verified": t.ok} for t in report]
    emit(rows, ("table", "rows", "checksum", "verified"), fmt, title="Copy")
    message(f"Copied {sum(t.rows_target for t in report)} rows in {len(report)} tables to "
            f"{safe_url(target)}; row counts and checksums match.")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command("import")(import_)
    app.command("list")(list_)
    app.command()(show)
    app.command("export-record")(export_record)
    app.command()(schema)
    app.command()(demo)
    app.command()(copy)
