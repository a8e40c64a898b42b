"""Entity-level merge: which incoming arm, endpoint or result is which stored one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from evidence.merge_fields import Log, Scope, merge_plain, merge_traced, norm
from evidence.records import (
    AdverseEvent,
    Arm,
    ArmResult,
    Comparison,
    Endpoint,
    Intervention,
    Population,
    Record,
    Traced,
)

KEYED = ("populations", "arms", "endpoints", "interventions")
ROWS = ("results", "comparisons", "adverse_events")
Keyed = Population | Arm | Endpoint | Intervention
KeyMaps = dict[str, dict[str, str]]


def owner(item: BaseModel) -> str | None:
    """The source a row came from; populations carry none."""
    return item.provenance.source if isinstance(item, Traced) and item.provenance else None


def label(item: Keyed) -> str:
    text = item.label if isinstance(item, Population | Arm) else item.name
    return norm(text.en) or "zh:" + norm(text.zh)


def match_keys(kind: str, olds: list[Any], news: list[Any], source_map: Mapping[str, str],
               log: Log) -> dict[str, str]:
    """Incoming key -> key in the merged record, for one keyed list."""
    by_key = {o.key: o for o in olds}
    taken_keys = set(by_key) | {n.key for n in news}
    claimed: set[str] = set()
    out: dict[str, str] = {}

    def src(item: Any) -> str | None:
        s = owner(item)
        return source_map.get(s, s) if s else None

    def same(o: Any, n: Any) -> bool:
        # Without provenance on either side nothing says they differ: same key, same thing.
        return owner(o) is None or src(n) is None or owner(o) == src(n) or label(o) == label(n)

    for n in news:  # first pass: same key, and the same thing (same source or same label)
        o = by_key.get(n.key)
        if o is not None and same(o, n):
            out[n.key] = n.key
            claimed.add(n.key)
    for n in news:
        if n.key in out:
            continue
        if n.key in by_key:
            # The key means something else here: never merge two different arms silently.
            base = f"{n.key}-{src(n) or 'new'}"[:60]
            key, i = base, 2
            while key in taken_keys and not (key in by_key and same(by_key[key], n)):
                key, i = f"{base}-{i}", i + 1
            taken_keys.add(key)
            out[n.key] = key
            claimed.add(key)
            log.notes.append(f"{kind}: incoming {n.key!r} from {src(n)} is not the stored "
                             f"{n.key!r} (different label); kept as {key!r}")
            continue
        twin = [o for o in olds if o.key not in claimed and label(o) == label(n)]
        if len(twin) == 1:  # a unique label match across sources: one arm, two key spellings
            out[n.key] = twin[0].key
            claimed.add(twin[0].key)
            log.notes.append(f"{kind}: incoming {n.key!r} from {src(n)} is the stored "
                             f"{twin[0].key!r} (same label)")
        else:
            out[n.key] = n.key
    return {k: v for k, v in out.items() if k != v}


def _walk_sources(node: Any, source_map: Mapping[str, str]) -> None:
    if isinstance(node, dict):
        prov = node.get("provenance")
        if isinstance(prov, dict) and prov.get("source") in source_map:
            prov["source"] = source_map[prov["source"]]
        for fp in (node.get("field_provenance") or {}).values():
            if fp.get("source") in source_map:
                fp["source"] = source_map[fp["source"]]
        for value in node.values():
            _walk_sources(value, source_map)
    elif isinstance(node, list):
        for value in node:
            _walk_sources(value, source_map)


def rewrite(record: Record, source_map: Mapping[str, str], maps: KeyMaps) -> Record:
    """The incoming record with source keys and entity keys renamed, references and all."""
    if not source_map and not any(maps.values()):
        return record
    data = record.model_dump(mode="json", exclude_none=True)
    _walk_sources(data, source_map)
    for src in data.get("sources", []):
        src["key"] = source_map.get(src["key"], src["key"])
    pops, arms, eps = maps["populations"], maps["arms"], maps["endpoints"]

    def ren(obj: dict[str, Any], fld: str, m: dict[str, str]) -> None:
        if obj.get(fld) in m:
            obj[fld] = m[obj[fld]]

    for kind in KEYED:
        for item in data.get(kind, []):
            ren(item, "key", maps[kind])
    for arm in data.get("arms", []):
        for count in arm.get("counts", []):
            ren(count, "population", pops)
    for iv in data.get("interventions", []):
        iv["arms"] = [arms.get(a, a) for a in iv.get("arms", [])]
        for regimen in iv.get("regimens", []):
            ren(regimen, "arm", arms)
    for ep in data.get("endpoints", []):
        ren(ep, "population", pops)
    for row in (*data.get("results", []), *data.get("comparisons", [])):
        ren(row, "endpoint", eps)
        ren(row, "population", pops)
        ren(row, "arm", arms)
        if "arms" in row:
            row["arms"] = [arms.get(a, a) for a in row["arms"]]
    for ae in data.get("adverse_events", []):
        ren(ae, "arm", arms)
    return Record.model_validate(data)


def row_identity(row: Any) -> tuple[Any, ...]:
    """What makes an incoming result, comparison or adverse event the stored one."""
    if isinstance(row, ArmResult):
        return (row.endpoint, row.arm, row.timepoint, row.population, row.category, row.param)
    if isinstance(row, Comparison):
        return (row.endpoint, row.timepoint, row.population, tuple(row.arms), row.method,
                row.effect_measure)
    assert isinstance(row, AdverseEvent)
    return (norm(row.term.en) or norm(row.term.zh), row.arm, row.serious, row.organ_system)


def _where(kind: str, item: Any) -> str:
    if kind in KEYED:
        return f"{kind}[{item.key}]"
    parts = [str(getattr(p, "value", p)) for p in row_identity(item) if p not in (None, ())]
    return f"{kind}[{'/'.join(parts)}]"


def merge_list(kind: str, olds: list[Any], news: list[Any], scope_of: Callable[[Any], Scope],
               log: Log) -> tuple[list[Any], list[Any]]:
    """(merged list, stored items the incoming source dropped) for one top-level list."""
    ident: Callable[[Any], Any] = (lambda x: x.key) if kind in KEYED else row_identity
    buckets: dict[Any, list[int]] = {}
    for i, o in enumerate(olds):
        buckets.setdefault(ident(o), []).append(i)
    out: list[Any] = list(olds)
    used: set[int] = set()
    added: list[Any] = []
    for n in news:
        scope = scope_of(n)
        free = [i for i in buckets.get(ident(n), []) if i not in used]
        if not free:
            added.append(n)
            continue
        # The same source's row first; else a row another source reported for the same cell.
        i = next((i for i in free if owner(olds[i]) == scope.src), free[0])
        used.add(i)
        where = _where(kind, olds[i])
        out[i] = (merge_plain(olds[i], n, where, scope, None) if isinstance(n, Population)
                  else merge_traced(olds[i], n, where, scope))
    updating = {s.src for s in map(scope_of, news) if s.update}
    gone = [i for i, o in enumerate(olds) if i not in used and owner(o) in updating]
    if added:
        _summarise(log, kind, "+", added, "from", scope_of(added[0]).src)
    if gone and kind in ROWS:  # keyed removals are reported once references are known
        _summarise(log, kind, "-", [olds[i] for i in gone], "no longer in", None)
    log.numbers = log.numbers or (kind not in ("endpoints", "populations")
                                  and bool(added or gone))
    return [o for i, o in enumerate(out) if i not in gone] + added, [olds[i] for i in gone]


def _summarise(log: Log, kind: str, sign: str, items: list[Any], how: str,
               default: str | None) -> None:
    by_src: dict[str, list[Any]] = {}
    for item in items:
        by_src.setdefault(owner(item) or default or "incoming", []).append(item)
    for src, group in by_src.items():
        if kind in KEYED:
            keys = ", ".join(x.key for x in group[:10]) + (" ..." if len(group) > 10 else "")
            log.changes.append(f"{kind}: {sign} {keys} ({how} {src})")
        else:
            log.changes.append(f"{kind}: {sign} {len(group)} ({how} {src})")


def references(record: Record) -> set[tuple[str, str]]:
    """(kind, key) of every population, arm and endpoint something in the record refers to."""
    refs: set[tuple[str, str]] = set()
    for arm in record.arms:
        refs.update(("populations", c.population) for c in arm.counts)
    for iv in record.interventions:
        refs.update(("arms", a) for a in iv.arms)
        refs.update(("arms", r.arm) for r in iv.regimens if r.arm)
    for ep in record.endpoints:
        if ep.population:
            refs.add(("populations", ep.population))
    rows: list[ArmResult | Comparison] = [*record.results, *record.comparisons]
    for row in rows:
        refs.add(("endpoints", row.endpoint))
        if row.population:
            refs.add(("populations", row.population))
    refs.update(("arms", r.arm) for r in record.results)
    refs.update(("arms", a) for c in record.comparisons for a in c.arms)
    refs.update(("arms", ae.arm) for ae in record.adverse_events)
    return refs
