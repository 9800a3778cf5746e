"""Top gifters: who gave a creator the most coins, shown on the profile if they choose."""

from __future__ import annotations

from typing import Any

from nichevid.accounts.services import User
from nichevid_gifts.tables import CreatorChoice, Gift


async def shows_top_gifters(user_id: int) -> bool:
    """Whether the creator ``user_id`` lists their top gifters on their profile."""
    row = await CreatorChoice.objects().where(CreatorChoice.user == user_id).first()
    return bool(row is not None and row.show_top_gifters)


async def choose(user_id: int, show_top_gifters: bool) -> None:
    """Remember whether the creator lists their top gifters."""
    table = CreatorChoice._meta.tablename
    # One row per creator; two tabs saving at once both land on the same row.
    await CreatorChoice.raw(
        f'INSERT INTO {table} ("user", show_top_gifters) VALUES ({{}}, {{}}) '  # noqa: S608
        'ON CONFLICT ("user") DO UPDATE SET show_top_gifters = excluded.show_top_gifters',
        user_id,
        show_top_gifters,
    )


async def top_gifters(user_id: int, limit: int) -> list[dict[str, Any]]:
    """The members who sent ``user_id`` the most coins in gifts that stand, most first.

    Returns:
        ``{"username", "coins"}`` per gifter; erased accounts are left out.
    """
    gifts, users = Gift._meta.tablename, User._meta.tablename
    rows = await Gift.raw(
        f"SELECT u.username AS username, SUM(g.total) AS coins FROM {gifts} g "  # noqa: S608
        f"JOIN {users} u ON u.id = g.sender WHERE g.recipient = {{}} AND g.status = 'sent' "
        "GROUP BY u.username ORDER BY coins DESC, u.username LIMIT {}",
        user_id,
        limit,
    )
    return [{"username": row["username"], "coins": int(row["coins"])} for row in rows]
