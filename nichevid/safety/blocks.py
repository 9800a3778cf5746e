"""Blocks and mutes, and what they keep from a viewer.

* A block works both ways: neither member sees the other's videos, profile or
  comments, follows the other, or comments on the other's videos. Blocking ends
  any follow between the two.
* A mute works one way and silently: the muter no longer sees the muted member's
  videos in feeds, hashtag pages and search, nor their comments. The muted member's
  profile stays reachable, so the muter can find them again to unmute.
* Nobody blocks or mutes themselves; blocking or muting twice is refused with a
  message, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from nichevid.accounts.tables import User
from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.safety.errors import SafetyError
from nichevid.safety.tables import Block, Mute

# Raw statements interpolate only table names; every value is a bound parameter.
_BLOCK, _MUTE = Block._meta.tablename, Mute._meta.tablename
_USER, _VIDEO = User._meta.tablename, Video._meta.tablename


def _id(row: Any) -> int:
    return int(row if isinstance(row, int) else row.id)


@dataclass(frozen=True)
class Hidden:
    """Members whose content a viewer does not see, by id, with their usernames."""

    blocked: dict[int, str] = field(default_factory=dict)
    muted: dict[int, str] = field(default_factory=dict)

    @property
    def ids(self) -> frozenset[int]:
        """Every member hidden from the viewer (blocked either way, or muted)."""
        return frozenset(self.blocked) | frozenset(self.muted)

    @property
    def names(self) -> frozenset[str]:
        """Their usernames."""
        return frozenset(self.blocked.values()) | frozenset(self.muted.values())

    def __bool__(self) -> bool:
        return bool(self.blocked or self.muted)


NOTHING_HIDDEN = Hidden()


@dataclass(frozen=True)
class Listed:
    """A member in one's list of blocked or muted accounts."""

    username: str
    display_name: str


async def _insert(table: type[Any], columns: tuple[str, str], pair: tuple[int, int]) -> bool:
    rows = await table.raw(
        f"INSERT INTO {table._meta.tablename} ({columns[0]}, {columns[1]}) "  # noqa: S608
        f"VALUES ({{}}, {{}}) ON CONFLICT ({columns[0]}, {columns[1]}) DO NOTHING RETURNING id",
        *pair,
    )
    return bool(rows)


async def block(blocker: Any, target: Any) -> None:
    """``blocker`` blocks ``target``; any follow between them ends, both ways.

    Raises:
        SafetyError: 400 for oneself, 409 when ``target`` is already blocked.
    """
    from nichevid.social import services as social

    if _id(blocker) == _id(target):
        raise SafetyError(400, gettext("You cannot block yourself."))
    if not await _insert(Block, ("blocker", "blocked"), (_id(blocker), _id(target))):
        raise SafetyError(
            409,
            gettext(
                "You already block @%(name)s; unblock them in Settings, Safety if you changed "
                "your mind.",
                name=getattr(target, "username", ""),
            ),
        )
    await social.end_follows_between(_id(blocker), _id(target))


async def unblock(blocker: Any, target: Any) -> None:
    """Lift a block; lifting one that does not exist changes nothing."""
    await Block.delete().where((Block.blocker == _id(blocker)) & (Block.blocked == _id(target)))


async def mute(muter: Any, target: Any) -> None:
    """``muter`` mutes ``target``.

    Raises:
        SafetyError: 400 for oneself, 409 when ``target`` is already muted.
    """
    if _id(muter) == _id(target):
        raise SafetyError(400, gettext("You cannot mute yourself."))
    if not await _insert(Mute, ("muter", "muted"), (_id(muter), _id(target))):
        raise SafetyError(
            409,
            gettext(
                "You already mute @%(name)s; unmute them in Settings, Safety if you changed "
                "your mind.",
                name=getattr(target, "username", ""),
            ),
        )


async def unmute(muter: Any, target: Any) -> None:
    """Lift a mute; lifting one that does not exist changes nothing."""
    await Mute.delete().where((Mute.muter == _id(muter)) & (Mute.muted == _id(target)))


async def blocks(blocker: Any, target: Any) -> bool:
    """Whether ``blocker`` blocks ``target`` (one way)."""
    return bool(
        await Block.exists().where((Block.blocker == _id(blocker)) & (Block.blocked == _id(target)))
    )


