"""One output helper for every command: table for people, json/csv for scripts.

Data goes to stdout, messages to stderr. JSON keeps Chinese readable (UTF-8, not
\\u escapes). Tables print with markup off: "[95% CI]" is data, not Rich markup.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class CurationStatus(StrEnum):
    """The workflow's states, as a CLI choice (kept light: no pydantic at start-up)."""

    draft = "draft"
    reviewed = "reviewed"
    verified = "verified"


def message(text: str) -> None:
    """A human message on stderr."""
    print(text, file=sys.stderr)


def write_json(data: Any) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2
                                  | orjson.OPT_NON_STR_KEYS).decode() + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def write_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])


def write_table(rows: Sequence[dict[str, Any]], columns: Sequence[str],
                title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, highlight=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    Console(markup=False, highlight=False, soft_wrap=False).print(table)


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: OutputFormat,
         *, title: str | None = None) -> None:
    """Print rows in the chosen format; JSON keeps every key of each row."""
    if fmt is OutputFormat.json:
        write_json(list(rows))
    elif fmt is OutputFormat.csv:
        write_csv(rows, columns)
    else:
        write_table(rows, columns, title)
