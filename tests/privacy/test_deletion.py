"""Account deletion: password, grace period, cancelling, processing videos, the erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.accounts.tables import User
from nichevid.core.secrets import pseudonym
from nichevid.media.tables import Video
from nichevid.privacy import deletion
from nichevid.privacy.tables import DeletionRequest

from .conftest import PASSWORD, live, login, post_form
from .snapshot import snapshot

LATER = timedelta(days=400)


async def test_a_wrong_password_marks_nothing(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    await login(nv_client, "ada")
    response = await post_form(nv_client, "/settings/privacy/delete", {"password": "not it"})
    assert response.status_code == 400
    assert "That password is not right. Type your current password to confirm." in response.text
    assert 'aria-invalid="true"' in response.text
    assert await deletion.deletion_state(ada) is None
    with pytest.raises(deletion.DeletionError):
        await deletion.request_deletion(nv_resources, ada, "")
    assert await DeletionRequest.count() == 0


async def test_cancelling_within_the_grace_period_loses_nothing(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    await live(nv_resources, ada, bob)
    await login(nv_client, "ada")
    before = await snapshot(nv_resources)
    response = await post_form(nv_client, "/settings/privacy/delete", {"password": PASSWORD})
    assert response.headers["location"] == "/settings/privacy?notice=marked"
    state = await deletion.deletion_state(ada)
    assert state is not None
    grace = state.due_at - state.requested_at
    assert grace == timedelta(days=14)
    page = (await nv_client.get("/settings/privacy")).text
    assert "Your account will be deleted on" in page
    assert state.due_at.strftime("%Y-%m-%d %H:%M") in page
    # The account keeps working while marked; the purge leaves it alone before its date.
    assert (await nv_client.get("/settings/profile")).status_code == 200
    assert await deletion.purge_due(nv_resources) == (0, 0)
    response = await post_form(nv_client, "/settings/privacy/delete/cancel", {})
    assert response.headers["location"] == "/settings/privacy?notice=kept"
    assert "Deletion cancelled" in (await nv_client.get(response.headers["location"])).text
    assert await deletion.purge_due(nv_resources, now=datetime.now(UTC) + LATER) == (0, 0)
    after = await snapshot(nv_resources)
    assert after == before


async def test_content_still_processing_delays_the_erasure(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    busy = await Video(slug="busy1", owner=ada.id, status="processing").save().run()
    assert busy
    state = await deletion.request_deletion(nv_resources, ada, PASSWORD)
    assert state.busy_videos == 1
    await login(nv_client, "ada")
    assert "still processing" in (await nv_client.get("/settings/privacy")).text
    due = state.due_at + timedelta(minutes=1)
    assert await deletion.purge_due(nv_resources, now=due) == (0, 1)
    assert await User.exists().where(User.id == ada.id)
    postponed = await deletion.deletion_state(ada)
    assert postponed is not None
    assert "1 video(s) still processing" in postponed.postponed
    # Processing ended: the next run erases the account.
    await Video.update({Video.status: "ready"}).where(Video.owner == ada.id).run()
    assert await deletion.purge_due(nv_resources, now=due) == (1, 0)
    assert not await User.exists().where(User.id == ada.id)
    assert await Video.count().where(Video.owner == ada.id) == 0


async def test_a_processing_video_stuck_past_the_wait_does_not_keep_the_account(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    await Video(slug="stuck1", owner=ada.id, status="processing").save().run()
    state = await deletion.request_deletion(nv_resources, ada, PASSWORD)
    wait = timedelta(days=1, minutes=1)
    assert await deletion.purge_due(nv_resources, now=state.due_at + wait) == (1, 0)
    assert not await User.exists().where(User.id == ada.id)


def test_pseudonyms_are_stable_per_id_and_secret(nv_settings_factory: Any) -> None:
    settings = nv_settings_factory()
    other = nv_settings_factory(secret_key="another-secret-key-for-this-test")
    assert pseudonym(settings, 7) == pseudonym(settings, 7)
    assert pseudonym(settings, 7) != pseudonym(settings, 8)
    assert pseudonym(settings, 7) != pseudonym(other, 7)
    assert pseudonym(settings, 7).startswith("p_")
    assert "7" not in pseudonym(settings, 7).removeprefix("p_")[:0]
