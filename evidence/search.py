"""Full-text search over titles, conditions, agents, endpoints and abstracts, English and Chinese.

Trials must contain every term; they are ranked by where the terms occur
(evidence.search_index.WEIGHTS: a title counts most, an abstract least), ties by
trial id, so both engines rank alike. On SQLite, with every term 3+ characters
long (what the trigram index can answer), evidence.search_topk finds the best
trials without reading every match; otherwise, and on PostgreSQL, every matching
index row is read and ranked here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evidence.errors import EvidenceError
from evidence.search_index import INDEX_TABLE, KINDS, WEIGHTS
from evidence.search_topk import Ranked, top_trials

if TYPE_CHECKING:
    from evidence.reader import RawDB


class SearchError(EvidenceError):
    """The search cannot run: empty query, or a database without the search index."""


_TERM = re.compile(r'"([^"]*)"|([^\s"]+)')
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SNIPPET_CONTEXT = 30


@dataclass(frozen=True, slots=True)
class Hit:
    """One trial found: its rank score, IDs, title, what matched and a snippet of the text."""

    trial_id: int
    score: int
    registration_ids: str | None
    title: str | None
    matched: tuple[str, ...]
    snippet: str


def parse_terms(text: str) -> list[str]:
    """Whitespace-separated terms; "double quotes" keep a phrase together."""
    terms = [(m.group(1) or m.group(2) or "").strip() for m in _TERM.finditer(text)]
    return list(dict.fromkeys(t for t in terms if t))


# The migration that put the index in kind and trial order (layout 2), which the keys
# are read in here; revision ids are zero-padded, so they compare as text.
_LAYOUT_2_REVISION = "0006"


def _check_index_layout(db: RawDB) -> None:
    """Refuse a database whose index keys predate layout 2: they would read as wrong trials."""
    rows = db.all("SELECT version_num FROM alembic_version")
    if not rows or str(rows[0]["version_num"]) < _LAYOUT_2_REVISION:
        raise SearchError("this database's search index is from an older version: run "
                          "`evidence init` to upgrade it")


def search(db: RawDB, text: str, *, lang: str | None = None, limit: int = 20) -> list[Hit]:
    """Trials whose texts contain every term, best first (ties by trial id)."""
    terms = parse_terms(text)
    if not terms:
        raise SearchError("nothing to search for")
    if limit < 1:
        return []
    try:
        _check_index_layout(db)
        if db.sqlite and all(len(term) >= 3 for term in terms):
            ranked = top_trials(db.conn, terms, lang, limit)
        else:
            ranked = rank_every_match(db, terms, lang, limit)
        bodies = _bodies(db, [r.snippet_key for r in ranked])
    except Exception as exc:  # sqlite3 / psycopg errors: the index may be missing
        if INDEX_TABLE in str(exc):
            raise SearchError("this database has no search index: run `evidence init` "
                              "to upgrade it") from None
        raise db.explained(exc) from None
    meta = _trial_meta(db, [r.trial_id for r in ranked])
    zh = lang == "zh" or (lang is None and bool(_CJK.search(text)))
    hits = []
    for r in ranked:
        info = meta.get(r.trial_id, {})
        title = (info.get("title_zh") or info.get("title_en")) if zh else \
            (info.get("title_en") or info.get("title_zh"))
        hits.append(Hit(r.trial_id, r.score, info.get("registration_ids"), title,
                        tuple(k for k in KINDS if k in r.kinds),
                        _snippet(bodies.get(r.snippet_key, ""), terms[0])))
    return hits


def rank_every_match(db: RawDB, terms: list[str], lang: str | None, limit: int) -> list[Ranked]:
    """Rank by reading every index row that matches a term (any engine, any term length)."""
    matched: dict[int, dict[str, set[str]]] = {}  # trial -> term -> kinds
    first: dict[int, tuple[int, int]] = {}  # trial -> (weight, key) of its best first-term row
    for n, term in enumerate(terms):
        for row in _term_rows(db, term, lang):
            tid = int(row["trial_id"])
            if n and tid not in matched:
                continue
            matched.setdefault(tid, {}).setdefault(term, set()).add(row["kind"])
            # Rows come in key order, so the first row of the best weight wins a tie.
            if n == 0 and WEIGHTS[row["kind"]] > first.get(tid, (0, 0))[0]:
                first[tid] = (WEIGHTS[row["kind"]], int(row["id"]))
        matched = {t: m for t, m in matched.items() if term in m}
    scored = sorted(((sum(WEIGHTS[k] for kinds in m.values() for k in kinds), tid)
                     for tid, m in matched.items()), key=lambda s: (-s[0], s[1]))[:limit]
    return [Ranked(tid, score, frozenset(set().union(*matched[tid].values())), first[tid][1])
            for score, tid in scored]


def _like_pattern(term: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"


def _term_rows(db: RawDB, term: str, lang: str | None) -> list[dict[str, Any]]:
    key = "rowid" if db.sqlite else "id"
    where = "trial_id IS NOT NULL" + (" AND lang = :lang" if lang else "")
    cols = f"SELECT {key} AS id, trial_id, kind FROM {INDEX_TABLE} WHERE {where} AND "
    order = f" ORDER BY {key}"
    params: dict[str, Any] = {"lang": lang} if lang else {}
    if not db.sqlite:
        return db.all(cols + "body ILIKE :pat ESCAPE '\\'" + order, pat=_like_pattern(term),
                      **params)
    if len(term) >= 3:
        return db.all(cols + f"{INDEX_TABLE} MATCH :q" + order,
                      q='"' + term.replace('"', '""') + '"', **params)
    # Under 3 characters a trigram index cannot answer: scan. `body || ''` keeps SQLite
    # (3.40) from handing LIKE to FTS5, which returns no rows for short non-ASCII patterns.
    return db.all(cols + "(body || '') LIKE :pat ESCAPE '\\'" + order,
                  pat=_like_pattern(term), **params)


def _bodies(db: RawDB, keys: list[int]) -> dict[int, str]:
    if not keys:
        return {}
    key = "rowid" if db.sqlite else "id"
    names = {f"k{i}": k for i, k in enumerate(keys)}
    rows = db.all(f"SELECT {key} AS id, body FROM {INDEX_TABLE} "
                  f"WHERE {key} IN ({', '.join(':' + k for k in names)})", **names)
    return {int(r["id"]): r["body"] for r in rows}


def _snippet(body: str, term: str) -> str:
    flat = " ".join(body.split())
    at = flat.lower().find(term.lower())
    if at < 0:
        return flat[:2 * _SNIPPET_CONTEXT]
    start, end = max(0, at - _SNIPPET_CONTEXT), min(len(flat), at + len(term) + _SNIPPET_CONTEXT)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


def _trial_meta(db: RawDB, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    names = {f"t{i}": tid for i, tid in enumerate(ids)}
    rows = db.all("SELECT trial_id, registration_ids, title_en, title_zh FROM v_trials "
                  f"WHERE trial_id IN ({', '.join(':' + k for k in names)})", **names)
    return {int(r["trial_id"]): r for r in rows}
