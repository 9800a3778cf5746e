"""Reading comments: threads of a video, replies, and counts for a page of cards.

Orderings:

* ``newest``: top-level comments newest first, paged by id (new comments never
  shift later pages).
* ``top``: top-level comments with the most likes and replies together first, then
  the most liked, then the newest; paged by position.

In either order the comment the creator pinned heads the first page and appears on no
other.

Replies always read oldest first, like a conversation. A page of threads costs
three statements (count, threads, the first replies of all of them), whatever its size,
and the first page one more for the pinned comment.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from babel.dates import format_timedelta
from markupsafe import Markup

from nichevid.accounts.tables import User
from nichevid.comments import text as texts
from nichevid.comments.services import json_list, may_delete
from nichevid.comments.tables import Comment, CommentLike
from nichevid.i18n import gettext, locale
from nichevid.safety.prefs import refused_word

Order = Literal["newest", "top"]
ORDERS: tuple[Order, ...] = ("newest", "top")
PAGE_SIZE = 20
# Replies shown under each comment before "more replies".
REPLIES_SHOWN = 3
REPLIES_PAGE = 50

_C, _U, _L = Comment._meta.tablename, User._meta.tablename, CommentLike._meta.tablename
_FIELDS = f"""c.id, c.video, c.parent, c.author, c.text, c.mentions, c.created_at,
    c.edited_at, c.deleted_at, c.pinned_at, u.username, u.display_name,
    t.username AS reply_to_name,
    (SELECT count(*) FROM {_L} l WHERE l.comment = c.id) AS likes"""  # noqa: S608
_JOINS = f"""{_C} c JOIN {_U} u ON u.id = c.author LEFT JOIN {_U} t ON t.id = c.reply_to"""
_THREADS = f"""
    SELECT * FROM (
        SELECT {_FIELDS},
               (SELECT count(*) FROM {_C} r WHERE r.parent = c.id) AS replies
          FROM {_JOINS}
         WHERE c.video = {{}} AND c.parent IS NULL {{}}
           AND (c.deleted_at IS NULL OR EXISTS (SELECT 1 FROM {_C} r2 WHERE r2.parent = c.id))
    ) x
     ORDER BY {{}}
     LIMIT {{}} OFFSET {{}}
"""  # noqa: S608 - only table names are interpolated here; values are bound parameters
_PINNED = "AND c.pinned_at IS NOT NULL AND c.deleted_at IS NULL"
_NOT_PINNED = "AND c.pinned_at IS NULL"
_REPLIES = f"""
    SELECT * FROM (
        SELECT {_FIELDS}, 0 AS replies,
               ROW_NUMBER() OVER (PARTITION BY c.parent ORDER BY c.id) AS position
          FROM {_JOINS}
         WHERE c.parent IN ({{}}) {{}}
    ) x
     WHERE x.position <= {{}}
     ORDER BY x.parent, x.id
"""  # noqa: S608 - only table names and placeholders are interpolated
_COUNTS = f"""
    SELECT video, count(*) AS n FROM {_C}
     WHERE video IN ({{}}) AND deleted_at IS NULL
     GROUP BY video