async def mutes(muter: Any, target: Any) -> bool:
    """Whether ``muter`` mutes ``target``."""
    return bool(await Mute.exists().where((Mute.muter == _id(muter)) & (Mute.muted == _id(target))))


async def blocked_between(one: Any, other: Any) -> bool:
    """Whether either member blocks the other (rows or ids; ``None`` is nobody)."""
    if one is None or other is None:
        return False
    a, b = _id(one), _id(other)
    return bool(
        await Block.exists().where(
            ((Block.blocker == a) & (Block.blocked == b))
            | ((Block.blocker == b) & (Block.blocked == a))
        )
    )


async def may_message(sender: Any, recipient: Any) -> bool:
    """Whether ``sender`` may send ``recipient`` a private message: not across a block."""
    return _id(sender) != _id(recipient) and not await blocked_between(sender, recipient)


async def hidden_from(viewer: Any) -> Hidden:
    """The members ``viewer`` does not see (``None``, signed out: nobody), in one statement."""
    if viewer is None:
        return NOTHING_HIDDEN
    viewer_id = _id(viewer)
    rows = await Block.raw(
        "SELECT h.other AS id, h.kind AS kind, u.username AS username FROM ("  # noqa: S608
        f"SELECT blocked AS other, 'b' AS kind FROM {_BLOCK} WHERE blocker = {{}} "
        f"UNION SELECT blocker AS other, 'b' AS kind FROM {_BLOCK} WHERE blocked = {{}} "
        f"UNION SELECT muted AS other, 'm' AS kind FROM {_MUTE} WHERE muter = {{}}"
        f") h JOIN {_USER} u ON u.id = h.other",
        viewer_id,
        viewer_id,
        viewer_id,
    )
    blocked = {int(r["id"]): str(r["username"]) for r in rows if r["kind"] == "b"}
    muted = {int(r["id"]): str(r["username"]) for r in rows if r["kind"] == "m"}
    return Hidden(blocked=blocked, muted={k: v for k, v in muted.items() if k not in blocked})


async def videos_hidden_from(video_ids: Collection[int], viewer: Any) -> set[int]:
    """The ids among ``video_ids`` whose creator is hidden from ``viewer``.

    Most members hide nobody: for them this reads the small block and mute tables
    only, never the videos, so a shared For You batch stays cheap for every member.
    """
    ids = list(dict.fromkeys(int(i) for i in video_ids))
    if viewer is None or not ids:
        return set()
    viewer_id = _id(viewer)
    rows = await Block.raw(
        f"SELECT blocked AS other FROM {_BLOCK} WHERE blocker = {{}} "  # noqa: S608
        f"UNION SELECT blocker AS other FROM {_BLOCK} WHERE blocked = {{}} "
        f"UNION SELECT muted AS other FROM {_MUTE} WHERE muter = {{}}",
        viewer_id,
        viewer_id,
        viewer_id,
    )
    owners = sorted({int(row["other"]) for row in rows})
    if not owners:
        return set()
    rows = await Video.raw(
        f"SELECT id FROM {_VIDEO} WHERE id IN ({', '.join('{}' for _ in ids)}) "  # noqa: S608
        f"AND owner IN ({', '.join('{}' for _ in owners)})",
        *ids,
        *owners,
    )
    return {int(row["id"]) for row in rows}


async def _listed(table: type[Any], mine: str, theirs: str, member: Any) -> list[Listed]:
    rows = await table.raw(
        f"SELECT u.username, u.display_name FROM {table._meta.tablename} t "  # noqa: S608
        f"JOIN {_USER} u ON u.id = t.{theirs} WHERE t.{mine} = {{}} ORDER BY u.username",
        _id(member),
    )
    return [Listed(str(r["username"]), str(r["display_name"] or "")) for r in rows]


async def blocked_list(member: Any) -> list[Listed]:
    """The accounts ``member`` blocks, by username."""
    return await _listed(Block, "blocker", "blocked", member)


async def muted_list(member: Any) -> list[Listed]:
    """The accounts ``member`` mutes, by username."""
    return await _listed(Mute, "muter", "muted", member)


async def delete_member(member: Any) -> None:
    """Remove every block and mute ``member`` made or is the subject of."""
    member_id = _id(member)
    await Block.delete().where((Block.blocker == member_id) | (Block.blocked == member_id))
    await Mute.delete().where((Mute.muter == member_id) | (Mute.muted == member_id))
