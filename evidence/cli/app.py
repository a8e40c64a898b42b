"""The `evidence` Typer app: global options, error handling, command registration.

Command modules import their heavy dependencies inside the command functions, so
`evidence show` and `evidence summary` start fast (see `python -X importtime`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from evidence.config import ENV_DATABASE_URL, database_url
from evidence.curation import ENV_CURATOR, Actor, current_curator
from evidence.errors import EvidenceError


@dataclass(slots=True)
class Context:
    """Global options handed to every command on ctx.obj."""

    url: str
    curator: str

    def actor(self) -> Actor:
        """The curator and the command line, for the audit trail."""
        return Actor(self.curator, " ".join(["evidence", *sys.argv[1:]])[:2000])


app = typer.Typer(
    name="evidence",
    help="Turn clinical-trial reports into a structured, verified evidence database "
         "and write English and Chinese summaries of it.\n\n"
         "Example: evidence demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", envvar=ENV_DATABASE_URL, show_envvar=True,
        help="Database URL or SQLite file path "
             "(default: evidence.db here; e.g. postgresql+psycopg://user@host/db).")] = None,
    curator: Annotated[str | None, typer.Option(
        "--curator", envvar=ENV_CURATOR, show_envvar=True,
        help="Who is making changes, for the audit trail (default: the OS user).")] = None,
) -> None:
    ctx.obj = Context(url=database_url(db), curator=current_curator(curator))


def _register() -> None:
    from evidence.cli import analyst, checks, curation, records, summaries

    records.register(app)
    curation.register(app)
    checks.register(app)
    summaries.register(app)
    analyst.register(app)


_register()


def main() -> None:
    """Entry point: runs the app and turns library errors into one `Error:` line."""
    try:
        app()
    except EvidenceError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        # A file the user named cannot be read or written (missing folder, a directory...).
        where = f": {exc.filename}" if exc.filename else ""
        print(f"Error: {exc.strerror or exc}{where}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
