"""Password reset: the link goes to the log without SMTP, over SMTP when configured."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest

from nichevid.accounts import services
from nichevid.accounts.rules import now
from nichevid.accounts.tables import PasswordReset
from tests.accounts.conftest import PASSWORD, login, post_form

HTML = {"accept": "text/html"}
NEW_PASSWORD = "a fresh start today"


def link_token(text: str) -> str:
    match = re.search(r"/reset/([A-Za-z0-9_-]{20,})", text)
    assert match, f"no reset link in {text!r}"
    return match.group(1)


async def test_reset_link_goes_to_the_log_without_smtp(
    nv_client: Any, make_user: Any, nv_run_jobs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nichevid.accounts.mail")
    await make_user("alice")
    page = await nv_client.get("/reset", headers=HTML)
    assert page.status_code == 200
    response = await post_form(nv_client, "/reset", {"email": "ALICE@example.org"})
    assert response.status_code == 200
    assert "a link to choose a new password is on its way" in response.text
    await nv_run_jobs()
    token = link_token(caplog.text)
    stored = await PasswordReset.select(PasswordReset.token_hash).run()
    assert token not in str(stored)

    form = await nv_client.get(f"/reset/{token}", headers=HTML)
    assert form.status_code == 200
    assert 'type="password"' in form.text
    weak = await post_form(nv_client, f"/reset/{token}", {"password": "short"})
    assert weak.status_code == 400
    assert "at least" in weak.text
    done = await post_form(nv_client, f"/reset/{token}", {"password": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.headers["location"] == "/login?reset=done"
    assert (await login(nv_client, "alice", NEW_PASSWORD)).status_code == 303

    # Single use.
    again = await post_form(nv_client, f"/reset/{token}", {"password": "yet another secret"})
    assert again.status_code == 400
    assert "not valid any more" in again.text
    assert (await nv_client.get(f"/reset/{token}", headers=HTML)).status_code == 400


async def test_unknown_addresses_get_the_same_answer(
    nv_client: Any, nv_run_jobs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nichevid.accounts.mail")
    response = await post_form(nv_client, "/reset", {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "on its way" in response.text
    await nv_run_jobs()
    assert "/reset/" not in caplog.text
    assert await PasswordReset.count().run() == 0


async def test_expired_links_are_refused(nv_client: Any, nv_resources: Any, make_user: Any) -> None:
    await make_user("alice")
    token = await services.request_password_reset(nv_resources, "alice@example.org")
    assert token
    await PasswordReset.update(
        {PasswordReset.expires_at: now() - timedelta(seconds=1)}, force=True
    ).run()
    with pytest.raises(services.AccountError, match="not valid"):
        await services.confirm_password_reset(nv_resources.settings, token, NEW_PASSWORD)
    assert await services.authenticate(nv_resources.pm, "alice", PASSWORD)


async def test_a_reset_uses_up_every_open_link(nv_resources: Any, make_user: Any) -> None:
    await make_user("alice")
    first = await services.request_password_reset(nv_resources, "alice@example.org")
    second = await services.request_password_reset(nv_resources, "alice@example.org")
    assert first
    assert second
    assert first != second
    await services.confirm_password_reset(nv_resources.settings, second, NEW_PASSWORD)
    assert not await services.reset_token_is_valid(first)


async def test_reset_requests_are_limited(nv_client: Any, make_user: Any) -> None:
    await make_user("alice")
    limit = nv_client.app.state.settings.accounts.resets_per_hour
    responses = [
        await post_form(nv_client, "/reset", {"email": "alice@example.org"})
        for _ in range(limit + 2)
    ]
    assert [r.status_code for r in responses] == [200] * limit + [429, 429]
    assert "Too many attempts" in responses[-1].text
    assert int(responses[-1].headers["retry-after"]) > 0
    assert await PasswordReset.count().run() == limit
