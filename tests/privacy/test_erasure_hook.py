"""The ``user_deleting`` hook: plugins delete their data first; a failure stops the erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.plugins import hookimpl
from nichevid.privacy import deletion

from .conftest import PASSWORD

LATER = timedelta(days=30)


class Keeper:
    """A plugin that must delete its rows; it fails once, then works."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.fail = True

    @hookimpl
    async def user_deleting(self, user: Any) -> None:
        self.calls.append(user.id)
        if self.fail:
            raise RuntimeError("audit store unreachable")


@pytest.fixture
def keeper() -> Keeper:
    return Keeper()


@pytest.fixture
def nv_plugins(keeper: Keeper) -> list[Any]:
    return [keeper]


async def test_hook_user_deleting(
    nv_client: Any, nv_resources: Any, make_user: Any, keeper: Keeper
) -> None:
    from nichevid.accounts.tables import User

    ada = await make_user("ada")
    await make_user("bob")
    state = await deletion.request_deletion(nv_resources, ada, PASSWORD)
    due = state.due_at + timedelta(seconds=1)
    # A failing plugin stops the erasure before the core deleted anything.
    assert await deletion.purge_due(nv_resources, now=due) == (0, 1)
    assert keeper.calls == [ada.id]
    assert await User.exists().where(User.id == ada.id)
    postponed = await deletion.deletion_state(ada)
    assert postponed is not None
    assert "audit store unreachable" in postponed.postponed
    keeper.fail = False
    assert await deletion.purge_due(nv_resources, now=due) == (1, 0)
    assert keeper.calls == [ada.id, ada.id]
    assert not await User.exists().where(User.id == ada.id)
    assert await User.count() == 1
    assert datetime.now(UTC) < due + LATER
