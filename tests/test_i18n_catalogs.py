"""The gettext catalogs: current with the code, complete in Chinese, loadable, and used."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from evidence import i18n

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
PO = {locale: LOCALES / locale / "LC_MESSAGES" / "messages.po" for locale in ("en", "zh_Hans_CN")}


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _ids(catalog: Catalog) -> set[tuple[str | None, str | tuple[str, ...]]]:
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Re-extract messages from the code exactly as the documented command does."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    cwd = os.getcwd()
    os.chdir(ROOT)  # the mapping's patterns are relative to the input folder
    try:
        CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "pyproject.toml",
                                    "--add-location=file", "--project=evidence",
                                    "-o", str(out), "evidence"])
    finally:
        os.chdir(cwd)
    return _read(out)


def test_extraction_finds_the_renderer_messages(extracted: Catalog) -> None:
    ids = _ids(extracted)
    assert (None, "Design") in ids
    assert ("arm name", "%(arm)s") in ids
    assert (None, ("%(num)s patient", "%(num)s patients")) in ids


def test_template_is_current_with_the_code(extracted: Catalog) -> None:
    template = _read(POT)
    stale = _ids(template) - _ids(extracted)
    new = _ids(extracted) - _ids(template)
    assert not new, f"messages.pot lacks messages from the code (re-extract): {sorted(map(str, new))}"
    assert not stale, f"messages.pot has messages the code no longer uses: {sorted(map(str, stale))}"


def test_translator_comments_reach_the_template(extracted: Catalog) -> None:
    # Every message with a context is a separator or a bare placeholder: it needs a note.
    uncommented = [m.id for m in extracted if m.id and m.context and not m.auto_comments]
    assert not uncommented
    week = extracted.get("at week %(num)s")
    assert week is not None and any("治疗 12 周时" in c for c in week.auto_comments)


@pytest.mark.parametrize("locale", sorted(PO))
def test_catalog_has_every_template_message(locale: str) -> None:
    assert _ids(_read(PO[locale], locale)) == _ids(_read(POT))


def test_no_positional_or_brace_placeholders() -> None:
    # Babel's checker compares %(name)s placeholders only (STYLE trap 8).
    for message in _read(POT):
        for text in ([message.id] if isinstance(message.id, str) else message.id):
            assert not re.search(r"%[sd]|\{\w*\}", text), text


def test_chinese_catalog_complete_not_fuzzy_not_empty() -> None:
    catalog = _read(PO["zh_Hans_CN"], "zh_Hans_CN")
    assert not catalog.fuzzy
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy or not strings or not all(s and s.strip() for s in strings):
            problems.append(message.id)
    assert not problems, f"untranslated, empty or fuzzy Chinese messages: {problems}"


@pytest.mark.parametrize("locale", sorted(PO))
def test_placeholders_match_between_msgid_and_msgstr(locale: str) -> None:
    catalog = _read(PO[locale], locale)
    errors = [(message.id, [str(e) for e in errs]) for message, errs in catalog.check()]
    assert not errors


def test_the_checker_catches_a_renamed_placeholder() -> None:
    # Proof that the check above can fail: a translation with a different placeholder.
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("%(num)s week", "%(n)s 周", flags=["python-format"])
    assert [errs for _message, errs in catalog.check()]


def test_real_chinese_catalog_loads_and_translates() -> None:
    zh = i18n.translations("zh_Hans_CN")
    assert zh.gettext("Design") == "设计"
    assert zh.ngettext("%(num)s week", "%(num)s weeks", 12) == "%(num)s 周"
    assert zh.pgettext("arm name", "%(arm)s") == "%(arm)s组"
    assert i18n.translations("en").gettext("Design") == "Design"


@pytest.mark.parametrize("alias", ["zh", "zh-CN", "zh_CN", "zh-Hans", "zh_Hans", "ZH_hans_cn",
                                   "zh-Hans-CN"])
def test_chinese_aliases_share_one_folder(alias: str) -> None:
    assert i18n.normalize_lang(alias) == "zh_Hans_CN"
    assert i18n.translations(alias).gettext("Safety") == "安全性"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(i18n.LocaleError, match="unknown summary language 'fr'"):
        i18n.normalize_lang("fr")


def test_missing_catalog_is_an_error_not_english(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "locales_dir", lambda: tmp_path)
    i18n.translations.cache_clear()
    try:
        with pytest.raises(i18n.LocaleError, match="message catalog not found"):
            i18n.translations("zh")
    finally:
        i18n.translations.cache_clear()


def test_mo_cache_is_rebuilt_when_po_changes(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    shutil.copy(PO["zh_Hans_CN"], po)
    first = i18n._mo_bytes(po, "zh_Hans_CN")
    assert (tmp_path / "messages.mo").read_bytes() == first
    text = po.read_text(encoding="utf-8").replace('msgstr "设计"', 'msgstr "研究设计"')
    po.write_text(text, encoding="utf-8")
    os.utime(po, (po.stat().st_atime, (tmp_path / "messages.mo").stat().st_mtime + 10))
    second = i18n._mo_bytes(po, "zh_Hans_CN")
    assert "研究设计".encode() in second and "研究设计".encode() not in first


def test_interpolate_spaces_latin_from_hanzi_but_not_dates() -> None:
    assert i18n.interpolate("%(arm)s组", {"arm": "IL-2"}, cjk=True) == "IL-2 组"
    assert i18n.interpolate("%(arm)s组", {"arm": "安慰剂"}, cjk=True) == "安慰剂组"
    assert i18n.interpolate("%(arm)s未观察到%(term)s", {"arm": "IL-2 组", "term": "SAE"},
                            cjk=True) == "IL-2 组未观察到 SAE"
    assert i18n.interpolate("%(date)s在线发表", {"date": "2019年9月19日"},
                            cjk=True) == "2019年9月19日在线发表"
    assert i18n.interpolate("%(level)s%% CI", {"level": "95"}, cjk=True) == "95% CI"
    assert i18n.interpolate("%(agent)s%(dose)s", {"agent": "GET73", "dose": "300 mg"},
                            cjk=True) == "GET73 300 mg"
    assert i18n.interpolate("%(agent)s%(dose)s", {"agent": "白细胞介素 2（IL-2）",
                                                  "dose": "100 万 IU"},
                            cjk=True) == "白细胞介素 2（IL-2）100 万 IU"
    assert i18n.interpolate("%(arm)s group", {"arm": "IL-2"}) == "IL-2 group"


def test_numbers_and_dates_use_explicit_locale_and_pattern() -> None:
    assert i18n.format_number(1000000, "en") == "1,000,000"
    assert i18n.format_number(55.17, "zh_Hans_CN") == "55.17"
    assert i18n.format_number(12.0, "en") == "12"
    # Nothing is rounded away by the default pattern: 0.0525 stays 0.0525.
    assert i18n.format_number(0.0525, "en") == "0.0525"
    assert i18n.format_date(dt.date(2019, 9, 19), "en") == "19 September 2019"
    assert i18n.format_date(dt.date(2019, 9, 19), "zh_Hans_CN") == "2019年9月19日"
    assert i18n.format_partial_date("2019-09", "zh_Hans_CN") == "2019年9月"
    assert i18n.format_partial_date("2019", "en") == "2019"


def test_importing_the_renderer_stays_light() -> None:
    code = ("import sys, evidence.render; "
            "print(sorted(m for m in ('babel.messages', 'pydantic', 'yaml', 'scipy', 'lxml') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
