"""Phrases in one language: catalog look-ups, terms, arm names, lists, durations, timepoints.

Every message is a whole phrase with `%(name)s` placeholders so Chinese can reorder
it ("治疗 12 周时" for "at week 12"); code never glues translated words together
except through a translated separator or template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidence.glossary import Glossary
from evidence.i18n import ZH, format_number, interpolate, translations
from evidence.render.facts import Span, Term, TimepointFact

MISSING_OPEN, MISSING_CLOSE = "⟦", "⟧"  # marks a term shown untranslated
DERIVED = "†"  # marks a number the curator derived rather than copied


@dataclass(frozen=True)
class MissingTerm:
    """A term with no translation in the record or glossary, shown marked in the output."""

    lang: str
    kind: str
    text: str


def plural_n(value: float) -> int:
    # gettext picks a plural form from an int; 1.5 weeks is plural in English.
    return int(value) if float(value).is_integer() else 2


class Writer:
    """Translates and formats for one locale, collecting the terms it could not translate."""

    def __init__(self, locale: str, glossary: Glossary | None = None) -> None:
        self.locale = locale
        self.zh = locale == ZH
        self.lang = "zh" if self.zh else "en"
        self._catalog = translations(locale)
        self.glossary = glossary
        self.missing: list[MissingTerm] = []
        self._seen: set[MissingTerm] = set()
        self.used_derived = False

    # --- catalog ------------------------------------------------------------------------

    def _(self, msgid: str, **values: object) -> str:
        return interpolate(self._catalog.gettext(msgid), values, cjk=self.zh)

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        return interpolate(self._catalog.ngettext(singular, plural, n), values, cjk=self.zh)

    def pgettext(self, context: str, msgid: str, **values: object) -> str:
        return interpolate(self._catalog.pgettext(context, msgid), values, cjk=self.zh)

    # --- terms --------------------------------------------------------------------------

    def term(self, term: Term) -> str:
        """The term in this language: record first, then glossary, else marked and reported."""
        own, other = (term.zh, term.en) if self.zh else (term.en, term.zh)
        if own:
            return own
        if other and self.glossary is not None:
            found = self.glossary.zh(other) if self.zh else self.glossary.en(other)
            if found:
                return found
        text = other or "?"
        missing = MissingTerm(self.lang, term.kind, text)
        if missing not in self._seen:  # a set: big registry records have thousands of terms
            self._seen.add(missing)
            self.missing.append(missing)
        return f"{MISSING_OPEN}{text}{MISSING_CLOSE}"

    def arm(self, term: Term) -> str:
        """An arm as a noun: `IL-2` / `IL-2 组`."""
        name = self.term(term)
        if self.zh and name.endswith("组"):
            return name
        # TRANSLATORS: an arm (treatment group) named by its label; Chinese appends 组.
        return self.pgettext("arm name", "%(arm)s", arm=name)

    def unit(self, unit: str) -> str:
        """A unit: symbols (mg/kg, IU, mmol/L) stay; words ("points") are terms to translate."""
        if not self.zh or all(len(run) <= 4 for run in re.findall(r"[A-Za-z]+", unit)):
            return unit
        return self.term(Term(unit, None, "unit"))

    def derived(self, text: str, derived: bool) -> str:
        """Append the derived-number marker when the record says the number was derived."""
        if not derived:
            return text
        self.used_derived = True
        return text + DERIVED

    # --- punctuation ----------------------------------------------------------------------

    def join(self, items: list[str]) -> str:
        """`a, b and c` / `a、b 和 c`."""
        if len(items) <= 1:
            return "".join(items)
        # TRANSLATORS: separator between items of a list (not before the last one).
        head = self.pgettext("list separator", ", ").join(items[:-1])
        return self._("%(items)s and %(last)s", items=head, last=items[-1])

    def clauses(self, items: list[str]) -> str:
        """Clauses of one sentence: `a; b` / `a；b`."""
        # TRANSLATORS: separator between clauses of one sentence (a semicolon).
        return self.pgettext("clause separator", "; ").join(items)

    def paren(self, text: str) -> str:
        """A parenthetical appended to a phrase: ` (x)` / `（x）`."""
        if not text:
            return ""
        # TRANSLATORS: a parenthetical after a phrase, with its leading space if any.
        return self.pgettext("parenthetical", " (%(text)s)", text=text)

    def sentence(self, text: str) -> str:
        """Capitalise an English sentence (labels are lower case); no `..` at its end."""
        if text.endswith("..") and (text.endswith("....") or not text.endswith("...")):
            # A term ending in "." or "..." (a truncated registry title) meets the full stop.
            text = text[:-1]
        if not self.zh and text[:1].islower():
            return text[0].upper() + text[1:]
        return text

    # --- numbers --------------------------------------------------------------------------

    def number(self, value: float) -> str:
        """A parsed number with nothing rounded away, through Babel with an explicit pattern."""
        return format_number(value, self.locale, "#,##0.###")

    def duration(self, span: Span) -> str:
        """`12 weeks` / `12 周`."""
        num, n = self.number(span.value), plural_n(span.value)
        if span.unit == "hour":
            return self.ngettext("%(num)s hour", "%(num)s hours", n, num=num)
        if span.unit == "day":
            return self.ngettext("%(num)s day", "%(num)s days", n, num=num)
        if span.unit == "month":
            return self.ngettext("%(num)s month", "%(num)s months", n, num=num)
        if span.unit == "year":
            return self.ngettext("%(num)s year", "%(num)s years", n, num=num)
        return self.ngettext("%(num)s week", "%(num)s weeks", n, num=num)

    def duration_adjective(self, span: Span) -> str:
        """`2-week` (as in `a 2-week break`) / `2 周`."""
        num = self.number(span.value)
        if span.unit == "hour":
            return self._("%(num)s-hour", num=num)
        if span.unit == "day":
            return self._("%(num)s-day", num=num)
        if span.unit == "month":
            return self._("%(num)s-month", num=num)
        if span.unit == "year":
            return self._("%(num)s-year", num=num)
        # TRANSLATORS: a length used as an adjective, "a 2-week break"; Chinese: 2 周.
        return self._("%(num)s-week", num=num)

    def timepoint(self, tp: TimepointFact) -> str:
        """`at week 12` / `治疗 12 周时`, from the value and unit, else from the label."""
        if tp.value is None or tp.unit is None:
            # TRANSLATORS: a timepoint given only by its label, e.g. "at baseline".
            return self._("at %(label)s", label=self.term(tp.label))
        num = self.number(tp.value)
        if tp.unit == "hour":
            return self._("at hour %(num)s", num=num)
        if tp.unit == "day":
            return self._("at day %(num)s", num=num)
        if tp.unit == "month":
            return self._("at month %(num)s", num=num)
        if tp.unit == "year":
            return self._("at year %(num)s", num=num)
        # TRANSLATORS: time since the start of treatment; Chinese: 治疗 12 周时.
        return self._("at week %(num)s", num=num)
