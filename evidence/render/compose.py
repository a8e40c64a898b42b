"""Facts -> Document in one language: the sentences of each section, before formatting."""

from __future__ import annotations

from dataclasses import dataclass, field

from evidence.i18n import format_date
from evidence.render import codes
from evidence.render.facts import Citation, DesignFact, EndpointFact, Facts, RegimenFact
from evidence.render.values import result_line, safety_line
from evidence.render.writer import MISSING_CLOSE, MISSING_OPEN, MissingTerm, Writer


@dataclass
class Section:
    key: str
    heading: str
    items: list[str]


@dataclass
class Document:
    """A summary in one language, ready for any output format."""

    locale: str
    title: str
    citation: str | None
    sections: list[Section] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    missing: list[MissingTerm] = field(default_factory=list)


def _citation(w: Writer, c: Citation) -> str | None:
    # The Vancouver core "Ann Rheum Dis 2020;79(1):141-149" is the same in both languages.
    core = " ".join(p for p in (c.journal, str(c.year) if c.year else None) if p)
    if c.volume:
        core += f";{c.volume}" + (f"({c.issue})" if c.issue else "")
    if c.pages:
        core += f":{c.pages}"
    parts = [core] if core else []
    if c.doi:
        parts.append(w._("doi: %(doi)s", doi=c.doi))
    if c.pmid:
        parts.append(w._("PMID: %(pmid)s", pmid=c.pmid))
    if c.epub_date:
        parts.append(w._("Published online %(date)s", date=format_date(c.epub_date, w.locale)))
    if not parts:
        return None
    # TRANSLATORS: ends each part of the citation line (". " in English, "。" in Chinese).
    stop = w.pgettext("sentence end", ". ")
    return stop.join(parts) + stop.strip()


def _design(w: Writer, d: DesignFact) -> list[str]:
    features = [codes.allocation(w, d.allocation), codes.masking(w, d.masking),
                codes.control(w, d.control)]
    phases = [p for p in (codes.phase(w, code) for code in d.phases) if p]
    words = [f for f in features if f] + (["/".join(phases)] if phases else [])
    # TRANSLATORS: separator between design adjectives: "randomised, double-blind".
    design = w.pgettext("design separator", ", ").join(words)
    items = []
    if d.patients is not None:
        num = w.derived(str(d.patients), d.patients_derived)
        conditions = w.join([w.term(c) for c in d.conditions])
        if conditions:
            patients = w.ngettext("%(num)s patient with %(condition)s",
                                  "%(num)s patients with %(condition)s",
                                  d.patients, num=num, condition=conditions)
        else:
            patients = w.ngettext("%(num)s patient", "%(num)s patients", d.patients, num=num)
        items.append(w._("%(design)s trial in %(patients)s.", design=design, patients=patients)
                     if design else w._("Trial in %(patients)s.", patients=patients))
    elif design:
        items.append(w._("%(design)s trial.", design=design))
    arms = []
    for arm in d.arms:
        name = w.arm(arm.label)
        n, analysed = arm.n_randomised, arm.n_analysed
        if n is not None and analysed is not None and analysed != n:
            arms.append(w._("%(arm)s (n=%(n)s; %(analysed)s analysed)", arm=name, n=n,
                            analysed=analysed))
        elif n is not None:
            arms.append(w._("%(arm)s (n=%(n)s)", arm=name, n=n))
        elif analysed is not None:
            arms.append(w._("%(arm)s (%(analysed)s analysed)", arm=name, analysed=analysed))
        else:
            arms.append(name)
    if arms:
        items.append(w._("Arms: %(arms)s.", arms=w.join(arms)))
    return [w.sentence(i) for i in items]


