"""Moderation statistics for operators, and the server-rendered SVG charts that show them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from markupsafe import Markup, escape

from nichevid_moderation.tables import Appeal, AuditEntry, Report


@dataclass(frozen=True)
class Stats:
    """Figures over the last ``days`` days."""

    days: int
    reports_in: int
    handled: int
    median_hours: float | None
    removals_by_reason: dict[str, int]
    appeals: int
    appeals_upheld: int
    appeals_rejected: int
    daily: list[tuple[date, int, int]]  # day, reports in, reports handled


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def figures(days: int = 30, now: datetime | None = None) -> Stats:
    """Reports in and handled, median time to decision, removals, appeals."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    rows = await Report.select(Report.created_at, Report.decided_at).where(
        Report.created_at >= since
    )
    decided = [r for r in rows if r["decided_at"] is not None]
    waits = [
        (_aware(r["decided_at"]) - _aware(r["created_at"])).total_seconds() / 3600 for r in decided
    ]
    removals = await AuditEntry.select(AuditEntry.category).where(
        (AuditEntry.action == "remove") & (AuditEntry.created_at >= since)
    )
    by_reason: dict[str, int] = {}
    for row in removals:
        key = row["category"] or "other"
        by_reason[key] = by_reason.get(key, 0) + 1
    appeal_rows = await Appeal.select(Appeal.status).where(Appeal.created_at >= since)
    first = (now - timedelta(days=days - 1)).date()
    daily_in = {first + timedelta(days=i): 0 for i in range(days)}
    daily_done = dict.fromkeys(daily_in, 0)
    for row in rows:
        day = _aware(row["created_at"]).date()
        if day in daily_in:
            daily_in[day] += 1
        if row["decided_at"] is not None:
            done = _aware(row["decided_at"]).date()
            if done in daily_done:
                daily_done[done] += 1
    return Stats(
        days=days,
        reports_in=len(rows),
        handled=len(decided),
        median_hours=round(statistics.median(waits), 2) if waits else None,
        removals_by_reason=dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
        appeals=len(appeal_rows),
        appeals_upheld=sum(1 for r in appeal_rows if r["status"] == "upheld"),
        appeals_rejected=sum(1 for r in appeal_rows if r["status"] == "rejected"),
        daily=[(day, daily_in[day], daily_done[day]) for day in daily_in],
    )


def daily_chart(daily: list[tuple[date, int, int]], title: str, legend: tuple[str, str]) -> Markup:
    """Paired bars per day (reports in, handled) as an accessible inline SVG."""
    width, height, pad = 640, 200, 24
    top = max([max(a, b) for _, a, b in daily] + [1])
    slot = (width - 2 * pad) / max(len(daily), 1)
    bar = max(slot / 2 - 1, 1)
    parts = [
        f'<svg class="nv-chart" fill="currentColor" viewBox="0 0 {width} {height + 30}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (day, came, done) in enumerate(daily):
        x = pad + i * slot
        for j, value in enumerate((came, done)):
            h = (height - 2 * pad) * value / top
            parts.append(
                f'<rect fill="{"#4aa3ff" if j == 0 else "#7bd88f"}" x="{x + j * bar:.1f}" '
                f'y="{height - pad - h:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                f"<title>{day.isoformat()}: {value}</title></rect>"
            )
    first = escape(daily[0][0].isoformat()) if daily else ""
    parts.append(
        f'<text x="{pad}" y="{height + 10}">{first}</text>'
        f'<text x="{width - pad}" y="{height + 10}" text-anchor="end">'
        f"{escape(daily[-1][0].isoformat()) if daily else ''}</text>"
        f'<rect fill="#4aa3ff" x="{pad}" y="{height + 18}" width="10" height="10"/>'
        f'<text x="{pad + 14}" y="{height + 27}">{escape(legend[0])}</text>'
        f'<rect fill="#7bd88f" x="{pad + 160}" y="{height + 18}" width="10" height="10"/>'
        f'<text x="{pad + 174}" y="{height + 27}">{escape(legend[1])}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