"""  # noqa: S608 - only the table name and placeholders are interpolated


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass
class Entry:
    """One comment as pages and the API show it."""

    id: int
    video_id: int
    parent: int | None
    author_id: int
    username: str
    display_name: str
    reply_to: str | None
    text: str
    mentions: list[str]
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    reply_count: int = 0
    replies: list[Entry] = field(default_factory=list)
    like_count: int = 0
    pinned: bool = False
    # Marked for one reader by :func:`nichevid.comments.reactions.marks`.
    liked: bool = False
    creator_liked: bool = False

    @property
    def html(self) -> Markup:
        """The text as safe HTML, mentions and hashtags linked."""
        return texts.render(self.text, self.mentions)

    @property
    def ago(self) -> str:
        """How long ago it was written, shortly, in the reader's language (``now``, ``5m``,
        ``3h``, ``2d``, a date)."""
        seconds = (datetime.now(UTC) - self.created_at).total_seconds()
        if seconds >= 7 * 86400:
            return self.created_at.strftime("%Y-%m-%d")
        units: tuple[tuple[Literal["day", "hour", "minute"], int], ...] = (
            ("day", 86400),
            ("hour", 3600),
            ("minute", 60),
        )
        for unit, size in units:
            if seconds >= size:
                # Whole units, never rounded up: 59 minutes stay 59m, not 1h.
                span = timedelta(seconds=(seconds // size) * size)
                return str(
                    format_timedelta(
                        span, granularity=unit, threshold=10**9, format="narrow", locale=locale()
                    )
                )
        return gettext("now")

    @property
    def hidden_replies(self) -> int:
        """Replies not loaded with the thread."""
        return max(0, self.reply_count - len(self.replies))

    def can_edit(self, user: Any) -> bool:
        """Whether ``user`` may change the text."""
        return user is not None and user.id == self.author_id and not self.deleted

    def can_delete(self, user: Any) -> bool:
        """Whether ``user`` may delete it."""
        return not self.deleted and may_delete(user, self.author_id)


@dataclass(frozen=True)
class Hidden:
    """What one reader does not see of a video's comments.

    Attributes:
        authors: Members blocked either way, or muted, by the reader.
        words: The creator's refused words: comments holding one stay out of sight,
            also those written before the creator listed the word (nothing is
            deleted; taking the word off the list shows them again).
        reader: The reader's id: their own comments always show to them.
    """

    authors: Collection[int] = frozenset()
    words: tuple[str, ...] = ()
    reader: int | None = None

    def hides(self, entry: Entry) -> bool:
        """Whether ``entry`` stays out of the reader's sight."""
        if entry.author_id in self.authors:
            return True
        if not self.words or entry.deleted or entry.author_id == self.reader:
            return False
        return refused_word(entry.text, self.words) is not None

    def keep(self, entries: list[Entry]) -> list[Entry]:
        """``entries`` less the hidden ones, in order."""
        return [entry for entry in entries if not self.hides(entry)]


NOTHING_HIDDEN = Hidden()


def _entry(row: dict[str, Any]) -> Entry:
    deleted = row["deleted_at"] is not None
    created = _time(row["created_at"])
    assert created is not None
    return Entry(
        id=int(row["id"]),
        video_id=int(row["video"]),
        parent=int(row["parent"]) if row["parent"] is not None else None,
        author_id=int(row["author"]),
        username="" if deleted else row["username"],
        display_name="" if deleted else (row["display_name"] or ""),
        reply_to=row["reply_to_name"],
        text="" if deleted else row["text"],
        mentions=[] if deleted else json_list(row["mentions"]),
        created_at=created,
        edited_at=_time(row["edited_at"]),
        deleted=deleted,
        reply_count=int(row["replies"] or 0),
        like_count=0 if deleted else int(row["likes"] or 0),
        pinned=row["pinned_at"] is not None and not deleted,
    )


def _placeholders(count: int) -> str:
    return ", ".join(["{}"] * count)


@dataclass
class ThreadPage:
    """One page of a video's comments."""

    count: int
    order: Order
    threads: list[Entry]
    next_cursor: str | None


async def comment_counts(video_ids: list[int]) -> dict[int, int]:
    """Comments (replies included, deleted ones not) of each video, in one statement."""
    ids = list(dict.fromkeys(int(i) for i in video_ids))
    if not ids:
        return {}
    rows = await Comment.raw(_COUNTS.format(_placeholders(len(ids))), *ids)
    counts = dict.fromkeys(ids, 0)
    counts.update({int(row["video"]): int(row["n"]) for row in rows})
    return counts


