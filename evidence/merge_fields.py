"""Field-level merge of two versions of one entity (the policy is in evidence/merge.py)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from evidence.records import (
    AbstractSection,
    ArmCount,
    Duration,
    Institution,
    Regimen,
    Text,
    Timepoint,
    Traced,
)

# Fields merged elsewhere or never taken from an import.
SKIP = frozenset({"provenance", "field_provenance", "key", "curation_status"})
_BRACKETS = re.compile(r"\[[^\]]*\]")
Owner = Callable[[str], str | None]
T = TypeVar("T", bound=Traced)


@dataclass
class Log:
    """What a merge did (`changes`), what it declined to do (`notes`), and whether numbers moved."""

    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    numbers: bool = False


@dataclass(frozen=True)
class Scope:
    """The incoming side of one entity: its source, and whether that source is a newer version."""

    src: str | None
    update: bool
    incoming_wins: bool  # the incoming record is more curated than the stored one
    log: Log
    origin: Owner | None = None  # the incoming entity's source of a field, for messages

    def said_by(self, rel: str) -> str:
        return (self.origin(rel) if self.origin else None) or self.src or "incoming"


def norm(text: str | None) -> str:
    """Text compared as meaning: NFKC (full-width = ASCII), case and spacing folded."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(folded.split()).rstrip(".。")


def fmt(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        value = [identity(x) for x in value]  # a list of entries by what identifies each
    elif isinstance(value, list):
        value = [fmt(x) if isinstance(x, Enum) else x for x in value]
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 70 else text[:67] + "..."


def _present(value: Any) -> bool:
    return value is not None and value != []


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, str) and isinstance(b, str) and norm(a) == norm(b))


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, Enum)


def identity(item: BaseModel) -> str:
    """What makes two items of a nested list the same item."""
    if isinstance(item, Timepoint):
        return item.key
    if isinstance(item, ArmCount):
        return item.population
    if isinstance(item, Regimen):
        return item.arm or ""
    if isinstance(item, Text):
        return norm(item.en) or "zh:" + norm(item.zh)
    if isinstance(item, Institution | AbstractSection):
        label = item.name if isinstance(item, Institution) else item.label
        return norm(label.en) or "zh:" + norm(label.zh)
    return item.model_dump_json()


def merge_value(old: Any, new: Any, where: str, rel: str, own: Owner, scope: Scope,
                taken: set[str]) -> Any:
    """`old` with what `new` may change under the policy; `rel` is the path inside the entity."""
    if old == new or not _present(new):
        return old  # an importer's absence means "not known here", never "erase"
    if isinstance(old, list) and isinstance(new, list) and _present(old) \
            and all(isinstance(x, BaseModel) for x in (*old, *new)):
        return _merge_list(old, new, where, rel, own, scope, taken)
    if isinstance(old, BaseModel) and type(old) is type(new) and not isinstance(old, Duration):
        values = {f: merge_value(getattr(old, f), getattr(new, f), where, f"{rel}.{f}", own,
                                 scope, taken) for f in type(old).model_fields if f not in SKIP}
        merged = old.model_copy(update=values)
        if (isinstance(old, Text) and isinstance(merged, Text) and merged.en != old.en
                and old.zh and merged.zh == old.zh):
            scope.log.notes.append(f"check translation: {where}.{rel}.zh kept while its "
                                   "English changed")
        return merged
    return _leaf(old, new, where, rel, own, scope, taken)


def _leaf(old: Any, new: Any, where: str, rel: str, own: Owner, scope: Scope,
          taken: set[str]) -> Any:
    log, path, src = scope.log, f"{where}.{rel}", scope.said_by(rel)
    if not _present(old):
        log.changes.append(f"{path}: none -> {fmt(new)} (from {src})")
    elif _same(old, new) and not scope.incoming_wins:
        return old
    elif (scope.update and own(rel) == scope.src) or scope.incoming_wins:
        log.changes.append(f"{path}: {fmt(old)} -> {fmt(new)} (from {src})")
    elif isinstance(old, list) and isinstance(new, list):
        # Two sources listing arms, names or countries: each adds what it knows.
        extra = [x for x in new if x not in old]
        if extra:
            log.changes.append(f"{path}: + {fmt(extra)} (from {src})")
        return old + extra
    else:
        log.notes.append(f"kept {own(rel) or 'stored'} value for {path}: {fmt(old)} "
                         f"({src} has {fmt(new)})")
        return old
    log.numbers = log.numbers or _numeric(new) or _numeric(old)
    taken.add(rel)
    return new


