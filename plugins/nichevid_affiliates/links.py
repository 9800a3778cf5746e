"""A video's product links: read for a page of cards at once, replaced as a set, disabled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nichevid.db import writing
from nichevid_affiliates.checks import LinkInput
from nichevid_affiliates.tables import Link


@dataclass(frozen=True)
class ShownLink:
    """What a card or a video page shows of a link."""

    id: int
    label: str
    domain: str


@dataclass(frozen=True)
class Target:
    """A link with what the redirect needs to know about its video."""

    id: int
    url: str
    domain: str
    owner: int
    video_id: int
    video_status: str
    video_visibility: str


def owner_id(video: Any) -> int:
    """The id of ``video``'s owner, whether the row holds the id or the joined user."""
    owner = video.owner
    return int(owner if isinstance(owner, int) else owner.id)


def _live() -> Any:
    return Link.removed_at.is_null() & (Link.disabled == False)  # noqa: E712


async def shown_for(video_ids: list[int]) -> dict[int, list[ShownLink]]:
    """The links to show on each of ``video_ids``, in their order, in one query."""
    if not video_ids:
        return {}
    rows = (
        await Link.select(Link.id, Link.video, Link.label, Link.domain)
        .where(Link.video.is_in(sorted(set(video_ids))) & _live())
        .order_by(Link.video)
        .order_by(Link.position)
    )
    found: dict[int, list[ShownLink]] = {}
    for row in rows:
        found.setdefault(int(row["video"]), []).append(
            ShownLink(int(row["id"]), row["label"], row["domain"])
        )
    return found


async def stored_for(video_id: int) -> list[tuple[str, str]]:
    """The ``(label, url)`` of a video's links as its creator sees them (disabled too)."""
    rows = (
        await Link.select(Link.label, Link.url)
        .where((Link.video == video_id) & Link.removed_at.is_null())
        .order_by(Link.position)
    )
    return [(row["label"], row["url"]) for row in rows]


async def replace(video: Any, wanted: list[LinkInput]) -> None:
    """Make ``wanted`` the video's links, in this order.

    A link whose address stays keeps its row (its clicks, and a disabling by the
    operator); the others are marked removed, so sales reported later still book.
    """
    video_id = int(video.id)
    now = datetime.now(UTC)
    async with writing(Link):
        current = await Link.objects().where(
            (Link.video == video_id) & Link.removed_at.is_null()
        )
        by_url = {link.url: link for link in current}
        kept = {item.url for item in wanted}
        gone = [link.id for link in current if link.url not in kept]
        if gone:
            await Link.update({Link.removed_at: now}).where(Link.id.is_in(gone))
        for position, item in enumerate(wanted):
            found = by_url.get(item.url)
            if found is not None:
                await Link.update({Link.label: item.label, Link.position: position}).where(
                    Link.id == found.id
                )
                continue
            await Link.insert(
                Link(
                    video=video_id,
                    owner=owner_id(video),
                    position=position,
                    label=item.label,
                    url=item.url,
                    domain=item.domain,
                )
            )


async def target(link_id: int) -> Target | None:
    """The live link ``link_id`` with its video's state, or ``None`` (unknown, removed,
    disabled)."""
    rows = await (
        Link.select(
            Link.id,
            Link.url,
            Link.domain,
            Link.owner,
            Link.video,
            Link.video.status.as_alias("status"),
            Link.video.visibility.as_alias("visibility"),
        )
        .where((Link.id == link_id) & _live())
        .first()
    )
    if rows is None:
        return None
    return Target(
        id=int(rows["id"]),
        url=rows["url"],
        domain=rows["domain"],
        owner=int(rows["owner"]),
        video_id=int(rows["video"]),
        video_status=rows["status"],
        video_visibility=rows["visibility"],
    )


async def set_disabled(link_id: int, disabled: bool) -> bool:
    """Disable (or enable again) a link; ``False`` when there is no such link."""
    found = await Link.exists().where(Link.id == link_id)
    if found:
        await Link.update({Link.disabled: disabled}).where(Link.id == link_id)
    return bool(found)
