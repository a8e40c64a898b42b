"""Words for the record's codes (design, route, frequency, statistic) in one language.

Each code is a literal message so extraction finds it; an unknown code is treated
as a term (glossary, else marked as untranslated) rather than printed raw.
"""

from __future__ import annotations

from evidence.render.facts import Term
from evidence.render.writer import Writer


def allocation(w: Writer, code: str | None) -> str | None:
    if code == "randomised":
        return w._("randomised")
    if code == "non_randomised":
        return w._("non-randomised")
    return None


def masking(w: Writer, code: str | None) -> str | None:
    if code == "none":
        return w._("open-label")
    if code == "single":
        return w._("single-blind")
    if code == "double":
        return w._("double-blind")
    if code == "triple":
        return w._("triple-blind")
    if code == "quadruple":
        return w._("quadruple-blind")
    return None


def control(w: Writer, code: str | None) -> str | None:
    if code == "placebo":
        return w._("placebo-controlled")
    if code == "active":
        return w._("active-controlled")
    if code == "no_treatment":
        return w._("no-treatment-controlled")
    if code == "dose_comparison":
        # TRANSLATORS: a design adjective: arms differ only in dose.
        return w._("dose-comparison")
    if code == "historical":
        return w._("historically controlled")
    if code == "usual_care":
        return w._("usual-care-controlled")
    return None


def phase(w: Writer, code: str) -> str | None:
    if code == "early_phase1":
        return w._("early phase 1")
    if code == "phase1":
        return w._("phase 1")
    if code == "phase2":
        return w._("phase 2")
    if code == "phase3":
        return w._("phase 3")
    if code == "phase4":
        return w._("phase 4")
    return None


def route(w: Writer, code: str) -> str:
    """`subcutaneously` / `皮下给药`."""
    key = code.strip().lower()
    if key in ("subcutaneous", "sc", "s.c."):
        return w._("subcutaneously")
    if key in ("intravenous", "iv", "i.v."):
        return w._("intravenously")
    if key in ("oral", "po", "p.o."):
        return w._("orally")
    if key in ("intramuscular", "im", "i.m."):
        return w._("intramuscularly")
    if key == "topical":
        return w._("topically")
    if key in ("inhaled", "inhalation"):
        return w._("by inhalation")
    return w.term(Term(code, None, "route"))


def frequency(w: Writer, code: str) -> str:
    """`every other day` / `隔日一次`."""
    key = code.strip().lower()
    if key == "qd":
        return w._("once daily")
    if key == "bid":
        return w._("twice daily")
    if key == "tid":
        return w._("three times daily")
    if key == "qid":
        return w._("four times daily")
    if key == "qod":
        return w._("every other day")
    if key == "qw":
        return w._("once weekly")
    if key == "q2w":
        return w._("every 2 weeks")
    if key == "q4w":
        return w._("every 4 weeks")
    if key == "once":
        return w._("as a single dose")
    if key == "prn":
        return w._("as needed")
    return w.term(Term(code, None, "frequency"))


def statistic(w: Writer, param: str) -> str | None:
    """The name of an arm-level statistic, where it needs saying."""
    if param == "mean":
        # TRANSLATORS: the statistic (arithmetic mean), not the verb.
        return w._("mean")
    if param == "ls_mean":
        return w._("least-squares mean")
    if param == "geometric_mean":
        return w._("geometric mean")
    if param == "geometric_ls_mean":
        return w._("geometric least-squares mean")
    if param == "median":
        return w._("median")
    if param == "log_mean":
        return w._("log mean")
    return None


def dispersion(w: Writer, code: str | None, level: float | None) -> str | None:
    """`SD`, `95% CI` ... / `标准差`, `95% CI`."""
    if code == "sd":
        # TRANSLATORS: standard deviation.
        return w._("SD")
    if code == "se":
        # TRANSLATORS: standard error.
        return w._("SE")
    if code == "iqr":
        return w._("IQR")
    if code == "range":
        # TRANSLATORS: the spread of values from minimum to maximum (statistics).
        return w._("range")
    if code == "geometric_cv":
        return w._("geometric CV")
    if code == "ci":
        return w._("%(level)s%% CI", level=w.number(level if level is not None else 95))
    return None
