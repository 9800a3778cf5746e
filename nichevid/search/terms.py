"""What a search box may contain, turned into terms no search syntax can misread.

People type anything: quotes, ``*``, ``:``, brackets, ``-``, ``NEAR``, ``AND``, ``^``,
pasted paragraphs. Both engines have a query language of their own (FTS5 and
``tsquery``), so text is never handed to them as typed. It is cut into words (runs of
letters and digits, as both engines' tokenizers see them), lower-cased, and each
word becomes a quoted prefix term: ``knit`` finds ``knitting`` while the user types.
Operator words are ordinary words then: ``near`` matches "near".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longer input is cut here rather than refused: a pasted paragraph still searches.
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_TERM_CHARS = 64
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Terms:
    """The words of a query, in order, without repeats."""

    words: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def joined(self) -> str:
        """The words joined by ``_``: how a typed username or hashtag is compared."""
        return "_".join(self.words)

    def fts5(self) -> str:
        """An FTS5 query: every word a quoted prefix, all required."""
        return " ".join(f'"{word}"*' for word in self.words)

    def tsquery(self) -> str:
        """A ``to_tsquery`` text: every word a quoted prefix, all required."""
        return " & ".join(f"'{word}':*" for word in self.words)


def parse(query: str) -> Terms:
    """The search terms of what someone typed (none when it has no letters or digits)."""
    words = (word.lower()[:MAX_TERM_CHARS] for word in _WORD.findall(query[:MAX_QUERY_CHARS]))
    return Terms(tuple(dict.fromkeys(words))[:MAX_TERMS])
