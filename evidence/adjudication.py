"""Dual extraction: where two curators' records of one trial disagree, and their consensus.

`diff_records` lists every disagreeing field by keyed path; `adjudicate` takes one
decision per path ("a", "b" or an explicit value) and builds the consensus record,
which must validate like any other. Provenance is compared only when asked: by
default the consensus keeps a's provenance, except that a field's own provenance
follows the side whose value was chosen.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from evidence.adjudication_walk import (
    IDENTITY,
    MISSING,
    Chosen,
    FieldDiff,
    Take,
    Walk,
    identities,
)
from evidence.errors import EvidenceError, RecordError
from evidence.recordio import record_from_data, record_to_data
from evidence.records import Record

__all__ = ["MISSING", "Decision", "FieldDiff", "adjudicate", "decisions_template",
           "decisions_to_data", "diff_records", "format_value", "load_decisions"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Keep a's value, take b's, or write `value` (None leaves the field or entity out)."""

    take: Take
    value: Any = None

    def __post_init__(self) -> None:
        if self.take not in ("a", "b", "value"):
            raise ValueError(f"take must be 'a', 'b' or 'value', not {self.take!r}")
        if self.take != "value" and self.value is not None:
            raise ValueError(f"a decision to take {self.take!r} has no value")


def _data(record: Record) -> dict[str, Any]:
    # None and absent mean the same ("not reported"); defaults such as role
    # "other" stay, so that "other" against "experimental" is a visible diff.
    return record.model_dump(mode="json", exclude_none=True)


def diff_records(a: Record, b: Record, *, with_provenance: bool = False) -> list[FieldDiff]:
    """Every field where a and b disagree, in a's document order (b-only entities last in their list)."""
    walk = Walk(lambda diff: Chosen("a", diff.a), with_provenance=with_provenance)
    walk.node(_data(a), _data(b), "", "")
    return walk.diffs


def format_value(value: Any) -> str:
    """A diff value for display: `<absent>`, or compact JSON keeping Chinese readable."""
    if value is MISSING:
        return "<absent>"
    import orjson

    return orjson.dumps(value).decode()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else "value"


def _check_value(diff: FieldDiff, value: Any) -> None:
    # The record model would turn the text "16" into the number 16: refuse it here,
    # since a number in the consensus must be the number the adjudicator wrote.
    kinds = {_kind(side) for side in (diff.a, diff.b) if side is not MISSING}
    if value is not None and _kind(value) not in kinds:
        raise EvidenceError(f"{diff.path}: value {format_value(value)} is {_kind(value)}, "
                            f"but the extractions have {' or '.join(sorted(kinds))}")


_INDEXED = re.compile(r"\[(\d+)\]")


def _keyed_path(path: str, data: dict[str, Any]) -> str:
    """A validation path `results[0].events` as the keyed path `results[sri4/il2/w12//].events`."""
    out, shape = "", ""
    node: Any = data
    for name, index in re.findall(r"\.?([^.\[\]]+)|\[(\d+)\]", path):
        if name:
            out += f".{name}" if out else name
            shape = f"{shape}.{name}" if shape else name
            node = node.get(name) if isinstance(node, dict) else None
            continue
        i = int(index)
        if isinstance(node, list) and i < len(node) and shape in IDENTITY:
            out += f"[{identities(node, shape)[i]}]"
        else:
            out += f"[{i}]"
        node = node[i] if isinstance(node, list) and i < len(node) else None
    return out


def adjudicate(a: Record, b: Record, decisions: dict[str, Decision], *,
               with_provenance: bool = False) -> Record:
    """The consensus record: a, with every diff resolved by its decision."""
    undecided: list[str] = []
    used: set[str] = set()

    def decide(diff: FieldDiff) -> Chosen:
        decision = decisions.get(diff.path)
        if decision is None:
            undecided.append(diff.path)
            return Chosen("a", diff.a)
        used.add(diff.path)
        if decision.take == "value":
            _check_value(diff, decision.value)
            return Chosen("value", MISSING if decision.value is None else decision.value)
        return Chosen(decision.take, diff.a if decision.take == "a" else diff.b)

    walk = Walk(decide, with_provenance=with_provenance)
    data = walk.node(_data(a), _data(b), "", "")
    problems = []
    unknown = [path for path in decisions if path not in used]
    if unknown:
        problems.append(f"{len(unknown)} decision(s) for paths where the extractions agree "
                        f"or that do not exist: {', '.join(sorted(unknown))}")
    if undecided:
        problems.append(f"{len(undecided)} difference(s) without a decision: "
                        f"{', '.join(undecided)}")
    if problems:
        raise EvidenceError("; ".join(problems))
    try:
        result = record_from_data(data)
    except RecordError as exc:
        field = _keyed_path(exc.field, data) if exc.field else None
        raise RecordError(f"the consensus is not a valid record: {exc.message}",
                          record=exc.record, field=field) from None
    # What the database stores is the round-tripped form; return exactly that.
    return record_from_data(record_to_data(result))


def _plain(value: Any) -> Any:
    # YAML reads 2019-09-19 as a date; records hold dates as ISO text.
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _parse(text: str, *, source: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        # Two decisions for one path must not be settled silently by "last one wins".
        keys = [loader.construct_object(key_node) for key_node, _value in node.value]
        for i, key in enumerate(keys):
            if isinstance(key, str) and key in keys[:i]:
                line = node.value[i][0].start_mark.line + 1
                raise EvidenceError(f"{source}: {key}: decided twice (again at line {line})")
        return loader.construct_mapping(node)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise EvidenceError(f"{source}: invalid YAML{where}: {problem}") from None


def load_decisions(text: str, *, source: str) -> dict[str, Decision]:
    """Decisions from YAML/JSON: `path: a`, `path: b` or `path: {value: ...}`; `path: null` is undecided."""
    data = _parse(text, source=source)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EvidenceError(f"{source}: decisions must be a mapping of path to a, b or "
                            "{value: ...}")
    out: dict[str, Decision] = {}
    for path, entry in data.items():
        where = f"{source}: {path}"
        if not isinstance(path, str) or not path:
            raise EvidenceError(f"{where}: a path must be text, like arms[il2].n_analysed")
        if entry is None:
            continue
        if entry == "a" or entry == "b":
            out[path] = Decision("a" if entry == "a" else "b")
        elif isinstance(entry, dict) and list(entry) == ["value"]:
            out[path] = Decision("value", _plain(entry["value"]))
        else:
            raise EvidenceError(f"{where}: decision must be a, b or {{value: ...}}, "
                                f"not {format_value(_plain(entry))}")
    return out


def decisions_to_data(decisions: dict[str, Decision]) -> dict[str, Any]:
    """Decisions as plain data, the form `load_decisions` reads back."""
    return {path: d.take if d.take != "value" else {"value": d.value}
            for path, d in decisions.items()}


def decisions_template(diffs: list[FieldDiff]) -> str:
    """A YAML decisions file to fill in: each path with both values as comments, undecided."""
    import yaml

    lines = []
    for diff in diffs:
        key = yaml.safe_dump({diff.path: None}, allow_unicode=True, width=10**6).strip()
        lines += [f"# a: {format_value(diff.a)}", f"# b: {format_value(diff.b)}", key, ""]
    return "\n".join(lines)
