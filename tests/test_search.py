"""Full-text search in English and Chinese, and the index kept in step by triggers."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from evidence.crud import save_record
from evidence.db import downgrade, make_engine, upgrade
from evidence.reader import RawDB
from evidence.recordio import load_record
from evidence.records import Record
from evidence.search import Hit, SearchError, parse_terms, search
from evidence.search_index import KINDS, SLOTS, trial_of_key
from tests.conftest import SEED_RECORD, run_cli

TITLE_ZH = "低剂量白细胞介素 2 治疗系统性红斑狼疮的疗效和安全性：一项随机、双盲、安慰剂对照试验"


def _save(url: str, record: Record) -> int:
    engine = make_engine(url)
    with engine.begin() as conn:
        trial_id = save_record(conn=conn, record=record).trial_id
    engine.dispose()
    return trial_id


@pytest.fixture
def seeded(db_url: str) -> str:
    _save(db_url, load_record(SEED_RECORD))
    return db_url


def _search(url: str, query: str, lang: str | None = None) -> list[Hit]:
    with RawDB(url) as db:
        return search(db, query, lang=lang)


def _index_texts(record: Record) -> int:
    """How many non-empty texts of the record the index should hold."""
    t = record.trial
    texts = [t.title.en, t.title.zh, t.official_title, t.acronym]
    texts += [x for c in t.conditions for x in (c.en, c.zh)]
    for iv in record.interventions:
        texts += [iv.name.en, iv.name.zh, "; ".join(iv.other_names) or None]
    texts += [x for e in record.endpoints for x in (e.name.en, e.name.zh)]
    for p in record.publications:
        texts += [p.title.en if p.title else None, p.title.zh if p.title else None,
                  p.abstract.en if p.abstract else None, p.abstract.zh if p.abstract else None]
        texts += [" ".join(s.text.en for s in p.abstract_sections if s.text.en) or None,
                  " ".join(s.text.zh for s in p.abstract_sections if s.text.zh) or None]
    return sum(1 for x in texts if x)


def _index_count(url: str) -> int:
    with RawDB(url) as db:
        return int(db.all("SELECT COUNT(*) AS n FROM search_index")[0]["n"])


@pytest.mark.parametrize(("query", "matched"), [
    ("狼疮肾炎", ("endpoint", "abstract")),
    ("低剂量", ("title", "abstract")),
    ("lupus", ("title", "condition", "endpoint", "abstract")),
    ("LUPUS", ("title", "condition", "endpoint", "abstract")),
    ("IL-2", ("title", "agent", "abstract")),
    ("interleukin", ("agent",)),
    ("白细胞介素", ("title", "agent", "abstract")),
    ("狼疮", ("title", "condition", "endpoint", "abstract")),  # 2 characters: scanned
    ("肾炎", ("endpoint", "abstract")),
    ("IL", ("title", "agent", "abstract")),
    ("lupus 狼疮肾炎", ("title", "condition", "endpoint", "abstract")),
    ('"lupus nephritis"', ("endpoint", "abstract")),
])
def test_search_finds_the_seed(seeded: str, query: str, matched: tuple[str, ...]) -> None:
    (hit,) = _search(seeded, query)
    assert (hit.trial_id, hit.registration_ids, hit.matched) == (
        1, "NCT02465580, NCT02932137", matched)


@pytest.mark.parametrize(("query", "lang"), [
    ("xyzzy", None), ("糖尿病", None), ("lupus 糖尿病", None), ("狼疮肾炎", "en"),
    ("lupus", "zh"), ("interleukin", "zh"), ("50%", None), ("l_pus", None),
])
def test_search_misses(seeded: str, query: str, lang: str | None) -> None:
    assert _search(seeded, query, lang) == []


def test_language_filter_and_title_language(seeded: str) -> None:
    (zh,) = _search(seeded, "狼疮肾炎", "zh")
    assert (zh.title, zh.matched, zh.snippet) == (TITLE_ZH, ("endpoint", "abstract"),
                                                  "狼疮肾炎完全缓解")
    (en,) = _search(seeded, "IL-2", "en")
    assert en.title is not None and en.title.startswith("Efficacy and safety of low-dose IL-2")
    assert en.matched == ("title", "agent", "abstract")
    (zh_il2,) = _search(seeded, "IL-2", "zh")  # Chinese texts print IL-2 too
    assert zh_il2.matched == ("agent", "abstract") and zh_il2.title == TITLE_ZH


def test_ranking_puts_titles_first(seeded: str) -> None:
    other = load_record(SEED_RECORD).model_copy(deep=True)
    other.registrations = []
    other.publications = []
    other.trial.title.en = "A trial of something else"
    other.trial.title.zh = "另一项试验"
    other.trial.conditions = []
    other.endpoints[0].name.en = "lupus response"
    _save(seeded, Record.model_validate(other.model_dump()))
    hits = _search(seeded, "lupus")
    assert [(h.trial_id, h.score) for h in hits] == [(1, 5 + 4 + 3 + 1), (2, 3)]


def test_index_follows_saves_replacements_and_deletes(seeded: str) -> None:
    record = load_record(SEED_RECORD)
    assert _index_count(seeded) == _index_texts(record) == 17
    edited = record.model_copy(deep=True)
    edited.trial.conditions[0].en = "discoid lupus"
    edited.trial.conditions[0].zh = "盘状狼疮"
    edited.endpoints[1].name.zh = "肾脏缓解"
    assert _save(seeded, Record.model_validate(edited.model_dump())) == 1
    assert _search(seeded, "盘状狼疮")[0].matched == ("condition",)
    assert _search(seeded, "erythematosus")[0].matched == ("title", "abstract")
    assert _search(seeded, "狼疮肾炎")[0].matched == ("abstract",)
    assert _index_count(seeded) == 17
    engine = make_engine(seeded)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM trial WHERE id = 1"))
    engine.dispose()
    assert _search(seeded, "lupus") == []
    assert _index_count(seeded) == 0


def test_migration_rebuilds_the_index_from_stored_rows(seeded: str) -> None:
    """Down to 0002 (no index: search says to upgrade), rows stay; up again, all indexed."""
    downgrade(seeded, "0002")
    with pytest.raises(SearchError, match="evidence init"):
        _search(seeded, "lupus")
    upgrade(seeded)
    assert _index_count(seeded) == 17
    assert [h.trial_id for h in _search(seeded, "狼疮肾炎")] == [1]


def _keys(url: str) -> list[tuple[int, int, str]]:
    key = "rowid" if url.startswith("sqlite") else "id"
    with RawDB(url) as db:
        return [(int(r["k"]), int(r["trial_id"]), r["kind"]) for r in db.all(
            f"SELECT {key} AS k, trial_id, kind FROM search_index ORDER BY {key}")]


def test_migration_0006_moves_the_keys_into_trial_order_and_back(seeded: str) -> None:
    """0005 keys are `source id * 32 + slot`; 0006 keys are kind, trial, source, slot."""
    other = load_record(SEED_RECORD).model_copy(deep=True)
    other.registrations, other.publications = [], []
    other = Record.model_validate(other.model_dump())
    _save(seeded, other)
    layout2 = _keys(seeded)
    assert len(layout2) == 17 + _index_texts(other) == 30
    assert [(t, k) for _, t, k in layout2] == sorted(
        ((t, k) for _, t, k in layout2), key=lambda p: (KINDS.index(p[1]), p[0]))
    assert all(trial_of_key(key) == trial for key, trial, _ in layout2)
    downgrade(seeded, "0005")
    layout1 = _keys(seeded)
    assert {(t, k) for _, t, k in layout1} == {(t, k) for _, t, k in layout2}
    assert layout1[0][0] == 1 * SLOTS + 1  # trial 1's English title: source id 1, slot 1
    # Layout-1 keys read as layout 2 would name wrong trials: refused, not answered.
    with pytest.raises(SearchError, match="older version: run `evidence init`"):
        _search(seeded, "lupus")
    upgrade(seeded)
    assert _keys(seeded) == layout2
    assert [h.trial_id for h in _search(seeded, "lupus")] == [1, 2]


def test_empty_query_is_an_error(seeded: str) -> None:
    with pytest.raises(SearchError, match="nothing to search for"):
        _search(seeded, '  "" ')


def test_a_limit_under_one_finds_nothing_on_either_path(seeded: str) -> None:
    with RawDB(seeded) as db:  # "lupus": the top-k path on SQLite; "IL": every match
        assert search(db, "lupus", limit=0) == search(db, "IL", limit=0) == []


def test_parse_terms() -> None:
    assert parse_terms('lupus  "lupus nephritis" 狼疮 lupus') == ["lupus", "lupus nephritis",
                                                                   "狼疮"]


def test_cli_search_json_and_table(seeded: str) -> None:
    done = run_cli("search", "狼疮肾炎", "--format", "json", db=seeded)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{
        "rank": 1, "trial_id": 1, "registration_ids": "NCT02465580, NCT02932137",
        "title": TITLE_ZH, "matched": "endpoint, abstract", "score": 4, "snippet": "狼疮肾炎完全缓解"}]
    assert done.stderr == "1 trial found\n"
    miss = run_cli("search", "xyzzy", "--lang", "en", "--format", "csv", db=seeded)
    assert (miss.returncode, miss.stdout, miss.stderr) == (
        0, "rank,registration_ids,title,matched,snippet\n", "0 trials found\n")
