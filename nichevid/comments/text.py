"""Comment text: what is accepted, what it mentions, and how it is shown.

Text is stored as plain text, never HTML. :func:`render` escapes every character of
it and only then wraps ``@mentions`` and ``#hashtags`` in links, so no markup a
commenter types can ever reach a page.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from markupsafe import Markup, escape

from nichevid.i18n import gettext

# Longest comment, in characters (after line endings and spaces are cleaned up).
MAX_LENGTH = 500
# At most this many mentions of one comment are linked and notified.
MENTIONS_MAX = 20
HASHTAGS_MAX = 30

# The same rules as video captions (nichevid.media.services), so a name or tag reads alike.
HASHTAG = re.compile(r"(?<![\w#])#(\w{1,64})")
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,32})(?!\w)")
_TOKEN = re.compile(f"{MENTION.pattern}|{HASHTAG.pattern}")
# Direction overrides can make text read differently from what it is; they are dropped.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class TextError(ValueError):
    """The text cannot be a comment; the message says what to change."""


def clean(text: str) -> str:
    """``text`` with unified line endings, no control characters, trimmed.

    Format characters such as the zero-width joiner stay: emoji sequences need them.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for char in text:
        if char == "\n":
            kept.append(char)
        elif char == "\t":
            kept.append(" ")
        elif unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS:
            kept.append(char)
    cleaned = re.sub(r"\n{3,}", "\n\n", "".join(kept))
    return "\n".join(line.rstrip() for line in cleaned.split("\n")).strip()


def _visible(text: str) -> bool:
    return any(not ch.isspace() and unicodedata.category(ch)[0] != "C" for ch in text)


def check(text: str) -> str:
    """The cleaned text, or :class:`TextError` when it is empty or too long."""
    cleaned = clean(text)
    if not _visible(cleaned):
        raise TextError(gettext("Write something before posting; the comment is empty."))
    if len(cleaned) > MAX_LENGTH:
        raise TextError(
            gettext(
                "Comments are at most %(max)s characters; this one has %(length)s. "
                "Shorten it and post again.",
                max=MAX_LENGTH,
                length=len(cleaned),
            )
        )
    return cleaned


def mentions_in(text: str) -> list[str]:
    """Usernames ``text`` mentions, lower-cased, first use first."""
    found = [name.lower() for name in MENTION.findall(text)]
    return list(dict.fromkeys(found))[:MENTIONS_MAX]


def hashtags_in(text: str) -> list[str]:
    """Hashtags of ``text``, lower-cased, without ``#``, first use first."""
    found = [tag.lower() for tag in HASHTAG.findall(text)]
    return list(dict.fromkeys(found))[:HASHTAGS_MAX]


def render(text: str, mentions: list[str] | tuple[str, ...] = ()) -> Markup:
    """HTML of ``text``: everything escaped; known mentions and all hashtags linked.

    Args:
        text: The stored plain text.
        mentions: Usernames that existed when the text was saved; other ``@names``
            stay plain text, so no link leads to a missing profile.
    """
    known = {name.lower() for name in mentions}
    parts: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(str(escape(text[last : match.start()])))
        name, tag = match.group(1), match.group(2)
        if name is not None and name.lower() in known:
            parts.append(
                f'<a class="nv-mention" href="/u/{quote(name.lower())}">@{escape(name)}</a>'
            )
        elif tag is not None:
            parts.append(
                f'<a class="nv-hashtag" href="/tag/{quote(tag.lower())}">#{escape(tag)}</a>'
            )
        else:
            parts.append(str(escape(match.group(0))))
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped
