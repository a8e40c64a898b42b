"""Keyed paths over record data and the one walk shared by diff and adjudication.

Lists of entities are matched by identity, not position, so that one inserted
result does not make every later result "differ". A path names a field by the
identities on the way down: `results[sri4/il2/w12//].events`. Paths are only
ever rendered and compared as strings, never parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

Take = Literal["a", "b", "value"]


class _Missing:
    """The value on the side of a diff where the field or entity does not exist."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<absent>"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One path where two extractions disagree; MISSING on the side that lacks it."""

    path: str
    a: Any
    b: Any


def _text_id(text: Any) -> str:
    if not isinstance(text, dict):
        return ""
    value = text.get("en") if text.get("en") is not None else text.get("zh")
    return "" if value is None else str(value)


def _opt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


Identity = tuple[str, ...] | int  # an int is a position, for entities with nothing better


def _by(*fields: str) -> Callable[[dict[str, Any], int], Identity]:
    return lambda item, _i: tuple(_opt(item.get(f)) for f in fields)


def _publication(item: dict[str, Any], i: int) -> Identity:
    for fld in ("pmid", "doi"):
        if item.get(fld):
            return (str(item[fld]),)
    return i


def _regimen(item: dict[str, Any], i: int) -> Identity:
    return (str(item["arm"]),) if item.get("arm") else i


def _comparison(item: dict[str, Any], _i: int) -> Identity:
    return (*(_opt(item.get(f)) for f in ("endpoint", "timepoint", "population")),
            "+".join(str(arm) for arm in item.get("arms", [])))


def _adverse_event(item: dict[str, Any], _i: int) -> Identity:
    return _text_id(item.get("term")), _opt(item.get("arm")), _opt(item.get("serious"))


# Shape (field names from the root, without identities) -> identity of its items.
# Every other list (phases, countries, other_names, an intervention's arms, spans)
# is a plain value and compares whole.
IDENTITY: Final[dict[str, Callable[[dict[str, Any], int], Identity]]] = {
    "registrations": _by("identifier"),
    "publications": _publication,
    "publications.abstract_sections": lambda item, _i: (_text_id(item.get("label")),),
    "sources": _by("key"),
    "populations": _by("key"),
    "arms": _by("key"),
    "arms.counts": _by("population"),
    "interventions": _by("key"),
    "interventions.regimens": _regimen,
    "endpoints": _by("key"),
    "endpoints.timepoints": _by("key"),
    "results": _by("endpoint", "arm", "timepoint", "population", "category"),
    "comparisons": _comparison,
    "adverse_events": _adverse_event,
    "trial.conditions": lambda item, _i: (_text_id(item),),
    "trial.institutions": lambda item, _i: (_text_id(item.get("name")),),
}
# Shapes of entities that carry provenance and field_provenance (records.Traced).
TRACED: Final = frozenset({"trial", "arms", "arms.counts", "interventions",
                           "interventions.regimens", "endpoints", "results", "comparisons",
                           "adverse_events"})
PROVENANCE: Final = frozenset({"provenance", "field_provenance"})
# Bookkeeping of the file, not evidence extracted from the trial: never a diff,
# and the consensus keeps a's.
ROOT_METADATA: Final = frozenset({"format", "base_version"})


def _escape(part: str) -> str:
    # `]` would end the brackets and `#` marks a position or a repeat: escape both
    # so that two different entities can never print the same path.
    return part.replace("\\", "\\\\").replace("]", "\\]").replace("#", "\\#")


def identities(items: list[Any], shape: str) -> list[str]:
    """The bracketed name of each item of a keyed list; repeats get `#2`, `#3`, ..."""
    identity = IDENTITY[shape]
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        ident = identity(item, i) if isinstance(item, dict) else i
        text = f"#{ident}" if isinstance(ident, int) else "/".join(map(_escape, ident))
        seen[text] = seen.get(text, 0) + 1
        out.append(text if seen[text] == 1 else f"{text}#{seen[text]}")
    return out


def merged_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """a's keys in order, each key only b has placed after the key b has before it."""
    keys = list(a)
    placed = set(keys)
    previous: str | None = None
    for key in b:
        if key not in placed:
            keys.insert(keys.index(previous) + 1 if previous is not None else 0, key)
            placed.add(key)
        previous = key
    return keys


def _covers(key: str, rel: str) -> bool:
    """Whether a field_provenance key speaks about the field at relative path `rel`."""
    return (key == rel or key.startswith(rel + ".") or rel.startswith(key + ".")
            or rel.startswith(key + "["))


@dataclass(frozen=True, slots=True)
class Chosen:
    """What a decision made of one diff: which side, and the value to write."""

    take: Take
    value: Any  # MISSING to leave the field or entity out


