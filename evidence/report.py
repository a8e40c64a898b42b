"""A readable plain-text report of a whole record, for `evidence show`.

The console language is English (as in Sphinx, console messages stay in one
language); Chinese fields are shown beside the English ones. Numbers are shown
as printed; `*` marks a derived value and `[source]` says where a number came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evidence.records import Duration, Provenance, Record, Text, Traced


def _t(text: Text | None) -> str:
    if text is None:
        return "—"
    parts = [p for p in (text.en, text.zh) if p]
    return " / ".join(parts) if parts else "—"


def _src(item: Traced, fld: str | None = None) -> str:
    prov: Provenance | None = item.field_provenance.get(fld) if fld else None
    prov = prov or item.provenance
    if prov is None:
        return ""
    where = f", {prov.locator}" if prov.locator else ""
    return f" [{prov.source}{where}]"


def _num(item: Traced, fld: str, value: Any) -> str:
    if value is None:
        return "—"
    prov = item.field_provenance.get(fld)
    star = "*" if prov is not None and prov.derivation else ""
    return f"{value}{star}"


def _plain(value: float) -> str:
    """1000000.0 -> '1000000' (no exponent, no invented decimals)."""
    return str(int(value)) if value.is_integer() else repr(value)


def _dur(d: Duration | None) -> str:
    if d is None:
        return "—"
    return d.reported or f"{d.value:g} {d.unit.value}(s)"


def _lines(record: Record, meta: dict[str, Any] | None) -> Iterator[str]:
    t = record.trial
    yield _t(t.title)
    if t.acronym:
        yield f"Acronym: {t.acronym}"
    if meta:
        yield (f"Database id {meta['id']}, version {meta['version']}, "
               f"updated {meta['updated_at']}; curation status: {t.curation_status.value}")
    yield "Registrations: " + (", ".join(f"{r.identifier} ({r.registry})"
                                         for r in record.registrations) or "—")
    for p in record.publications:
        cite = " ".join(x for x in (p.journal or p.journal_abbrev, str(p.year or ""),
                                    f"{p.volume or ''}({p.issue})" if p.issue else p.volume,
                                    p.pages) if x)
        ids = ", ".join(f"{k.upper()} {v}" for k, v in
                        (("pmid", p.pmid), ("pmcid", p.pmcid), ("doi", p.doi)) if v)
        yield f"Publication: {cite}; {ids}" + (f"; epub {p.epub_date}" if p.epub_date else "")
    d = t.design
    design = [x.value for x in (d.study_type, d.allocation, d.masking) if x]
    if d.control:
        design.append(f"{d.control.value} control")
    design += [p.value for p in d.phases]
    yield "Design: " + (", ".join(design) or "—")
    yield "Conditions: " + ("; ".join(_t(c) for c in t.conditions) or "—")
    yield (f"Enrollment: planned {_num(t, 'enrollment.planned', t.enrollment.planned)}, "
           f"actual {_num(t, 'enrollment.actual', t.enrollment.actual)}")
    if t.sponsor or t.institutions:
        yield "Sponsor/institutions: " + "; ".join(
            ([t.sponsor] if t.sponsor else []) + [_t(i.name) for i in t.institutions])
    yield ""
    yield "Arms:"
    for a in record.arms:
        counts = "".join(f", {c.population}: n={c.n}" for c in a.counts)
        yield (f"  {a.key}: {_t(a.label)} ({a.role.value}); randomised "
               f"{_num(a, 'n_randomised', a.n_randomised)}, analysed "
               f"{_num(a, 'n_analysed', a.n_analysed)}{counts}{_src(a, 'n_analysed')}")
    yield "Interventions:"
    for iv in record.interventions:
        yield f"  {iv.key}: {_t(iv.name)} ({iv.kind or '—'}) → arms {', '.join(iv.arms) or '—'}"
        for g in iv.regimens:
            dose = _t(g.dose) if g.dose else "—"
            yield (f"    regimen{' (' + g.arm + ')' if g.arm else ''}: dose {dose}"
                   f"{f' [{_plain(g.dose_amount)} {g.dose_unit}]' if g.dose_amount is not None else ''}"
                   f", route {g.route or '—'}, frequency {g.frequency or '—'}"
                   f" ({_t(g.frequency_text)}), on {_dur(g.cycle_on)} / off {_dur(g.cycle_off)}"
                   f", cycles {_num(g, 'cycles', g.cycles)}, treatment "
                   f"{_dur(g.treatment_duration)}, follow-up {_dur(g.follow_up)}"
                   f", background {_t(g.background)}{_src(g)}")
    yield "Endpoints:"
    for e in record.endpoints:
        tps = ", ".join(_t(tp.label) + ("†" if tp.key == e.primary_timepoint else "")
                        for tp in e.timepoints)
        met = "" if e.met is None else f"; met: {'yes' if e.met else 'no'}{_src(e, 'met')}"
        pop = f"; population {e.population}" if e.population else ""
        yield f"  {e.key}: {_t(e.name)} ({e.role.value}, {e.measure.value}); at {tps or '—'}{pop}{met}"
    yield "Results:"
    for r in record.results:
        where = "/".join(x for x in (r.endpoint, r.timepoint, r.population, r.category) if x)
        printed_counts = r.reported is not None and "/" in r.reported
        counts = (f" ({_num(r, 'events', r.events)}/{_num(r, 'n', r.n)})"
                  if (r.events is not None or r.n is not None) and not printed_counts else "")
        yield f"  {where} · {r.arm}: {r.reported or r.value}{counts}{_src(r)}"
    yield "Comparisons:"
    for c in record.comparisons:
        where = "/".join(x for x in (c.endpoint, c.timepoint, c.population) if x)
        effect = (f"; {c.effect_measure} {c.effect_reported or c.effect_value}"
                  f" ({c.ci_level or 95:g}% CI {c.ci_low} to {c.ci_high})"
                  if c.effect_measure else "")
        yield (f"  {where} · {' vs '.join(c.arms)}: {c.p_reported or 'p not reported'}{effect}"
               f"{'; ' + c.method if c.method else ''}{_src(c)}")
    yield "Adverse events:"
    for ae in record.adverse_events:
        yield (f"  {_t(ae.term)} ({'serious' if ae.serious else 'other'}) · {ae.arm}: "
               f"{_num(ae, 'affected', ae.affected)}/{_num(ae, 'at_risk', ae.at_risk)} affected"
               f"{_src(ae)}")
    yield "Sources:"
    for s in record.sources:
        yield f"  [{s.key}] {s.kind.value}: {s.locator or '—'}" + (f" ({s.note})" if s.note else "")
    yield "(* derived value; † primary timepoint)"


def render_report(record: Record, meta: dict[str, Any] | None = None) -> str:
    """The whole record as readable text."""
    return "\n".join(_lines(record, meta)) + "\n"


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) for every leaf of nested data: arms[0].n_randomised -> 30."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from flatten(value, f"{prefix}[{i}]")
    else:
        yield prefix, data
