"""Merge a freshly imported record into the stored record of the same trial (pure).

`evidence import` calls `merge_records(stored, imported)` when the imported record
shares a registration ID (or a PMID/DOI) with a stored one. The policy:

Trial identity. Registrations are a union, stored ones first: records sharing any
registration ID are one trial, as WHO's ICTRP bridges them. Publications match by
PMID or DOI; a matched one only has its gaps filled.

Sources. An incoming source is the stored one when key and kind agree (for a
registry also the study URL, so a second NCT record of a bridged trial gets its own
key, `ctgov-2`, instead of overwriting the first). A registry record's version is
`Source.retrieved`, else the `versionHolder` date the ctgov importers put in the
note. An older version than stored skips the whole merge; a newer one (or an
undated one) is an *update*; the same version, and every abstract, paper, PubMed
or curator source (documents without versions), only *fill gaps*.

Entities. Arms, interventions, endpoints and populations match by key when the
stored one has the same source or the same label; a key taken by something else
gets a suffixed key (`placebo-ctgov`) and every incoming reference follows, so two
different arms are never merged silently. An incoming arm with another key but the
same label as a stored arm of another source is that arm ("IL-2" is "IL-2"), and
its results point at it. Results, comparisons and adverse events match by what
they measure (endpoint, arm, timepoint, population, category, ...). In an update,
stored rows of that source which the new version no longer has are removed,
unless something kept still refers to them.

Fields. Absence never erases: importers leave out what they do not know, so a
stored value (a curator's Chinese text, a number from the full paper) stays when
the incoming one is missing. A gap is filled, and the field is marked with the
incoming provenance. A differing value is replaced only in an update, and only
when the stored field belongs to that source (its field_provenance, else its
row's provenance); otherwise it is kept and the conflict is noted. Text equal
after NFKC (full-width vs ASCII punctuation) is the same text. Refinement: an
incoming record more curated than the stored one (reviewed over draft) wins
conflicts, so loading the curated file over its own draft keeps the curation.

Curation status. The stored status stays, except that a reviewed or verified
trial whose numbers (counts, values, p, arms, results, events) change goes back to
draft: what was checked is no longer what is stored.

`changes` lists what changed, one line each; `notes` what was kept instead and why
(conflicts, renamed keys, skipped older versions). Merging again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from evidence import registries
from evidence.merge_entities import KEYED, ROWS, match_keys, merge_list, owner, references, rewrite
from evidence.merge_fields import Log, Scope, merge_plain, merge_traced
from evidence.recordio import record_from_data, record_to_data
from evidence.records import CurationStatus, Publication, Record, Registration, Source, SourceKind

_VERSION_NOTE = re.compile(r"data version \(versionHolder\) (\d{4}-\d{2}-\d{2})")
_RANK = {CurationStatus.draft: 0, CurationStatus.reviewed: 1, CurationStatus.verified: 2}


@dataclass
class MergeResult:
    """The merged record, what changed, what was kept instead, and whether it was skipped."""

    record: Record
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped_older: bool = False


def source_version(source: Source) -> dt.date | None:
    """The date of the data a source holds: `retrieved`, else the ctgov versionHolder note."""
    if source.retrieved is not None:
        return source.retrieved
    found = _VERSION_NOTE.search(source.note or "")
    return dt.date.fromisoformat(found.group(1)) if found else None


def _same_source(old: Source, new: Source) -> bool:
    if old.kind != new.kind:
        return False
    if old.key == new.key:
        # A registry's locator is the study's own URL: another study is another document.
        return (old.kind != SourceKind.registry or not old.locator or not new.locator
                or old.locator == new.locator)
    return old.locator is not None and old.locator == new.locator


def _map_sources(existing: Record, incoming: Record) -> tuple[dict[str, str], dict[str, bool]]:
    """Incoming source key -> stored key, and per stored key whether this merge updates it."""
    mapping: dict[str, str] = {}
    update: dict[str, bool] = {}
    taken = {s.key for s in existing.sources} | {s.key for s in incoming.sources}
    for new in incoming.sources:
        old = next((o for o in existing.sources if _same_source(o, new)), None)
        if old is None:
            key, i = new.key, 2
            while key in {o.key for o in existing.sources} or (key != new.key and key in taken):
                key, i = f"{new.key}-{i}", i + 1
            taken.add(key)
            mapping[new.key] = key
            update[key] = False
            continue
        mapping[new.key] = old.key
        v_old, v_new = source_version(old), source_version(new)
        update[old.key] = new.kind == SourceKind.registry and (
            v_old is None or v_new is None or v_new > v_old)
    return mapping, update


def _older(existing: Record, incoming: Record, mapping: dict[str, str]) -> str | None:
    stored = {s.key: s for s in existing.sources}
    for new in incoming.sources:
        old = stored.get(mapping[new.key])
        if old is None or new.kind != SourceKind.registry:
            continue
        v_old, v_new = source_version(old), source_version(new)
        if v_old and v_new and v_new < v_old:
            return (f"skipped: incoming {new.key} version {v_new} is older than stored {v_old}")
    return None


def _registrations(existing: Record, incoming: Record, log: Log) -> list[Registration]:
    def ident(reg: Registration) -> str:
        return registries.normalise(reg.registry, reg.identifier).identifier

    out = list(existing.registrations)
    seen = {ident(r) for r in out}
    for reg in incoming.registrations:
        if ident(reg) not in seen:
            seen.add(ident(reg))
            out.append(reg)
            log.changes.append(f"registrations: + {reg.identifier}")
    return out


def _publications(existing: Record, incoming: Record, scope: Scope) -> list[Publication]:
    out = list(existing.publications)
    for new in incoming.publications:
        i = next((i for i, p in enumerate(out) if (p.pmid and p.pmid == new.pmid)
                  or (p.doi and p.doi == new.doi)), None)
        name = f"PMID {new.pmid}" if new.pmid else new.doi or "untitled"
        if i is None:
            out.append(new)
            scope.log.changes.append(f"publications: + {name}")
        else:
            out[i] = merge_plain(out[i], new, f"publications[{name}]", scope, None)
    return out


def merge_records(existing: Record, incoming: Record) -> MergeResult:
    """`incoming` merged into `existing` (the stored record of the same trial), with a report."""
    if existing == incoming:
        return MergeResult(existing)
    mapping, update = _map_sources(existing, incoming)
    older = _older(existing, incoming, mapping)
    if older:
        return MergeResult(existing, notes=[older], skipped_older=True)
    log = Log()
    wins = _RANK[incoming.trial.curation_status] > _RANK[existing.trial.curation_status]
    first = mapping[incoming.sources[0].key] if incoming.sources else None

    def scope_of(item: Any) -> Scope:
        # Called on the rewritten record only, whose sources already carry stored keys.
        src = owner(item) or first
        return Scope(src, update.get(src or "", False), wins, log)

    maps = {kind: match_keys(kind, getattr(existing, kind), getattr(incoming, kind), mapping, log)
            for kind in KEYED}
    new = rewrite(incoming, {k: v for k, v in mapping.items() if k != v}, maps)
    merged: dict[str, list[Any]] = {}
    gone: dict[str, list[Any]] = {}
    for kind in (*KEYED, *ROWS):
        merged[kind], gone[kind] = merge_list(kind, getattr(existing, kind), getattr(new, kind),
                                              scope_of, log)
    trial = merge_traced(existing.trial, new.trial, "trial", scope_of(new.trial))
    sources = list(existing.sources)
    for src in new.sources:
        i = next((i for i, o in enumerate(sources) if o.key == src.key), None)
        if i is None:
            sources.append(src)
            log.changes.append(f"sources: + {src.key} ({src.kind.value})")
        else:
            sources[i] = merge_plain(sources[i], src, f"sources[{src.key}]",
                                     Scope(src.key, update[src.key], wins, log), src.key)
    record = existing.model_copy(update={
        "trial": trial, "sources": sources,
        "registrations": _registrations(existing, new, log),
        "publications": _publications(existing, new, Scope(first, False, wins, log)), **merged})
    record = _keep_referenced(record, gone, log)
    if not log.changes:
        return MergeResult(existing, notes=log.notes)
    status = existing.trial.curation_status
    if log.numbers and status != CurationStatus.draft:
        log.changes.append(f"trial.curation_status: {status.value} -> draft "
                           "(numbers changed; review again)")
        record.trial = record.trial.model_copy(update={"curation_status": CurationStatus.draft})
    return MergeResult(record_from_data(record_to_data(record)), log.changes, log.notes)


def _keep_referenced(record: Record, gone: dict[str, list[Any]], log: Log) -> Record:
    """Put back removed arms, endpoints or populations that something kept still refers to."""
    refs = references(record)
    update: dict[str, list[Any]] = {}
    for kind in KEYED:
        back = [x for x in gone[kind] if (kind, x.key) in refs]
        for item in back:
            log.notes.append(f"kept {kind}[{item.key}]: no longer in {owner(item)}, "
                             "but other entries refer to it")
        for item in gone[kind]:
            if item not in back:
                log.changes.append(f"{kind}: - {item.key} (no longer in {owner(item)})")
        if back:
            update[kind] = [*getattr(record, kind), *back]
    return record.model_copy(update=update) if update else record
