"""Mail over SMTP when ``mail.smtp_host`` is set (the SMTP client is replaced by a fake)."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.accounts import services
from tests.accounts.conftest import post_form
from tests.accounts.test_reset import link_token


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    return nv_settings_factory(
        mail={
            "smtp_host": "smtp.example.org",
            "smtp_port": 2525,
            "smtp_user": "mailer",
            "smtp_password": "hunter2-not-real",
            "from_address": "site@example.org",
        },
        accounts={"resets_per_hour": 2},
    )


class FakeSMTP:
    sent: list[Any] = []
    calls: list[tuple[str, Any]] = []

    def __init__(self, host: str, port: int, timeout: float = 0) -> None:
        self.calls.append(("connect", (host, port)))

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append(("quit", None))

    def starttls(self, context: Any = None) -> None:
        self.calls.append(("starttls", None))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", (user, password)))

    def send_message(self, message: Any) -> None:
        self.sent.append(message)


async def test_reset_mail_goes_over_smtp_when_configured(
    nv_client: Any, make_user: Any, nv_run_jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.accounts import mail

    FakeSMTP.sent, FakeSMTP.calls = [], []
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    await make_user("alice")
    await post_form(nv_client, "/reset", {"email": "alice@example.org"})
    await nv_run_jobs()
    assert len(FakeSMTP.sent) == 1
    message = FakeSMTP.sent[0]
    assert message["To"] == "alice@example.org"
    assert message["From"] == "site@example.org"
    assert [c[0] for c in FakeSMTP.calls] == ["connect", "starttls", "login", "quit"]
    assert FakeSMTP.calls[0][1] == ("smtp.example.org", 2525)
    assert FakeSMTP.calls[2][1] == ("mailer", "hunter2-not-real")
    token = link_token(message.get_content())
    assert await services.reset_token_is_valid(token)
