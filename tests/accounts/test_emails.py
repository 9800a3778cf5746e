"""E-mail addresses: confirming the sign-up address (``accounts.confirm_email``) before
uploading or commenting, and changing the address through a link to the new one."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest

from nichevid.accounts.rules import now
from nichevid.accounts.tables import EmailCheck, User
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import PASSWORD, csrf_token, login, post_form

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}


def links(text: str) -> list[str]:
    return re.findall(r"/email/confirm/([A-Za-z0-9_-]{20,})", text)


async def sign_up(client: Any, username: str) -> None:
    client.cookies.clear()
    form = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
    assert (await post_form(client, "/signup", form)).status_code == 303


async def open_link(client: Any, token: str) -> Any:
    page = await client.get(f"/email/confirm/{token}", headers=HTML)
    assert page.status_code == 200
    assert "Confirm this address" in page.text
    return await post_form(client, f"/email/confirm/{token}", {})


async def comment(client: Any, video: Any) -> Any:
    headers = {**JSON, "x-csrftoken": await csrf_token(client)}
    return await client.post(
        f"/api/videos/{video.slug}/comments", json={"text": "hello"}, headers=headers
    )


class TestConfirmingTheSignUpAddress:
    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any) -> Any:
        return nv_settings_factory(accounts={"confirm_email": True})

    async def test_posting_waits_for_the_link(
        self,
        nv_client: Any,
        nv_resources: Any,
        make_user: Any,
        nv_run_jobs: Any,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO, logger="nichevid.accounts.mail")
        creator = await make_user("maker", role="creator")  # made before: never asked
        video = await ready_video(creator, caption="a climb")
        await sign_up(nv_client, "fresh")
        await nv_run_jobs()
        (token,) = links(caplog.text)
        assert "fresh@example.org" in caplog.text
        assert token not in str(await EmailCheck.select(EmailCheck.token_hash))
        refused = await comment(nv_client, video)
        assert refused.status_code == 403
        assert "Confirm your e-mail address first" in refused.json()["detail"]
        # Uploads wait too, creating turned on or not.
        assert (await post_form(nv_client, "/upload/creator", {})).status_code == 303
        upload = await nv_client.post(
            "/api/videos/?caption=first&filename=clip.mp4",
            content=b"not yet",
            headers={
                **JSON,
                "x-csrftoken": await csrf_token(nv_client),
                "content-type": "application/octet-stream",
            },
        )
        assert upload.status_code == 403
        assert "Confirm your e-mail address first" in upload.json()["detail"]
        page = (await nv_client.get("/settings/email", headers=HTML)).text
        assert 'id="nv-email-waiting"' in page
        # Sent again: a second link, both valid until used.
        caplog.clear()
        assert (await post_form(nv_client, "/settings/email/resend", {})).status_code == 303
        await nv_run_jobs()
        (again,) = links(caplog.text)
        assert again != token

        done = await open_link(nv_client, token)
        assert done.status_code == 200
        assert "fresh@example.org is confirmed" in done.text
        assert (await comment(nv_client, video)).status_code == 201
        page = (await nv_client.get("/settings/email", headers=HTML)).text
        assert 'id="nv-email-confirmed"' in page
        assert 'id="nv-email-waiting"' not in page
        twice = await post_form(nv_client, f"/email/confirm/{token}", {})
        assert twice.status_code == 400
        assert "not valid any more" in twice.text
        nothing = await post_form(nv_client, "/settings/email/resend", {})
        assert nothing.status_code == 400
        assert "needs no confirming" in nothing.text

        # Accounts made before the setting are not asked.
        nv_client.cookies.clear()
        await login(nv_client, "maker")
        assert (await comment(nv_client, video)).status_code == 201

    async def test_expired_and_made_up_links_are_refused(
        self, nv_client: Any, nv_run_jobs: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="nichevid.accounts.mail")
        await sign_up(nv_client, "late")
        await nv_run_jobs()
        (token,) = links(caplog.text)
        await EmailCheck.update({EmailCheck.expires_at: now() - timedelta(seconds=1)}).where(
            EmailCheck.id > 0
        )
        for tried in (token, "x" * 40, "y" * 200):
            answer = await post_form(nv_client, f"/email/confirm/{tried}", {})
            assert answer.status_code == 400
            assert "not valid any more" in answer.text
        assert 'id="nv-email-waiting"' in (await nv_client.get("/settings/email")).text


async def test_without_the_setting_new_accounts_post_at_once(
    nv_client: Any, make_user: Any, nv_run_jobs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nichevid.accounts.mail")
    video = await ready_video(await make_user("maker", role="creator"))
    await sign_up(nv_client, "fresh")
    await nv_run_jobs()
    assert links(caplog.text) == []
    assert (await comment(nv_client, video)).status_code == 201


async def test_changing_the_address_takes_the_password_and_a_link_to_the_new_one(
    nv_client: Any, make_user: Any, nv_run_jobs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nichevid.accounts.mail")
    await make_user("ada")
    await make_user("bob")
    await login(nv_client, "ada")
    for form, text in (
        ({"email": "new@example.org", "password": "wrong password!"}, "password is not right"),
        ({"email": "not an address", "password": PASSWORD}, "valid e-mail address"),
        ({"email": "ADA@example.org", "password": PASSWORD}, "your address already"),
        ({"email": "bob@example.org", "password": PASSWORD}, "already in use"),
    ):
        answer = await post_form(nv_client, "/settings/email/change", form)
        assert answer.status_code == 400
        assert text in answer.text
    asked = await post_form(
        nv_client, "/settings/email/change", {"email": "Ada.New@Example.org", "password": PASSWORD}
    )
    assert asked.status_code == 303
    page = (await nv_client.get("/settings/email", headers=HTML)).text
    assert "ada.new@example.org" in page  # waiting
    assert (await User.objects().where(User.username == "ada").first()).email == "ada@example.org"
    await nv_run_jobs()
    (token,) = links(caplog.text)
    assert "to=ada.new@example.org" in caplog.text
    caplog.clear()
    done = await open_link(nv_client, token)
    assert done.status_code == 200
    ada = await User.objects().where(User.username == "ada").first()
    assert ada.email == "ada.new@example.org"
    await nv_run_jobs()
    assert "to=ada@example.org" in caplog.text  # the old address is told
    nv_client.cookies.clear()
    assert (await login(nv_client, "ada.new@example.org")).status_code == 303


async def test_a_new_address_taken_meanwhile_is_not_moved_to(
    nv_client: Any, make_user: Any, nv_run_jobs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nichevid.accounts.mail")
    await make_user("ada")
    await login(nv_client, "ada")
    form = {"email": "shared@example.org", "password": PASSWORD}
    assert (await post_form(nv_client, "/settings/email/change", form)).status_code == 303
    await nv_run_jobs()
    (token,) = links(caplog.text)
    await make_user("shared")  # signs up with that address first
    refused = await post_form(nv_client, f"/email/confirm/{token}", {})
    assert refused.status_code == 400
    assert "already in use" in refused.text
    assert (await User.objects().where(User.username == "ada").first()).email == "ada@example.org"


async def test_links_are_mailed_at_most_five_times_an_hour(nv_client: Any, make_user: Any) -> None:
    await make_user("ada")
    await login(nv_client, "ada")
    codes = []
    for n in range(6):
        form = {"email": f"n{n}@example.org", "password": PASSWORD}
        codes.append((await post_form(nv_client, "/settings/email/change", form)).status_code)
    assert codes == [303] * 5 + [429]
    assert await EmailCheck.count() == 5
