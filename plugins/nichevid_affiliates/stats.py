"""Figures of the creator's and the operator's pages, each in a few grouped queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from nichevid_affiliates.tables import Click, Conversion, Link


@dataclass
class Figures:
    """Clicks and sales of one link, creator or domain."""

    clicks_7: int = 0
    clicks_30: int = 0
    clicks_all: int = 0
    conversions: int = 0
    # Booked sales not reversed, per currency: what the creator earned, what the
    # platform kept.
    creator_share: dict[str, int] = field(default_factory=dict)
    platform_share: dict[str, int] = field(default_factory=dict)


@dataclass
class LinkLine:
    """One of a creator's links with its video and figures."""

    id: int
    label: str
    url: str
    domain: str
    video_slug: str
    video_caption: str
    state: str  # "live", "disabled" or "removed"
    figures: Figures
    username: str = ""


def _since(today: date | None) -> tuple[date, date]:
    day = today or datetime.now(UTC).date()
    return day - timedelta(days=6), day - timedelta(days=29)


async def _clicks(
    group: str, where: str, args: list[Any], today: date | None
) -> dict[Any, Figures]:
    week, month = _since(today)
    click, link = Click._meta.tablename, Link._meta.tablename
    rows = await Click.raw(
        f"SELECT {group} AS grp, COUNT(*) AS total, "  # noqa: S608
        "SUM(CASE WHEN c.day >= {} THEN 1 ELSE 0 END) AS d7, "
        "SUM(CASE WHEN c.day >= {} THEN 1 ELSE 0 END) AS d30 "
        f"FROM {click} c JOIN {link} l ON l.id = c.link {where} GROUP BY {group}",
        week,
        month,
        *args,
    )
    return {
        row["grp"]: Figures(int(row["d7"] or 0), int(row["d30"] or 0), int(row["total"] or 0))
        for row in rows
    }


async def _sales(group: str, where: str, args: list[Any]) -> list[dict[str, Any]]:
    conversion, link = Conversion._meta.tablename, Link._meta.tablename
    return list(
        await Conversion.raw(
            f"SELECT {group} AS grp, v.currency AS currency, COUNT(*) AS n, "  # noqa: S608
            "SUM(v.creator_share) AS creator, SUM(v.platform_share) AS platform "
            f"FROM {conversion} v JOIN {link} l ON l.id = v.link "
            f"WHERE v.status = 'booked' {where} GROUP BY {group}, v.currency",
            *args,
        )
    )


async def _figures(
    group: str, where: str, args: list[Any], today: date | None
) -> dict[Any, Figures]:
    found = await _clicks(group, f"WHERE 1 = 1 {where}", args, today)
    for row in await _sales(group, where, args):
        line = found.setdefault(row["grp"], Figures())
        line.conversions += int(row["n"])
        unit = row["currency"]
        line.creator_share[unit] = line.creator_share.get(unit, 0) + int(row["creator"] or 0)
        line.platform_share[unit] = line.platform_share.get(unit, 0) + int(row["platform"] or 0)
    return found


async def creator_links(user_id: int, today: date | None = None) -> list[LinkLine]:
    """Every link the creator attached (removed ones too), newest video first."""
    return await link_lines(user_id, today=today)


async def link_lines(
    user_id: int | None = None, *, limit: int = 500, today: date | None = None
) -> list[LinkLine]:
    """Links of one creator (or of everybody, newest first), with their figures."""
    query = (
        Link.select(
            Link.id,
            Link.label,
            Link.url,
            Link.domain,
            Link.disabled,
            Link.removed_at,
            Link.video.slug.as_alias("slug"),
            Link.video.caption.as_alias("caption"),
            Link.owner.username.as_alias("username"),
        )
        .order_by(Link.video, ascending=False)
        .order_by(Link.position)
        .limit(limit)
    )
    if user_id is not None:
        query = query.where(Link.owner == user_id)
        figures = await _figures("l.id", "AND l.owner = {}", [user_id], today)
    else:
        query = query.where(Link.removed_at.is_null())
        figures = await _figures("l.id", "", [], today)
    rows = await query
    lines = []
    for row in rows:
        state = "removed" if row["removed_at"] else "disabled" if row["disabled"] else "live"
        lines.append(
            LinkLine(
                id=int(row["id"]),
                label=row["label"],
                url=row["url"],
                domain=row["domain"],
                video_slug=row["slug"],
                video_caption=row["caption"] or "",
                state=state,
                figures=figures.get(int(row["id"]), Figures()),
                username=row["username"] or "",
            )
        )
    return lines


def total(lines: list[Figures]) -> Figures:
    """The sum of several figures."""
    out = Figures()
    for line in lines:
        out.clicks_7 += line.clicks_7
        out.clicks_30 += line.clicks_30
        out.clicks_all += line.clicks_all
        out.conversions += line.conversions
        for unit, amount in line.creator_share.items():
            out.creator_share[unit] = out.creator_share.get(unit, 0) + amount
        for unit, amount in line.platform_share.items():
            out.platform_share[unit] = out.platform_share.get(unit, 0) + amount
    return out


async def by_creator(today: date | None = None) -> list[tuple[int, Figures]]:
    """Figures per creator id, most clicked first."""
    found = await _figures("l.owner", "", [], today)
    return sorted(((int(k), v) for k, v in found.items()), key=lambda kv: -kv[1].clicks_all)


async def by_domain(today: date | None = None) -> list[tuple[str, Figures]]:
    """Figures per shop domain, most clicked first."""
    found = await _figures("l.domain", "", [], today)
    return sorted(((str(k), v) for k, v in found.items()), key=lambda kv: -kv[1].clicks_all)