async def replies_of(
    parent_ids: list[int], *, after: int | None = None, limit: int = REPLIES_SHOWN
) -> list[Entry]:
    """The first ``limit`` replies of each thread (after reply id ``after``), oldest first."""
    if not parent_ids:
        return []
    where, args = ("AND c.id > {}", [after]) if after is not None else ("", [])
    sql = _REPLIES.format(_placeholders(len(parent_ids)), where, "{}")
    rows = await Comment.raw(sql, *parent_ids, *args, limit)
    return [_entry(row) for row in rows]


async def threads(
    video_id: int,
    *,
    order: Order = "newest",
    cursor: int | None = None,
    limit: int = PAGE_SIZE,
    all_replies: bool = False,
    hide: Hidden = NOTHING_HIDDEN,
) -> ThreadPage:
    """A page of the video's top-level comments, each with its first replies.

    Args:
        video_id: The video's row id.
        order: ``newest`` or ``top``.
        cursor: ``next_cursor`` of the previous page.
        limit: Threads per page.
        all_replies: Load up to :data:`REPLIES_PAGE` replies per thread, not
            :data:`REPLIES_SHOWN` (a thread shown right after a reply was added).
        hide: What the reader does not see (see :class:`Hidden`); such a page may
            show fewer threads.
    """
    if order == "top":
        offset = cursor or 0
        sql = _THREADS.format(
            "{}", _NOT_PINNED, "x.likes + x.replies DESC, x.likes DESC, x.id DESC", "{}", "{}"
        )
        rows = await Comment.raw(sql, video_id, limit + 1, offset)
        following = str(offset + limit)
    else:
        where = f"{_NOT_PINNED} AND c.id < {{}}" if cursor is not None else _NOT_PINNED
        args = [cursor] if cursor is not None else []
        sql = _THREADS.format("{}", where, "x.id DESC", "{}", "{}")
        rows = await Comment.raw(sql, video_id, *args, limit + 1, 0)
        following = str(rows[limit - 1]["id"]) if len(rows) > limit else ""
    heads = rows[:limit]
    if cursor is None:
        heads = await Comment.raw(_THREADS.format("{}", _PINNED, "x.id", 1, 0), video_id) + heads
    found = hide.keep(list(map(_entry, heads)))
    replies = await replies_of(
        [e.id for e in found if e.reply_count], limit=REPLIES_PAGE if all_replies else REPLIES_SHOWN
    )
    by_parent = {e.id: e for e in found}
    for reply in hide.keep(replies):
        if reply.parent in by_parent:
            by_parent[reply.parent].replies.append(reply)
    count = (await comment_counts([video_id]))[video_id]
    more = len(rows) > limit
    return ThreadPage(count, order, found, following if more else None)


async def thread(
    comment_id: int, *, all_replies: bool = True, hide: Hidden = NOTHING_HIDDEN
) -> Entry | None:
    """One top-level comment with its replies (``None`` when it is gone), less the
    replies ``hide`` keeps from the reader."""
    rows = await Comment.raw(
        f"SELECT {_FIELDS}, (SELECT count(*) FROM {_C} r WHERE r.parent = c.id) AS replies "  # noqa: S608
        f"FROM {_JOINS} WHERE c.id = {{}} AND c.parent IS NULL",
        comment_id,
    )
    if not rows:
        return None
    head = _entry(rows[0])
    if head.deleted and not head.reply_count:
        return None
    replies = await replies_of([head.id], limit=REPLIES_PAGE if all_replies else REPLIES_SHOWN)
    head.replies = hide.keep(replies)
    return head


async def entry(comment_id: int) -> Entry | None:
    """One comment (a reply or a thread head, without its replies)."""
    rows = await Comment.raw(
        f"SELECT {_FIELDS}, 0 AS replies FROM {_JOINS} WHERE c.id = {{}}",  # noqa: S608
        comment_id,
    )
    return _entry(rows[0]) if rows else None
