"""The early-stopping search (evidence.search_topk) ranks exactly as reading every match does.

On a database of 300 synthetic registry studies, the real ClinicalTrials.gov fixtures
and the seed trial, hundreds of queries drawn from the indexed texts themselves
(common and rare words, Chinese runs, several terms, a language filter, limits from
1 to 60) must give the same trials, scores, matched kinds and snippet rows both ways.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import make_corpus
from evidence import search_topk
from evidence.crud import save_record
from evidence.db import DatabaseError, make_engine, upgrade
from evidence.importing import import_paths
from evidence.reader import RawDB
from evidence.recordio import load_record
from evidence.search import rank_every_match, search
from evidence.search_index import TRIAL_ID_LIMIT, trial_of_key
from evidence.search_topk import Ranked, top_trials
from tests.conftest import FIXTURES, SEED_RECORD

COMMON = ["placebo", "study", "safety", "patients", "efficacy", "randomized", "安慰剂对照",
          "the", "and"]


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("topk")
    make_corpus.write_corpus(300, 5, root / "studies")
    url = f"sqlite:///{root / 'evidence.db'}"
    upgrade(url)
    engine = make_engine(url)
    report = import_paths(engine, [root / "studies", FIXTURES / "ctgov"], fmt="ctgov")
    assert not report.failed and report.count("created") > 300
    with engine.begin() as conn:
        save_record(conn=conn, record=load_record(SEED_RECORD))
    engine.dispose()
    yield url


def _queries(url: str, count: int, seed: int) -> list[tuple[list[str], str | None, int]]:
    """Terms taken from indexed bodies: words, Chinese runs, mixes of both, 1-3 terms."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    bodies = [r[0] for r in conn.execute("SELECT body FROM search_index ORDER BY rowid")]
    conn.close()
    rng = random.Random(seed)
    words = sorted({w.lower() for b in bodies for w in re.findall(r"[A-Za-z0-9-]{3,}", b)})
    runs = sorted({r[i:i + n] for b in bodies for r in re.findall(r"[\u4e00-\u9fff]{3,}", b)
                   for n in (3, 4) for i in range(0, len(r) - n + 1, 2)})
    out = []
    for _ in range(count):
        pool = runs if runs and rng.random() < 0.25 else words
        terms = [rng.choice(COMMON) if rng.random() < 0.3 else rng.choice(pool)
                 for _ in range(rng.choice((1, 1, 2, 3)))]
        terms = list(dict.fromkeys(terms))
        out.append((terms, rng.choice((None, None, "en", "zh")), rng.choice((1, 3, 20, 60))))
    return out


def _both(url: str, terms: list[str], lang: str | None, limit: int) -> tuple[list[Ranked], ...]:
    with RawDB(url) as db:
        return top_trials(db.conn, terms, lang, limit), rank_every_match(db, terms, lang, limit)


def test_common_words_rank_alike(corpus_db: str) -> None:
    for term in COMMON:
        for lang in (None, "en", "zh"):
            for limit in (1, 20, 60):
                fast, full = _both(corpus_db, [term], lang, limit)
                assert fast == full, (term, lang, limit)
    fast, _ = _both(corpus_db, ["placebo"], None, 20)
    assert len(fast) == 20 and len({r.score for r in fast}) > 1  # a real ranking, not ties


@pytest.mark.parametrize("fetch", [search_topk._FETCH, 2])
def test_drawn_queries_rank_alike(corpus_db: str, fetch: int,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # fetch=2 makes every stream refill and seek constantly: the paths a large corpus takes.
    monkeypatch.setattr(search_topk, "_FETCH", fetch)
    found = 0
    for terms, lang, limit in _queries(corpus_db, 300, seed=fetch):
        fast, full = _both(corpus_db, terms, lang, limit)
        assert fast == full, (terms, lang, limit)
        found += bool(full)
    assert found > 100  # the drawn queries mostly find something: the comparison is not vacuous


def test_search_hits_come_from_the_ranking(corpus_db: str) -> None:
    with RawDB(corpus_db) as db:
        hits = search(db, "placebo randomized", limit=5)
        ranked = rank_every_match(db, ["placebo", "randomized"], None, 5)
    assert [(h.trial_id, h.score) for h in hits] == [(r.trial_id, r.score) for r in ranked]
    assert all("placebo" in h.snippet.lower() for h in hits)


def test_keys_hold_the_trial_id(corpus_db: str) -> None:
    conn = sqlite3.connect(corpus_db.removeprefix("sqlite:///"))
    rows = conn.execute("SELECT rowid, trial_id FROM search_index").fetchall()
    conn.close()
    assert rows and all(trial_of_key(key) == trial for key, trial in rows)


def test_ids_beyond_the_keys_are_refused(corpus_db: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    source = sqlite3.connect(corpus_db.removeprefix("sqlite:///"))
    source.backup(dest := sqlite3.connect(copy))
    source.close()
    with pytest.raises(sqlite3.IntegrityError, match="search index: trial ids must be below"):
        dest.execute("UPDATE condition SET trial_id = ? WHERE id = (SELECT MIN(id) FROM "
                     "condition)", (TRIAL_ID_LIMIT,))
    dest.close()


def test_a_save_past_the_keys_is_refused_whole(corpus_db: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    source = sqlite3.connect(corpus_db.removeprefix("sqlite:///"))
    source.backup(dest := sqlite3.connect(copy))
    source.close()
    with dest:  # the last trial moves to the last id the keys can hold
        dest.execute("UPDATE trial SET id = ? WHERE id = (SELECT MAX(id) FROM trial)",
                     (TRIAL_ID_LIMIT - 1,))
    before = dest.execute("SELECT COUNT(*) FROM trial").fetchone()[0]
    dest.close()
    record = load_record(SEED_RECORD).model_copy(update={"registrations": [],
                                                         "publications": []})
    engine = make_engine(f"sqlite:///{copy}")
    with pytest.raises(DatabaseError, match="table trial has run out of ids the search index "
                                            "can hold"), engine.begin() as conn:
        save_record(conn=conn, record=record)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM trial").scalar() == before
    engine.dispose()
