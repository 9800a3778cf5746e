"""Standing measures: a video's limited reach or age limit, an account's suspension or ban."""

from __future__ import annotations

from datetime import UTC, datetime

from nichevid_moderation.tables import Restriction


def _now() -> datetime:
    return datetime.now(UTC)


async def restrict(kind: str, target_kind: str, target_id: int, until: datetime | None) -> None:
    """Put a measure on an item, ending the same kind of measure it had."""
    await Restriction.update({Restriction.lifted_at: _now()}).where(
        (Restriction.kind == kind)
        & (Restriction.target_kind == target_kind)
        & (Restriction.target_id == target_id)
        & Restriction.lifted_at.is_null()
    )
    await Restriction(kind=kind, target_kind=target_kind, target_id=target_id, until=until).save()


async def lift(kind: str, target_kind: str, target_id: int) -> None:
    """End a standing measure (a restored video loses its limits)."""
    await Restriction.update({Restriction.lifted_at: _now()}).where(
        (Restriction.kind == kind)
        & (Restriction.target_kind == target_kind)
        & (Restriction.target_id == target_id)
        & Restriction.lifted_at.is_null()
    )


async def active_restrictions(
    target_kind: str, target_ids: list[int], kinds: tuple[str, ...]
) -> dict[int, set[str]]:
    """``{target_id: {kind, ...}}`` of the measures standing now on these items."""
    if not target_ids:
        return {}
    now = _now()
    rows = await Restriction.select(
        Restriction.target_id, Restriction.kind, Restriction.until
    ).where(
        (Restriction.target_kind == target_kind)
        & Restriction.target_id.is_in(target_ids)
        & Restriction.kind.is_in(list(kinds))
        & Restriction.lifted_at.is_null()
    )
    found: dict[int, set[str]] = {}
    for row in rows:
        if row["until"] is not None and _aware(row["until"]) <= now:
            continue
        found.setdefault(int(row["target_id"]), set()).add(row["kind"])
    return found


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def suspended_until(user_id: int) -> datetime | None:
    """When the suspension of ``user_id`` ends, or ``None`` when they are not suspended."""
    now = _now()
    rows = await Restriction.select(Restriction.until).where(
        (Restriction.target_kind == "account")
        & (Restriction.target_id == user_id)
        & (Restriction.kind == "suspend")
        & Restriction.lifted_at.is_null()
    )
    ends = [_aware(r["until"]) for r in rows if r["until"] is not None and _aware(r["until"]) > now]
    return max(ends) if ends else None
