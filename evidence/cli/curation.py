"""Team curation commands: review, reopen, delete, history, diff, adjudicate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from evidence.cli.output import OutputFormat, emit, message, write_json

IdArgument = Annotated[str, typer.Argument(metavar="ID", help="Registration ID, PMID, DOI or id.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]


def _in_transaction(ctx: typer.Context, ident: str, work: Any) -> Any:
    from evidence.db import connect_checked
    from evidence.reader import RawDB, resolve_trial_id

    engine = connect_checked(str(ctx.obj.url))
    try:
        with engine.begin() as conn:
            trial_id = resolve_trial_id(RawDB.inside(conn), ident)
            return work(conn, trial_id)
    finally:
        engine.dispose()


def review(
    ctx: typer.Context,
    ident: IdArgument,
    approve: Annotated[bool, typer.Option("--approve", help="draft -> reviewed, or "
                                                            "reviewed -> verified.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="reviewed -> draft.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (required with --reject).")] = None,
) -> None:
    """Move a trial through the workflow: draft -> reviewed -> verified.

    The curator who last edited a trial cannot verify it.

    Example: evidence --curator alice review NCT02932137 --approve
    """
    from evidence.curation import review as do_review

    if approve == reject:
        raise typer.BadParameter("give exactly one of --approve or --reject")
    state = _in_transaction(ctx, ident, lambda conn, tid: do_review(
        conn=conn, trial_id=tid, approve=approve, actor=ctx.obj.actor(), reason=reason))
    message(f"{state['label']}: {state['curation_status']} -> {state['status_after']} "
            f"(version {state['version'] + 1}, by {ctx.obj.curator})")


def reopen(
    ctx: typer.Context,
    ident: IdArgument,
    reason: Annotated[str, typer.Option(help="Why the verified trial must change.")],
) -> None:
    """Reopen a verified trial for editing (it goes back to draft).

    Example: evidence reopen NCT02932137 --reason "erratum published"
    """
    from evidence.curation import reopen as do_reopen

    state = _in_transaction(ctx, ident, lambda conn, tid: do_reopen(
        conn=conn, trial_id=tid, actor=ctx.obj.actor(), reason=reason))
    message(f"{state['label']}: verified -> draft (version {state['version'] + 1})")


def delete(
    ctx: typer.Context,
    ident: IdArgument,
    reason: Annotated[str, typer.Option(help="Why the trial is deleted.")],
) -> None:
    """Delete a trial; its history stays in the audit trail.

    Example: evidence delete NCT00000001 --reason "duplicate entry"
    """
    from evidence.curation import delete_trial

    label = _in_transaction(ctx, ident, lambda conn, tid: delete_trial(
        conn=conn, trial_id=tid, actor=ctx.obj.actor(), reason=reason))
    message(f"Deleted {label}")


HISTORY_COLUMNS = ("at", "action", "curator", "version", "status", "changes", "reason", "command")


def history(ctx: typer.Context, ident: IdArgument, fmt: FormatOption = OutputFormat.table) -> None:
    """Show every recorded change to a trial: who, when, which command, what changed.

    Example: evidence history NCT02932137 --format json
    """
    from evidence.errors import NotFound
    from evidence.reader import RawDB, resolve_trial_id
    from evidence.registries import canonical_case
    from evidence.rowmap import json_value

    with RawDB(str(ctx.obj.url)) as db:
        try:
            trial_id = resolve_trial_id(db, ident)
        except NotFound:
            # A deleted or absorbed trial: its history stays, found by old id or label.
            gone = db.all("SELECT trial_id FROM audit_event WHERE trial_id = :i OR "
                          "trial_label = :l ORDER BY id DESC LIMIT 1",
                          i=int(ident) if ident.isdigit() else -1, l=canonical_case(ident))
            if not gone:
                raise
            trial_id = int(gone[0]["trial_id"])
        rows = db.all("SELECT * FROM audit_event WHERE trial_id = :t ORDER BY id", t=trial_id)
    if fmt is OutputFormat.json:
        write_json([{**r, "at": str(r["at"]), "changes": json_value(r["changes"])} for r in rows])
        return
    table = [{"at": str(r["at"])[:19], "action": r["action"], "curator": r["curator"],
              "version": f"{r['version_before'] or '—'} -> {r['version_after'] or '—'}",
              "status": f"{r['status_before'] or '—'} -> {r['status_after'] or '—'}",
              "changes": len(json_value(r["changes"]) or []), "reason": r["reason"],
              "command": r["command"]} for r in rows]
    emit(table, HISTORY_COLUMNS, fmt, title="History")


def _pair(ctx: typer.Context, ident: str, curators: list[str] | None) -> Any:
    from evidence.extractions import load_extractions, pick_pair
    from evidence.reader import RawDB

    if curators is not None and len(curators) != 2:
        raise typer.BadParameter("name exactly two curators")
    with RawDB(str(ctx.obj.url)) as db:
        extractions = load_extractions(db, ident)
    return pick_pair(extractions, (curators[0], curators[1]) if curators else None)


def _show(value: Any) -> str:
    from evidence.adjudication import format_value

    # Text as it is (readable in a table or CSV); numbers, entities and <absent> as JSON.
    return value if isinstance(value, str) else format_value(value)


CuratorsOption = Annotated[list[str] | None, typer.Option(
    "--curator-pair", help="The two curators to compare (default: the two newest).")]


def diff(ctx: typer.Context, ident: IdArgument, curators: CuratorsOption = None,
         with_provenance: Annotated[bool, typer.Option(help="Compare provenance too.")] = False,
         fmt: FormatOption = OutputFormat.table) -> None:
    """List every field where two curators' extractions of a trial disagree.

    Example: evidence diff NCT02932137 --format csv
    """
    from evidence.adjudication import diff_records

    a, b = _pair(ctx, ident, curators)
    diffs = diff_records(a.record, b.record, with_provenance=with_provenance)
    rows = [{"path": d.path, a.curator: _show(d.a), b.curator: _show(d.b)} for d in diffs]
    emit(rows, ("path", a.curator, b.curator), fmt, title=f"{a.curator} vs {b.curator}")
    message(f"{len(diffs)} field(s) differ between {a.curator} and {b.curator}")


def adjudicate(
    ctx: typer.Context,
    ident: IdArgument,
    decisions: Annotated[Path | None, typer.Option(
        "--decisions", help="YAML: path -> a | b | {value: ...}; without it, asks per field.")]
    = None,
    curators: CuratorsOption = None,
) -> None:
    """Decide every disagreement between two extractions and store the consensus record.

    Both extractions and the decisions are kept; the consensus is audited as an
    adjudication by the deciding curator.

    Example: evidence adjudicate NCT02932137 --decisions decisions.yaml
    """
    import yaml

    from evidence.adjudication import adjudicate as decide
    from evidence.adjudication import diff_records, load_decisions

    a, b = _pair(ctx, ident, curators)
    diffs = diff_records(a.record, b.record)
    if decisions is not None:
        text = decisions.read_text(encoding="utf-8")
        source = str(decisions)
    else:
        answers: dict[str, Any] = {}
        for d in diffs:
            choice = typer.prompt(f"{d.path}\n  a) {a.curator}: {_show(d.a)}\n"
                                  f"  b) {b.curator}: {_show(d.b)}\n  choose a, b, or type a "
                                  "value", default="a", err=True)
            answers[d.path] = choice if choice in ("a", "b") else {"value": yaml.safe_load(choice)}
        text = yaml.safe_dump(answers, allow_unicode=True)
        source = "interactive decisions"
    parsed = load_decisions(text, source=source)
    consensus = decide(a.record, b.record, parsed)
    plain = yaml.safe_load(text) or {}

    def store(conn: Any) -> Any:
        from evidence.crud import save_record
        from evidence.extractions import record_adjudication, trial_key

        saved = save_record(conn=conn, record=consensus, actor=ctx.obj.actor(),
                            action="adjudicate")
        record_adjudication(conn=conn, trial_id=saved.trial_id, key=trial_key(consensus),
                            curator=ctx.obj.curator, pair=(a, b), decisions=plain)
        return saved

    from evidence.db import connect_checked

    engine = connect_checked(str(ctx.obj.url))
    with engine.begin() as conn:
        saved = store(conn)
    engine.dispose()
    message(f"{consensus.label()}: consensus of {a.curator} and {b.curator} "
            f"{saved.action} as trial #{saved.trial_id} ({len(diffs)} decision(s))")


def register(app: typer.Typer) -> None:
    for command in (review, reopen, delete, history, diff, adjudicate):
        app.command()(command)
