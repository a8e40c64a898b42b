"""Locale ids, cached gettext catalogs and Babel formatting helpers for summaries.

There are exactly two summary languages, each with ONE catalog folder id under
locales/: `en` and `zh_Hans_CN`. Every spelling a user may type (`zh`, `zh-CN`,
`zh_Hans` ...) is mapped onto the folder id here, because Babel's
`Translations.load` silently returns English when the folder and the requested
id differ (STYLE trap 6). Catalogs are compiled from the .po files on first use
(the .mo files are not committed) and a missing catalog is an error, never a
silent fallback to English.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gettext
import io
import os
import re
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from evidence.config import locales_dir
from evidence.errors import EvidenceError

EN = "en"
ZH = "zh_Hans_CN"
LOCALES = (EN, ZH)
DOMAIN = "messages"

_ALIASES = {
    "en": EN, "en_us": EN, "en_gb": EN, "english": EN,
    "zh": ZH, "zh_cn": ZH, "zh_hans": ZH, "zh_hans_cn": ZH, "chinese": ZH,
}

# Date patterns are explicit so the output never depends on the process locale
# or on CLDR's "long" format changing between Babel releases (STYLE trap 7).
_DATE_PATTERNS = {EN: "d MMMM y", ZH: "y年M月d日"}
_MONTH_PATTERNS = {EN: "MMMM y", ZH: "y年M月"}


class LocaleError(EvidenceError):
    """An unknown summary language, or a catalog that cannot be loaded."""


def normalize_lang(lang: str) -> str:
    """Map user input (`zh`, `zh-CN`, `zh_Hans`, `en-GB` ...) onto a catalog folder id."""
    key = lang.strip().replace("-", "_").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise LocaleError(f"unknown summary language {lang!r}; use one of: en, zh")


def short_lang(locale: str) -> str:
    """The record's Text key (`en` / `zh`) and HTML `lang` subtag for a catalog id."""
    return "zh" if locale == ZH else "en"


def html_lang(locale: str) -> str:
    """BCP 47 tag for the HTML `lang` attribute."""
    return "zh-Hans-CN" if locale == ZH else "en"


def po_path(locale: str, root: Path | None = None) -> Path:
    """Where the .po catalog of a locale lives."""
    return (root or locales_dir()) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(po: Path, locale: str) -> bytes:
    """Compile one .po file to .mo bytes with Babel (fuzzy entries are left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _mo_bytes(po: Path, locale: str) -> bytes:
    # A .mo beside the .po is a cache: used when newer than the .po, rewritten
    # when stale, and skipped silently when the folder is read-only.
    mo = po.with_suffix(".mo")
    try:
        if mo.stat().st_mtime >= po.stat().st_mtime:
            return mo.read_bytes()
    except OSError:
        pass
    data = compile_po(po, locale)
    # Write beside, then rename: a concurrent reader never sees half a .mo file.
    tmp = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        tmp.write_bytes(data)
        os.replace(tmp, mo)
    return data


@cache
def translations(locale: str) -> gettext.GNUTranslations:
    """The compiled catalog of a locale id; raises LocaleError instead of falling back."""
    locale = normalize_lang(locale)
    po = po_path(locale)
    if not po.is_file():
        raise LocaleError(f"message catalog not found: {po}")
    try:
        return gettext.GNUTranslations(io.BytesIO(_mo_bytes(po, locale)))
    except Exception as exc:  # Babel parse errors and bad .mo data alike
        raise LocaleError(f"cannot load message catalog {po}: {exc}") from exc


# --- CJK spacing --------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Latin letters, digits and the marks that stick to them; a space separates these
# from Chinese characters, as on the seed page ("IL-2 组", "治疗 12 周时").
_LATIN = re.compile(r"[A-Za-z0-9%⟦⟧†.+\-]")
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\)[sd]|%)")


def _needs_space(left: str, right: str) -> bool:
    return bool((_CJK.match(left) and _LATIN.match(right))
                or (_LATIN.match(left) and _CJK.match(right)))


@lru_cache(maxsize=2048)
def _placeholders(template: str) -> tuple[tuple[int, int, str | None], ...]:
    # A summary fills the same few hundred catalog messages thousands of times.
    return tuple((m.start(), m.end(), m.group(1)) for m in _PLACEHOLDER.finditer(template))


def interpolate(template: str, values: dict[str, object], *, cjk: bool = False) -> str:
    """`template % values`; for Chinese also put a space where a value meets a hanzi."""
    if not cjk:
        return template % values
    if "%" not in template:  # most labels: nothing to fill in
        return template
    out: list[str] = []
    pos = 0
    follows_value = False
    for start, end, name in _placeholders(template):
        out.append(template[pos:start])
        follows_value = follows_value and pos == start
        pos = end
        if name is None:  # "%%"
            out.append("%")
            follows_value = False
            continue
        value = str(values[name])
        before = next((part[-1] for part in reversed(out) if part), "")
        after = template[end:end + 1]
        # Two values written back to back ("%(agent)s%(dose)s") need a space between
        # Latin neighbours too: "GET73 300 mg", but "白细胞介素 2（IL-2）100 万 IU".
        latin_pair = follows_value and bool(_LATIN.match(before) and _LATIN.match(value[:1]))
        if value and before and (latin_pair or _needs_space(before, value[0])):
            out.append(" ")
        out.append(value)
        if value and after and _needs_space(value[-1], after):
            out.append(" ")
        follows_value = bool(value)
    out.append(template[pos:])
    return "".join(out)


# --- numbers and dates --------------------------------------------------------------

def format_number(value: float | int | Decimal, locale: str, pattern: str = "#,##0.###") -> str:
    """A derived or parsed number through Babel, with explicit locale and pattern."""
    from babel.numbers import format_decimal

    # str() first: Decimal(float) would expose binary noise (12.1 -> 12.0999...).
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return format_decimal(number, format=pattern, locale=locale, decimal_quantization=False)


def format_date(date: dt.date, locale: str) -> str:
    """A full date: `19 September 2019` / `2019年9月19日`."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(date, _DATE_PATTERNS[locale], locale=locale)


def format_partial_date(value: str, locale: str) -> str:
    """An ISO partial date (`2019`, `2019-09`, `2019-09-19`) in the locale's words."""
    from babel.dates import format_date as babel_format_date

    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return format_date(dt.date(*parts), locale)
    if len(parts) == 2:
        return babel_format_date(dt.date(parts[0], parts[1], 1), _MONTH_PATTERNS[locale],
                                 locale=locale)
    return str(parts[0]) if locale == EN else f"{parts[0]}年"
