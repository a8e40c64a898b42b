"""Normalised working copies of text that keep a map back to the original offsets.

Chinese pages arrive with full-width or ASCII punctuation and digits (and 〈〉 for
< >). Parsers match on an NFKC copy, but provenance must quote the text as
printed, so every character of the copy remembers where it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# NFKC leaves these brackets alone; Chinese abstracts use them for "<" and ">"
# ("P〈0.05"), so they are folded explicitly.
_EXTRA = {"〈": "<", "〉": ">", "《": "<", "》": ">", "\u3000": " "}


@dataclass(frozen=True, slots=True)
class Normalised:
    """A working copy of `original` with `index[i]` = original offset of copy char i."""

    original: str
    text: str
    index: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) covering copy [start, end)."""
        if start >= end:
            pos = self.index[start] if start < len(self.index) else len(self.original)
            return pos, pos
        first = self.index[start]
        last = self.index[end - 1]
        # One original char may expand to several copy chars; end after all of it.
        return first, last + 1

    def slice(self, start: int, end: int) -> str:
        """The original text behind copy [start, end)."""
        a, b = self.span(start, end)
        return self.original[a:b]


def normalise(text: str) -> Normalised:
    """NFKC per character (plus 〈〉 -> <>), keeping offsets into `text`."""
    if text.isascii():  # NFKC leaves ASCII as it is: most registry text, at C speed
        return Normalised(text, text, tuple(range(len(text))))
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        folded = _EXTRA.get(char) or unicodedata.normalize("NFKC", char)
        for piece in folded:
            out.append(piece)
            index.append(i)
    return Normalised(text, "".join(out), tuple(index))


_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of whitespace to one space and strip the ends."""
    return _SPACE.sub(" ", text).strip()


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    """Whether the text contains Chinese characters."""
    return _CJK.search(text) is not None
