"""Read and write record files (YAML or JSON) with errors that name file and field."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evidence.errors import RecordError
from evidence.records import Record
from evidence.validation import check_record, normalise_registrations

MAX_RECORD_BYTES = 20 * 1024 * 1024  # a hand-curated record of one trial is kilobytes


def field_path(loc: Iterable[int | str]) -> str:
    """pydantic's ('arms', 1, 'n_randomised') -> 'arms[1].n_randomised'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_FRIENDLY = {
    "greater_than_equal": "must be ≥ {ge}",
    "less_than_equal": "must be ≤ {le}",
    "greater_than": "must be > {gt}",
    "less_than": "must be < {lt}",
    "extra_forbidden": "unknown field (not in the record format)",
    "missing": "required field is missing",
}


def _message(error: Any) -> str:
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])  # our own validators' words, without "Value error, "
    template = _FRIENDLY.get(error["type"])
    if template:
        try:
            return template.format(**error.get("ctx", {}))
        except KeyError:
            pass
    return str(error["msg"])


def record_from_data(data: Any, *, file: str | None = None) -> Record:
    """Validate parsed YAML/JSON data as a record, schema first, then logic."""
    if not isinstance(data, dict):
        raise RecordError("a record must be a mapping with a 'trial' field", file=file)
    try:
        record = Record.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise RecordError(_message(first) + more, file=file,
                          field=field_path(first["loc"]) or None) from None
    problems = check_record(record)
    if problems:
        first_problem = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RecordError(first_problem.message + more, file=file, record=record.label(),
                          field=first_problem.path)
    # Canonical registry codes and ID spelling, so a record equals its stored form.
    return normalise_registrations(record)


def read_text(path: Path, *, limit: int = MAX_RECORD_BYTES) -> str:
    """A file's text, refusing empty, oversized and non-UTF-8 files with a clear message."""
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RecordError(f"cannot read file ({exc.strerror})", file=name) from None
    if size == 0:
        raise RecordError("file is empty", file=name)
    if size > limit:
        raise RecordError(f"file is {size:,} bytes, over the {limit:,}-byte limit", file=name)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError(f"not UTF-8 text (invalid byte at offset {exc.start})",
                          file=name) from None


def parse_text(text: str, *, suffix: str, file: str | None = None) -> Any:
    """YAML or JSON text to Python data; JSON when the suffix says so or it starts with '{'."""
    if suffix == ".json" or text.lstrip().startswith("{"):
        import orjson

        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise RecordError(f"invalid JSON ({exc})", file=file) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise RecordError(f"invalid YAML{where}: {problem}", file=file) from None


def load_record(path: Path) -> Record:
    """Load and validate one record file."""
    text = read_text(path)
    data = parse_text(text, suffix=path.suffix.lower(), file=str(path))
    if data is None:
        raise RecordError("file holds no record", file=str(path))
    return record_from_data(data, file=str(path))


def record_to_data(record: Record) -> dict[str, Any]:
    """The record as plain JSON-able data, without empty defaults; `format` always first."""
    data = record.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    data.pop("format", None)
    return {"format": record.format, **data}


def dump_record(record: Record, *, fmt: str = "yaml") -> str:
    """Serialise a record as YAML (default) or JSON text."""
    data = record_to_data(record)
    if fmt == "json":
        import orjson

        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    import yaml

    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))


def bundled_seed_path() -> Path:
    """The hand-curated seed record shipped with the package."""
    return Path(__file__).parent / "examples" / "seed-il2-sle.yaml"
