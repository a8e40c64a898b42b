"""Result and safety sentences: arm values exactly as reported, counts, p-values.

A reported value is printed as the source printed it, never re-parsed or rounded.
Counts the record knows are added as `(events/n)` when the reported text does not
already show them, followed by † when the record says the counts were derived
(e.g. `55.17% (16/29)†`: the abstract printed 55.17%, the curator derived 16/29).
In Chinese, a parenthesised count printed by the English source, `53.85% (7/13)`,
is written with full-width brackets, `53.85%（7/13）`, as the Chinese source prints it.
"""

from __future__ import annotations

import re

from evidence.render import codes
from evidence.render.facts import ArmValue, PValue, ResultFact, SafetyArm, SafetyFact
from evidence.render.writer import Writer

_TRAILING_COUNT = re.compile(r"^(?P<value>.*?\S)\s*\((?P<count>\d+\s*/\s*\d+)\)$")


def _reported(w: Writer, text: str) -> str:
    match = _TRAILING_COUNT.match(text)
    if w.zh and match:
        return match["value"] + w.paren(match["count"]).strip()
    return text


def _spread(w: Writer, v: ArmValue) -> str | None:
    """The dispersion as printed, else from the parsed numbers (never recomputed)."""
    if v.dispersion_reported:
        text = v.dispersion_reported
    elif v.dispersion_value is not None:
        text = w.number(v.dispersion_value)
    elif v.dispersion_low is not None and v.dispersion_high is not None:
        text = w._("%(low)s to %(high)s", low=w.number(v.dispersion_low),
                   high=w.number(v.dispersion_high))
    else:
        return None
    return text


def value_text(w: Writer, v: ArmValue) -> str:
    """One arm's value: `55.17% (16/29)†`, `-3.2 ± 1.1`, `16/29`."""
    counts = f"{v.events}/{v.n}" if v.events is not None and v.n is not None else None
    if v.reported:
        text = _reported(w, v.reported)
    elif v.value is not None:
        unit = v.unit or ""
        text = w.number(v.value) + (unit if unit == "%" else (" " + w.unit(unit) if unit else ""))
    elif counts:
        return w.derived(counts, v.counts_derived)
    else:
        return w._("not reported")
    spread = _spread(w, v)
    if spread and v.dispersion in ("sd", "se"):
        text = w._("%(value)s ± %(spread)s", value=text, spread=spread)
    elif spread:
        text += w.paren(spread)
    if counts and counts.replace(" ", "") not in text.replace(" ", ""):
        text += w.derived(w.paren(counts), v.counts_derived)
    return text


def _p_text(w: Writer, p: PValue) -> str:
    if p.reported:
        return p.reported
    assert p.value is not None  # build.py keeps only comparisons with a p-value
    # TRANSLATORS: a p-value with its comparator, e.g. "p=0.03" or "p<0.001".
    return w._("p%(comparator)s%(value)s", comparator=p.comparator or "=",
               value=w.number(p.value))


def _descriptor(w: Writer, r: ResultFact) -> str:
    first = r.values[0]
    stat = codes.statistic(w, first.param)
    spread = codes.dispersion(w, first.dispersion, first.dispersion_level)
    parts = []
    if stat and spread and first.dispersion in ("sd", "se"):
        parts.append(w._("%(stat)s ± %(spread)s", stat=stat, spread=spread))
    elif stat and spread:
        parts.append(stat + w.paren(spread))
    elif stat or spread:
        parts.append(stat or spread or "")
    if r.unit and r.unit != "%":
        parts.append(w.unit(r.unit))
    # TRANSLATORS: separator inside a parenthetical, e.g. "(mean ± SD, mg/dL)".
    return w.pgettext("descriptor separator", ", ").join(parts)


def result_line(w: Writer, r: ResultFact) -> str:
    """`SRI-4 response at week 12: IL-2 55.17% (16/29)† vs placebo 30.00% (9/30)† (p=0.052).`"""
    outcome = w.term(r.endpoint)
    if r.timepoint:
        # TRANSLATORS: an outcome at a timepoint; Chinese puts the time first: 治疗 12 周时的…
        outcome = w._("%(endpoint)s %(timepoint)s", endpoint=outcome,
                      timepoint=w.timepoint(r.timepoint))
    if r.population:
        outcome = w._("%(outcome)s in %(population)s", outcome=outcome,
                      population=w.term(r.population))
    if r.category:
        outcome += w.paren(w.term(r.category))
    outcome += w.paren(_descriptor(w, r))
    # TRANSLATORS: an arm's result, e.g. "IL-2 55.17%"; the arm is already "IL-2 组" in Chinese.
    values = [w._("%(arm)s %(value)s", arm=w.arm(v.arm), value=value_text(w, v))
              for v in r.values]
    # TRANSLATORS: between the values of two arms: "IL-2 55% vs placebo 30%".
    joined = w.pgettext("versus", " vs ").join(values)
    p_parts = []
    for p in r.p_values:
        text = _p_text(w, p)
        if not p.covers_all_arms or len(r.p_values) > 1:
            # TRANSLATORS: between the arms a p-value compares: "IL-2 vs placebo: p=0.03".
            arms = w.pgettext("compared arms", " vs ").join(w.arm(a) for a in p.arms)
            # TRANSLATORS: which arms a p-value compares; Chinese: "甲组与乙组比较：p=0.03".
            text = w._("%(arms)s: %(p)s", p=text, arms=arms)
        p_parts.append(text)
    p_text = w.paren(w.clauses(p_parts)) if p_parts else ""
    return w.sentence(w._("%(outcome)s: %(values)s%(p)s.", outcome=outcome, values=joined,
                          p=p_text))


def _safety_arm(w: Writer, term: str, a: SafetyArm) -> str:
    arm = w.arm(a.arm)
    if a.affected == 0:
        text = w._("no %(term)s in the %(arm)s arm", term=term, arm=arm)
    elif a.affected is not None:
        text = w.ngettext("%(num)s patient with %(term)s in the %(arm)s arm",
                          "%(num)s patients with %(term)s in the %(arm)s arm",
                          a.affected, num=a.affected, term=term, arm=arm)
    elif a.events is not None:
        text = w.ngettext("%(num)s event of %(term)s in the %(arm)s arm",
                          "%(num)s events of %(term)s in the %(arm)s arm",
                          a.events, num=a.events, term=term, arm=arm)
    else:
        return w._("%(term)s in the %(arm)s arm: not reported", term=term, arm=arm)
    if a.affected is not None and a.at_risk is not None:
        text += w.paren(f"{a.affected}/{a.at_risk}")
    return text


def safety_line(w: Writer, s: SafetyFact) -> str:
    """`No serious infection in the IL-2 arm (0/29); 2 patients with ... (2/30).`"""
    term = w.term(s.term)
    said = "serious" in (s.term.en or "").lower() or "严重" in (s.term.zh or "")
    if s.serious and not said:
        term = w._("serious %(term)s", term=term)
    arms = [_safety_arm(w, term, a) for a in s.arms]
    return w.sentence(w._("%(arms)s.", arms=w.clauses(arms)))
