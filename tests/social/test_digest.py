"""Mails about notifications not seen for a day, and the link that stops them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.accounts.tables import User
from nichevid.safety.tables import SafetyPrefs
from nichevid.social import digest
from nichevid.social.notifications import notify
from nichevid.social.tables import Notification
from tests.accounts.conftest import post_form
from tests.accounts.test_mail import FakeSMTP

NOW = datetime(2026, 12, 5, 17, 40, tzinfo=UTC)
HTML = {"accept": "text/html"}


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    return nv_settings_factory(
        mail={"smtp_host": "smtp.example.org", "from_address": "site@example.org"}
    )


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from nichevid.accounts import mail

    FakeSMTP.sent, FakeSMTP.calls = [], []
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    return FakeSMTP.sent


async def told(recipient: Any, actor: Any, kind: str, hours_ago: float) -> None:
    """A notification made ``hours_ago`` before :data:`NOW`."""
    await notify(recipient, kind, actor, text="a comment's text stays out")
    when = NOW - timedelta(hours=hours_ago)
    latest = await Notification.select(Notification.id).order_by(Notification.id, ascending=False)
    await Notification.update({Notification.created_at: when}).where(
        Notification.id == latest[0]["id"]
    )


async def test_a_member_hears_once_of_what_waited_a_day(
    nv_client: Any, nv_resources: Any, make_user: Any, nv_run_jobs: Any, outbox: list[Any]
) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    await told(ada, bob, "follow", 30)
    await told(ada, bob, "comment", 26)
    await told(bob, ada, "follow", 2)  # not a day old yet
    assert await digest.send_digests(nv_resources, NOW) == 1
    await nv_run_jobs()
    [message] = outbox
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "2 notifications wait for you on nichevid"
    body = message.get_content()
    assert "- @bob commented on your video\n- @bob started following you" in body
    assert "a comment's text" not in body
    assert "/notifications\n" in body
    off = f"/notifications/digest-off/{ada.id}/{digest.off_token(nv_resources.settings, ada.id)}"
    assert off in body
    # Mail apps offer their own button, which posts to the same link (RFC 8058).
    assert message["List-Unsubscribe"] == f"<http://127.0.0.1:8000{off}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Not again for the same notifications, nor within a day of the last mail.
    assert await digest.send_digests(nv_resources, NOW + timedelta(hours=1)) == 0
    await told(ada, bob, "like", -1)  # an hour after the mail
    assert await digest.due(NOW + timedelta(hours=23)) == [(bob.id, 1)]
    assert await digest.due(NOW + timedelta(hours=25)) == [(ada.id, 1), (bob.id, 1)]
    # Seen notifications are nobody's business; nor are those of a member who said no.
    await Notification.update({Notification.read_at: NOW}).where(Notification.id > 0)
    await told(bob, ada, "follow", 48)
    await SafetyPrefs(member=bob.id, email_digest=False).save()
    assert await digest.send_digests(nv_resources, NOW + timedelta(days=3)) == 0


async def test_the_mail_speaks_the_members_language(
    nv_resources: Any, make_user: Any, nv_run_jobs: Any, outbox: list[Any]
) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    await User.update({User.locale: "es"}).where(User.id == ada.id)
    await told(ada, bob, "follow", 30)
    await digest.send_digests(nv_resources, NOW)
    await nv_run_jobs()
    [message] = outbox
    assert message["Subject"] == "1 notificación te espera en nichevid"
    assert "@bob empezó a seguirte" in message.get_content()


async def test_the_link_in_the_mail_stops_them(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    token = digest.off_token(nv_resources.settings, ada.id)
    url = f"/notifications/digest-off/{ada.id}/{token}"
    page = await nv_client.get(url, headers=HTML)
    assert page.status_code == 200
    assert "Stop these e-mails" in page.text
    assert not await SafetyPrefs.exists()  # opening the link changes nothing
    done = await post_form(nv_client, url, {})
    assert done.status_code == 200
    assert 'id="nv-digest-off-done"' in done.text
    row = await SafetyPrefs.select(SafetyPrefs.email_digest).first()
    assert row == {"email_digest": False}
    for bad in (
        f"/notifications/digest-off/{ada.id}/{'0' * 32}",
        f"/notifications/digest-off/987654/{token}",
    ):
        answer = await nv_client.get(bad, headers=HTML)
        assert answer.status_code == 404
        assert "This link is not valid" in answer.text


async def test_a_mail_apps_one_click_stops_them_without_a_cookie(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    await SafetyPrefs(member=bob.id, quiet_notices=["like"]).save()
    token = digest.off_token(nv_resources.settings, ada.id)
    one_click = {"List-Unsubscribe": "One-Click"}
    nv_client.cookies.clear()
    # Another member's token, or none that was ever made, stops nothing.
    for user_id, wrong in ((bob.id, token), (ada.id, "f" * 32)):
        answer = await nv_client.post(
            f"/notifications/digest-off/{user_id}/{wrong}", data=one_click, headers=HTML
        )
        assert answer.status_code == 404
    assert await SafetyPrefs.select(SafetyPrefs.member, SafetyPrefs.email_digest) == [
        {"member": bob.id, "email_digest": True}
    ]
    answer = await nv_client.post(
        f"/notifications/digest-off/{ada.id}/{token}", data=one_click, headers=HTML
    )
    assert answer.status_code == 200
    rows = await SafetyPrefs.select(SafetyPrefs.member, SafetyPrefs.email_digest).order_by(
        SafetyPrefs.member
    )
    assert rows == [
        {"member": ada.id, "email_digest": False},
        {"member": bob.id, "email_digest": True},
    ]
    # Bob's other choices are his own; a second click changes nothing more.
    again = await nv_client.post(
        f"/notifications/digest-off/{ada.id}/{token}", data=one_click, headers=HTML
    )
    assert again.status_code == 200
    assert await SafetyPrefs.count() == 2


class TestWithoutSmtp:
    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any) -> Any:
        return nv_settings_factory()

    async def test_nothing_is_queued(self, nv_resources: Any, make_user: Any) -> None:
        ada, bob = await make_user("ada"), await make_user("bob")
        await told(ada, bob, "follow", 30)
        assert await digest.send_digests(nv_resources, NOW) == 0


class TestWaitingForTheSignUpLink:
    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any) -> Any:
        return nv_settings_factory(
            mail={"smtp_host": "smtp.example.org"}, accounts={"confirm_email": True}
        )

    async def test_an_unconfirmed_address_gets_nothing(
        self, nv_resources: Any, make_user: Any
    ) -> None:
        from nichevid.accounts.emails import on_signup

        ada, bob = await make_user("ada"), await make_user("bob")
        await on_signup(nv_resources, ada)
        await told(ada, bob, "follow", 30)
        assert await digest.send_digests(nv_resources, NOW) == 0
        # Checked once a day, not every hour.
        assert await digest.due(NOW + timedelta(hours=1)) == []
