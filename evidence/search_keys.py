"""What the search index holds and how its row keys are laid out.

Every index row comes from one text column of one source row (`SOURCES`), and its
id is computed from that row, so a trigger finds the rows to delete by key. The
statements that build and fill the index: evidence/search_index.py.

Key layouts. Layout 1 (migrations 0003-0005) was `source id * 32 + slot`. Layout 2
(migration 0006) orders the index by kind, then trial:

    key = kind << 60 | trial id << 34 | source id << 3 | slot within the kind

so the rows of one kind are a key range in trial order, which lets a search read
each kind's matches trial by trial and stop once no later trial can rank higher.
It bounds trial ids below 2**26 and source row ids below 2**31 (the PostgreSQL
integer id); the triggers refuse larger ones rather than file them under a wrong key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from evidence.views import Dialect

Layout = Literal[1, 2]
LAYOUT: Layout = 2  # what migration 0006 and later build

INDEX_TABLE = "search_index"
SLOTS = 32  # layout 1: index row id = source row id * SLOTS + slot

# Kinds of text and how much a match in each counts for the ranking; layout 2 keys
# sort by this order (title first).
WEIGHTS = {"title": 5, "agent": 4, "condition": 4, "endpoint": 3, "abstract": 1}
KINDS = tuple(WEIGHTS)

KIND_SHIFT, TRIAL_SHIFT, SOURCE_SHIFT = 60, 34, 3
TRIAL_ID_LIMIT = 1 << (KIND_SHIFT - TRIAL_SHIFT)  # 67,108,864
SOURCE_ID_LIMIT = 1 << (TRIAL_SHIFT - SOURCE_SHIFT)  # 2**31


def kind_range(kind: str) -> tuple[int, int]:
    """Layout 2: the keys of one kind's rows, [low, high)."""
    k = KINDS.index(kind)
    return k << KIND_SHIFT, (k + 1) << KIND_SHIFT


def kind_trial_key(kind: str, trial_id: int) -> int:
    """Layout 2: the lowest key a row of this kind and trial can have."""
    return KINDS.index(kind) << KIND_SHIFT | trial_id << TRIAL_SHIFT


def trial_of_key(key: int) -> int:
    """Layout 2: the trial id inside a key."""
    return (key >> TRIAL_SHIFT) & (TRIAL_ID_LIMIT - 1)


@dataclass(frozen=True, slots=True)
class Source:
    """One indexed text: which table column, its slot, kind and language."""

    slot: int  # layout 1: 1..31, unique over the index
    kind_slot: int  # layout 2: 0..7, unique within the kind
    table: str
    kind: str
    lang: str
    column: str  # a plain column, or "other_names" / "sections.en" (search_index.py reads them)


def _sources() -> tuple[Source, ...]:
    spec = [("trial", "title", [("title_en", "en"), ("title_zh", "zh"),
                                ("official_title", "en"), ("acronym", "en")]),
            ("condition", "condition", [("name_en", "en"), ("name_zh", "zh")]),
            ("intervention", "agent", [("name_en", "en"), ("name_zh", "zh"),
                                       ("other_names", "en")]),
            ("endpoint", "endpoint", [("name_en", "en"), ("name_zh", "zh")]),
            ("publication", "abstract", [("title_en", "en"), ("title_zh", "zh"),
                                         ("abstract_en", "en"), ("abstract_zh", "zh"),
                                         ("sections.en", "en"), ("sections.zh", "zh")])]
    out, slot = [], 1
    for table, kind, columns in spec:
        for kind_slot, (column, lang) in enumerate(columns):
            out.append(Source(slot, kind_slot, table, kind, lang, column))
            slot += 1
    assert slot <= SLOTS and all(s.kind_slot < 1 << SOURCE_SHIFT for s in out)
    return tuple(out)


SOURCES = _sources()
TABLES = tuple(dict.fromkeys(s.table for s in SOURCES))


def is_index_table(name: str) -> bool:
    """Whether a database table belongs to the search index (FTS5 adds shadow tables)."""
    return name == INDEX_TABLE or name.startswith(INDEX_TABLE + "_")


# ---- the same key arithmetic in SQL, for the triggers and bulk statements ------------------

def trial_id_sql(table: str, r: str) -> str:
    """The trial id of row `r` of an indexed table."""
    return f"{r}.id" if table == "trial" else f"{r}.trial_id"


def key_sql(src: Source, r: str, dialect: Dialect, layout: Layout) -> str:
    """The index row id of source `src` of row `r`, in the given layout."""
    rid = f"{r}.id" if dialect == "sqlite" else f"CAST({r}.id AS BIGINT)"
    if layout == 1:
        return f"{rid} * {SLOTS} + {src.slot}"
    trial = trial_id_sql(src.table, r)
    trial = trial if dialect == "sqlite" else f"CAST({trial} AS BIGINT)"
    # Products of literals, not <<, so both engines read it alike; every term fits 63 bits.
    return (f"{KINDS.index(src.kind) << KIND_SHIFT} + {trial} * {1 << TRIAL_SHIFT} "
            f"+ {rid} * {1 << SOURCE_SHIFT} + {src.kind_slot}")


def out_of_range_sql(table: str, r: str) -> str:
    """Layout 2: a condition true when row `r` has ids its keys cannot hold."""
    return (f"{trial_id_sql(table, r)} >= {TRIAL_ID_LIMIT} OR {r}.id >= {SOURCE_ID_LIMIT}")


RANGE_MESSAGE = (f"search index: trial ids must be below {TRIAL_ID_LIMIT} and row ids "
                 f"below {SOURCE_ID_LIMIT}")