def _merge_list(old: list[Any], new: list[Any], where: str, rel: str, own: Owner,
                scope: Scope, taken: set[str]) -> list[Any]:
    buckets: dict[str, list[int]] = {}
    for i, item in enumerate(old):
        buckets.setdefault(identity(item), []).append(i)
    out: list[Any] = list(old)
    used: set[int] = set()
    added: list[Any] = []
    for item in new:
        ident = identity(item)
        free = [i for i in buckets.get(ident, []) if i not in used]
        if not free:
            added.append(item)
            continue
        i = free[0]
        used.add(i)
        sub = f"{rel}[{ident[:40]}]"
        if isinstance(item, Traced):
            out[i] = merge_traced(old[i], item, f"{where}.{sub}", scope, own(rel))
        else:
            out[i] = merge_value(old[i], item, where, sub, own, scope, taken)

    def owner(item: Any) -> str | None:
        if isinstance(item, Traced) and item.provenance is not None:
            return item.provenance.source
        return own(rel)

    dropped = [i for i in range(len(old)) if i not in used and scope.update
               and owner(old[i]) == scope.src]
    for i in dropped:
        scope.log.changes.append(f"{where}.{rel}: - {identity(old[i])[:40]} "
                                 f"(no longer in {scope.src})")
    for item in added:
        scope.log.changes.append(f"{where}.{rel}: + {identity(item)[:40]} (from {scope.src})")
    if dropped or added:
        scope.log.numbers = scope.log.numbers or isinstance(old[0], ArmCount | Regimen)
    return [x for i, x in enumerate(out) if i not in dropped] + added


def _owner_of(item: Traced, row_owner: str | None) -> Owner:
    """The source of a field: its field_provenance (or a parent path's), else the row's."""
    def own(rel: str) -> str | None:
        parts = _BRACKETS.sub("", rel).split(".")
        for n in range(len(parts), 0, -1):
            prov = item.field_provenance.get(".".join(parts[:n]))
            if prov is not None:
                return prov.source
        return row_owner
    return own


def merge_traced(old: T, new: T, where: str, scope: Scope,
                 parent_owner: str | None = None) -> T:
    """One entity merged field by field; provenance follows the values taken."""
    row_owner = old.provenance.source if old.provenance else parent_owner
    own = _owner_of(old, row_owner)
    scope = replace(scope, origin=_owner_of(new, scope.src))
    taken: set[str] = set()
    values = {f: merge_value(getattr(old, f), getattr(new, f), where, f, own, scope, taken)
              for f in type(old).model_fields if f not in SKIP}
    same_owner = row_owner == scope.src
    prov = old.provenance
    fp = dict(old.field_provenance)
    if same_owner and scope.update:
        # A newer version of the row's own source: its evidence trail replaces the old one,
        # except where a field is marked as coming from elsewhere (curator work).
        prov = new.provenance or old.provenance
        fp = {k: v for k, v in fp.items() if v.source != scope.src}
        for k, v in new.field_provenance.items():
            fp.setdefault(k, v)
    for rel in taken:
        if "[" in rel:
            continue  # items of a list carry their own provenance or the row's
        fp.pop(rel, None)
        if rel in new.field_provenance:
            fp[rel] = new.field_provenance[rel]
        elif not same_owner and new.provenance is not None:
            fp[rel] = new.provenance  # never a guessed source: only what the import said
    return old.model_copy(update={**values, "provenance": prov, "field_provenance": fp})


M = TypeVar("M", bound=BaseModel)


def merge_plain(old: M, new: M, where: str, scope: Scope, owner: str | None) -> M:
    """A model without provenance of its own, every field owned by `owner`."""
    taken: set[str] = set()

    def own(rel: str) -> str | None:
        return owner

    values = {f: merge_value(getattr(old, f), getattr(new, f), where, f, own, scope, taken)
              for f in type(old).model_fields if f not in SKIP}
    return old.model_copy(update=values)
