"""The best trials of a search without reading every match (SQLite FTS5, key layout 2).

A trial's score is the sum, over the terms, of the weights of the kinds of text
the term occurs in (evidence.search_index.WEIGHTS); trials need every term; ties
go to the lower trial id. Reading every matching row to rank them costs seconds
for a common word at registry size ('placebo' matches 348,143 of 550,000 trials),
so this reads one stream per (term, kind): the kind's key range of the FTS5 match,
which comes in trial order, and merges them the way WAND does (Broder et al.,
2003). Once `limit` trials are held, the lowest held score is a threshold, and a
trial can only enter if the streams still positioned at or before it could sum
above it: every stream is moved past the trials that cannot, by a new seek when
the target lies beyond what it has read. A stream that runs out stops counting,
so the search ends when the streams left cannot beat the threshold. The result is
exactly what ranking every match gives (tests/test_search_topk.py compares the two).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from evidence.search_index import (
    INDEX_TABLE,
    KINDS,
    WEIGHTS,
    kind_range,
    kind_trial_key,
    trial_of_key,
)

# Keys sort by kind in KINDS order; the first matching row of a trial in key order is
# then in its best-weighted kind, which is what the snippet shows (as in a full scan).
assert list(WEIGHTS.values()) == sorted(WEIGHTS.values(), reverse=True)

_FETCH = 256  # rows a stream reads at a time


@dataclass(frozen=True, slots=True)
class Ranked:
    """One trial of the result: its score, the kinds any term matched, the snippet row."""

    trial_id: int
    score: int
    kinds: frozenset[str]
    snippet_key: int  # index row of the first term's best match


class _Stream:
    """The matches of one term in one kind of text, in trial order, read lazily."""

    def __init__(self, conn: Any, term: int, phrase: str, kind: str, lang: str | None) -> None:
        self.term, self.kind, self.weight = term, kind, WEIGHTS[kind]
        self._conn, self._phrase, self._lang = conn, phrase, lang
        self._high = kind_range(kind)[1]
        self._buffer: list[int] = []
        self._at = 0
        self.done = False
        self.key = self.trial = -1
        self._seek(kind_range(kind)[0])

    def _seek(self, low: int) -> None:
        lang = " AND lang = ?" if self._lang else ""
        params: tuple[Any, ...] = (self._phrase, low, self._high) + (
            (self._lang,) if self._lang else ())
        self._cursor = self._conn.execute(
            f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ? AND rowid >= ? "
            f"AND rowid < ?{lang} ORDER BY rowid", params)
        self._refill()

    def _read(self) -> None:
        self._buffer = [row[0] for row in self._cursor.fetchmany(_FETCH)]
        self._at = 0

    def _refill(self) -> None:
        self._read()
        self._settle()

    def _settle(self) -> None:
        if self._at < len(self._buffer):
            self.key = self._buffer[self._at]
            self.trial = trial_of_key(self.key)
        else:
            self.done = True

    def advance_to(self, trial: int) -> None:
        """Move to this stream's first row of `trial` or a later trial."""
        if self.done or self.trial >= trial:
            return
        low = kind_trial_key(self.kind, trial)
        for chunk in range(2):  # what was read, then the next rows: targets are often near
            self._at = bisect_left(self._buffer, low, self._at)
            if self._at < len(self._buffer):
                self._settle()
                return
            if len(self._buffer) < _FETCH:  # the cursor has nothing more
                self.done = True
                return
            if chunk == 0:
                self._read()
        self._seek(low)


def top_trials(conn: Any, terms: list[str], lang: str | None, limit: int) -> list[Ranked]:
    """The `limit` best trials containing every term (each of 3+ characters), best first.

    `conn` is a sqlite3 connection to a database whose index has layout 2 keys.
    """
    streams = [_Stream(conn, n, '"' + term.replace('"', '""') + '"', kind, lang)
               for n, term in enumerate(terms) for kind in KINDS]
    live = [s for s in streams if not s.done]
    held: list[tuple[int, int, Ranked]] = []  # min-heap of (score, -trial): the worst first
    while live:
        threshold = held[0][0] if len(held) == limit else None
        live.sort(key=lambda s: s.trial)
        pivot = _pivot(live, len(terms), threshold)
        if pivot is None:
            break
        behind = [s for s in live if s.trial < pivot]
        if behind:
            for stream in behind:
                stream.advance_to(pivot)
            live = [s for s in live if not s.done]
            continue
        # Every stream up to the pivot's now stands at the pivot: the trial has every
        # term and beats the threshold (that is what made it the pivot).
        here = [s for s in live if s.trial == pivot]
        score = sum(s.weight for s in here)
        first = min((s for s in here if s.term == 0), key=lambda s: s.key)
        entry = (score, -pivot, Ranked(pivot, score, frozenset(s.kind for s in here), first.key))
        if threshold is None:
            heapq.heappush(held, entry)
        else:
            heapq.heapreplace(held, entry)
        for stream in here:
            stream.advance_to(pivot + 1)
        live = [s for s in live if not s.done]
    return [entry[2] for entry in sorted(held, key=lambda e: (-e[0], -e[1]))]


def _pivot(live: list[_Stream], terms: int, threshold: int | None) -> int | None:
    """The first trial (streams sorted by trial) that could hold every term and beat it.

    A trial before it appears only in streams sorted before the pivot's stream, whose
    weights together do not beat the threshold or miss a term: it cannot enter.
    """
    covered: set[int] = set()
    bound = 0
    for stream in live:
        covered.add(stream.term)
        bound += stream.weight
        if len(covered) == terms and (threshold is None or bound > threshold):
            return stream.trial
    return None
