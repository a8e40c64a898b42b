"""The side-by-side HTML summary as a reader sees it in real headless Chromium.

Needs Debian's `chromium`, `chromium-driver` and `fonts-noto-cjk`, and selenium.
Without them the test fails under CI (CI=true) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from evidence.recordio import record_from_data
from evidence.render import render_both

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "evidence" / "examples" / "seed-il2-sle.yaml"


def _require(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser test needs {what} (apt-get install chromium chromium-driver "
                    f"fonts-noto-cjk; pip install -e '.[test]')")
    pytest.skip(f"{what} not installed")


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _require("selenium")
    browser = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if browser is None:
        _require("chromium")
    if not Path(chromedriver).exists():
        _require("chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = browser  # both paths given: Selenium Manager never downloads
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1400,1100"):
        options.add_argument(flag)
    session = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        yield session
    finally:
        session.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    record = record_from_data(yaml.safe_load(SEED.read_text(encoding="utf-8")))
    path = tmp_path_factory.mktemp("html") / "summary.html"
    path.write_text(render_both(record, "html").text, encoding="utf-8")
    return path


def test_side_by_side_summary_shows_both_languages(driver: Any, page: Path,
                                                   tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.get(page.as_uri())
    shot = tmp_path / "summary.png"
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("EVIDENCE_KEEP_SCREENSHOT"):  # for a person to look at
        shutil.copy(shot, os.environ["EVIDENCE_KEEP_SCREENSHOT"])

    en = driver.find_element(By.CSS_SELECTOR, 'article[lang="en"]')
    zh = driver.find_element(By.CSS_SELECTOR, 'article[lang="zh-Hans-CN"]')
    # Side by side: same top, Chinese column to the right of the English one.
    assert en.location["y"] == zh.location["y"]
    assert zh.location["x"] >= en.location["x"] + en.size["width"]

    en_text, zh_text = en.text, zh.text  # the text as rendered and visible
    for fact in ("60 patients with systemic lupus erythematosus",
                 "IL-2 55.17% (16/29)† vs placebo 30.00% (9/30)† (p=0.052)",
                 "IL-2 65.52% (19/29)† vs placebo 36.67% (11/30)† (p=0.027)",
                 "The primary endpoint was not met at week 12.",
                 "IL-2 53.85% (7/13) vs placebo 16.67% (2/12) (p=0.036)",
                 "No serious infection in the IL-2 arm (0/29)",
                 "NCT02465580 and NCT02932137"):
        assert fact in en_text
    for fact in ("60 例系统性红斑狼疮患者",
                 "IL-2 组 55.17%（16/29）†，安慰剂组 30.00%（9/30）†（p=0.052）",
                 "主要终点未在治疗 12 周时达到。",
                 "IL-2 组 53.85%（7/13），安慰剂组 16.67%（2/12）（p=0.036）",
                 "IL-2 组未观察到严重感染（0/29）；安慰剂组有 2 例发生严重感染（2/30）",
                 "2019年9月19日在线发表"):
        assert fact in zh_text


_GLYPHS_JS = """
const font = getComputedStyle(document.querySelector('article[lang="zh-Hans-CN"]')).fontFamily;
const draw = (ch) => {
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 64;
  const ctx = canvas.getContext('2d');
  ctx.font = '48px ' + font;
  ctx.fillText(ch, 4, 52);
  return canvas.toDataURL();
};
return [draw(''), draw('设'), draw('计'), draw('组'),
        draw('\\u{F0001}'), draw('\\u{F0002}')];
"""


def test_chinese_glyphs_render_not_tofu(driver: Any, page: Path) -> None:
    driver.get(page.as_uri())
    family = driver.execute_script(
        "return getComputedStyle(document.querySelector('article[lang=\"zh-Hans-CN\"]'))"
        ".fontFamily;")
    assert family.startswith('"Noto Sans CJK SC"')
    # Missing glyphs all draw the same box; real glyphs differ from each other and from blank.
    blank, *glyphs, tofu1, tofu2 = driver.execute_script(_GLYPHS_JS)
    assert tofu1 == tofu2  # control: two characters no font has look the same
    assert blank not in glyphs and tofu1 not in glyphs
    assert len(set(glyphs)) == 3