def _regimen(w: Writer, r: RegimenFact) -> str:
    agent = w.term(r.agent)
    # The dose as printed in this language; else the parsed amount and unit, which need
    # no translation; only then the other language's text, marked as untranslated.
    printed = r.dose is not None and (r.dose.zh if w.zh else r.dose.en)
    if r.dose is not None and (printed or r.dose_amount is None):
        dose: str | None = w.term(r.dose)
    elif r.dose_amount is not None:
        dose = " ".join(p for p in (w.number(r.dose_amount),
                                    w.unit(r.dose_unit) if r.dose_unit else None) if p)
    else:
        dose = None
    words = [w._("%(agent)s %(dose)s", agent=agent, dose=dose) if dose else agent]
    if r.route:
        words.append(codes.route(w, r.route))
    if r.frequency_text is not None and (r.frequency_text.zh if w.zh else r.frequency_text.en):
        words.append(w.term(r.frequency_text))
    elif r.frequency:
        words.append(codes.frequency(w, r.frequency))
    elif r.frequency_text is not None:
        words.append(w.term(r.frequency_text))
    if r.cycle_on and r.cycle_off:
        words.append(w._("for %(on)s, followed by a %(off)s break",
                         on=w.duration(r.cycle_on), off=w.duration_adjective(r.cycle_off)))
    elif r.cycle_on:
        words.append(w._("for %(on)s", on=w.duration(r.cycle_on)))
    # TRANSLATORS: separator between dose, route, frequency and cycle of one regimen.
    clause = w.pgettext("regimen words", " ").join(words)
    if r.cycles is not None:
        num = w.derived(str(r.cycles), r.cycles_derived)
        clause += w.paren(w.ngettext("%(num)s cycle", "%(num)s cycles", r.cycles, num=num))
    clauses = [clause]
    if r.treatment and r.follow_up:
        clauses.append(w._("%(treatment)s of treatment and %(follow_up)s of follow-up",
                           treatment=w.duration(r.treatment), follow_up=w.duration(r.follow_up)))
    elif r.treatment:
        clauses.append(w._("%(treatment)s of treatment", treatment=w.duration(r.treatment)))
    elif r.follow_up:
        clauses.append(w._("%(follow_up)s of follow-up", follow_up=w.duration(r.follow_up)))
    if r.background is not None:
        clauses.append(w._("with %(background)s", background=w.term(r.background)))
    text = w.clauses(clauses)
    if r.arm is None:
        return w.sentence(w._("%(regimen)s.", regimen=text))
    return w.sentence(w._("%(arm)s arm: %(regimen)s.", arm=w.arm(r.arm), regimen=text))


def _endpoints(w: Writer, endpoints: tuple[EndpointFact, ...]) -> list[str]:
    items = []
    for e in (e for e in endpoints if e.role == "primary"):
        name = w.term(e.name)
        tp = w.timepoint(e.timepoint) if e.timepoint else None
        item = (w._("Primary endpoint: %(endpoint)s %(timepoint)s.", endpoint=name, timepoint=tp)
                if tp else w._("Primary endpoint: %(endpoint)s.", endpoint=name))
        if e.met is not None:
            if tp:
                met = (w._("The primary endpoint was met %(timepoint)s.", timepoint=tp) if e.met
                       else w._("The primary endpoint was not met %(timepoint)s.", timepoint=tp))
            else:
                met = (w._("The primary endpoint was met.") if e.met
                       else w._("The primary endpoint was not met."))
            # TRANSLATORS: two sentences in a row (no space between them in Chinese).
            item = w._("%(first)s %(second)s", first=item, second=met)
        items.append(item)
    for role in ("secondary", "other"):
        names = [w.term(e.name) + (w.paren(w.term(e.population)) if e.population else "")
                 for e in endpoints if (e.role == role if role == "secondary"
                                        else e.role not in ("primary", "secondary"))]
        if names and role == "secondary":
            items.append(w.ngettext("Secondary endpoint: %(endpoints)s.",
                                    "Secondary endpoints: %(endpoints)s.", len(names),
                                    endpoints=w.join(names)))
        elif names:
            items.append(w.ngettext("Other endpoint: %(endpoints)s.",
                                    "Other endpoints: %(endpoints)s.", len(names),
                                    endpoints=w.join(names)))
    return items


def compose(facts: Facts, w: Writer) -> Document:
    """Write every section the facts support, in this language."""
    doc = Document(w.locale, w.term(facts.title),
                   _citation(w, facts.citation) if facts.citation else None)

    def add(key: str, heading: str, items: list[str]) -> None:
        if items:
            doc.sections.append(Section(key, heading, [w.sentence(i) for i in items]))

    add("design", w._("Design"), _design(w, facts.design))
    # TRANSLATORS: section heading: dose, route, schedule and duration of treatment.
    add("regimen", w._("Regimen"), [_regimen(w, r) for r in facts.regimens])
    add("endpoints", w._("Endpoints"), _endpoints(w, facts.endpoints))
    add("results", w._("Results"), [result_line(w, r) for r in facts.results if not r.subgroup])
    add("subgroups", w._("Subgroups"), [result_line(w, r) for r in facts.results if r.subgroup])
    add("safety", w._("Safety"), [safety_line(w, s) for s in facts.safety])
    if facts.registrations:
        # TRANSLATORS: section heading: trial registry numbers (NCT...).
        add("registrations", w._("Registration"), [w.ngettext(
            "Registration: %(ids)s.", "Registrations: %(ids)s.", len(facts.registrations),
            ids=w.join(list(facts.registrations)))])
    if w.used_derived:
        doc.footnotes.append(w._("† Derived by the curator, not printed in the source "
                                 "(for example counts recomputed from the reported "
                                 "percentage and the number analysed)."))
    if w.missing:
        doc.footnotes.append(w._("%(open)s…%(close)s marks a term with no translation in the "
                                 "record or the glossary.", open=MISSING_OPEN,
                                 close=MISSING_CLOSE))
    doc.missing = list(w.missing)
    return doc