Decide = Callable[[FieldDiff], Chosen]


class Walk:
    """Walks a and b together, reports each diff to `decide`, and builds the chosen data."""

    def __init__(self, decide: Decide, *, with_provenance: bool) -> None:
        self.decide = decide
        self.with_provenance = with_provenance
        self.diffs: list[FieldDiff] = []
        self._frames: list[list[tuple[str, Take, bool]]] = []

    def _emit(self, path: str, a: Any, b: Any) -> Any:
        if a is MISSING or b is MISSING:  # a whole field or entity on one side only
            a, b = _pruned(a), _pruned(b)
        diff = FieldDiff(path, a, b)
        self.diffs.append(diff)
        chosen = self.decide(diff)
        if self._frames:
            sourced = isinstance(chosen.value, dict) and "provenance" in chosen.value
            self._frames[-1].append((path, chosen.take, sourced))
        return chosen.value

    def node(self, a: Any, b: Any, shape: str, path: str) -> Any:
        """The chosen value for a path both sides have."""
        if isinstance(a, dict) and isinstance(b, dict):
            return self._mapping(a, b, shape, path)
        if isinstance(a, list) and isinstance(b, list) and shape in IDENTITY:
            return self._entities(a, b, shape, path)
        return a if a == b else self._emit(path, a, b)

    def _mapping(self, a: dict[str, Any], b: dict[str, Any], shape: str,
                 path: str) -> dict[str, Any]:
        traced = shape in TRACED
        if traced:
            self._frames.append([])
        out: dict[str, Any] = {}
        for key in merged_keys(a, b):
            if (key in PROVENANCE and not self.with_provenance) or (
                    not shape and key in ROOT_METADATA):
                if key in a:
                    out[key] = a[key]
                continue
            av, bv = a.get(key, MISSING), b.get(key, MISSING)
            sub_path = f"{path}.{key}" if path else key
            if av is MISSING or bv is MISSING:
                value = self._emit(sub_path, av, bv)
            else:
                value = self.node(av, bv, f"{shape}.{key}" if shape else key, sub_path)
            if value is not MISSING:
                out[key] = value
        if traced:
            frame = self._frames.pop()
            if not self.with_provenance:
                _follow_provenance(out, b, path, frame)
        return out

    def _entities(self, a: list[Any], b: list[Any], shape: str, path: str) -> list[Any]:
        ids_a, ids_b = identities(a, shape), identities(b, shape)
        b_by_id = dict(zip(ids_b, b, strict=True))
        out: list[Any] = []
        for ident, item in zip(ids_a, a, strict=True):
            sub_path = f"{path}[{ident}]"
            if ident in b_by_id:
                out.append(self.node(item, b_by_id[ident], shape, sub_path))
            elif (value := self._emit(sub_path, item, MISSING)) is not MISSING:
                out.append(value)
        known = set(ids_a)
        for ident, item in zip(ids_b, b, strict=True):
            if ident not in known and (value := self._emit(f"{path}[{ident}]", MISSING,
                                                           item)) is not MISSING:
                out.append(value)
        return out


def _pruned(value: Any) -> Any:
    # Empty lists and field_provenance are the defaults: shown, they are only noise.
    if isinstance(value, dict):
        return {key: _pruned(item) for key, item in value.items()
                if not (isinstance(item, list | dict) and not item
                        and (isinstance(item, list) or key == "field_provenance"))}
    if isinstance(value, list):
        return [_pruned(item) for item in value]
    return value


def _follow_provenance(out: dict[str, Any], b: dict[str, Any], base: str,
                       decided: list[tuple[str, Take, bool]]) -> None:
    """Field provenance follows the chosen value: a's derivation must not vouch for b's number."""
    if not any(take != "a" for _path, take, _sourced in decided):
        return
    fp: dict[str, Any] = dict(out.get("field_provenance", {}))
    b_fp: dict[str, Any] = b.get("field_provenance", {})
    for path, take, sourced in decided:
        if take == "a":
            continue
        rel = path[len(base) + 1:]
        keys = [key for key in {**fp, **b_fp} if _covers(key, rel)]
        for key in keys:
            fp.pop(key, None)
        if take != "b":
            continue  # an adjudicator's own value: no extraction's provenance applies
        if any(key in b_fp for key in keys):
            fp.update({key: b_fp[key] for key in keys if key in b_fp})
        elif (not sourced and b.get("provenance") is not None
              and b["provenance"] != out.get("provenance")):
            # b's row-level source said it; record that for this one field.
            fp[rel.split("[", 1)[0]] = b["provenance"]
    if fp:
        out["field_provenance"] = fp
    else:
        out.pop("field_provenance", None)
