"""Two-factor authentication: codes once only, recovery codes, the login step, the
settings page and the operator's way out, each with the inputs that must be refused."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest

from nichevid.accounts import twofactor
from nichevid.accounts.tables import RecoveryCode, TwoFactor
from nichevid.accounts.twofactor import TwoFactorError

from .conftest import PASSWORD, login, post_form


async def turned_on(settings: Any, user: Any) -> tuple[pyotp.TOTP, list[str]]:
    """Two-factor authentication on for ``user`` (its first code taken a minute ago)."""
    secret = await twofactor.begin(settings, user)
    totp = pyotp.TOTP(secret)
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    codes = await twofactor.confirm(settings, user, totp.at(earlier), now=earlier)
    return totp, codes


async def test_a_code_turns_it_on_and_each_code_works_once(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    settings = nv_resources.settings
    ada = await make_user("ada")
    assert not await twofactor.is_on(ada)
    secret = await twofactor.begin(settings, ada)
    assert (await twofactor.state(ada)).pending
    assert await twofactor.pending_secret(settings, ada) == secret
    stored = (await TwoFactor.objects().first()).secret
    assert secret not in stored  # sealed, not kept as it is
    with pytest.raises(TwoFactorError, match="not right"):
        await twofactor.confirm(
            settings, ada, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
        )
    assert not await twofactor.is_on(ada)
    totp = pyotp.TOTP(secret)
    # One clock for the whole test, so no step boundary falls between two of its codes.
    now = datetime.now(UTC)
    first = totp.at(now)
    codes = await twofactor.confirm(settings, ada, f" {first[:3]} {first[3:]} ", now=now)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    assert await twofactor.is_on(ada)
    state = await twofactor.state(ada)
    assert (state.enabled, state.pending, state.recovery_left) == (True, False, 10)
    with pytest.raises(TwoFactorError, match="already on"):
        await twofactor.begin(settings, ada)

    # The code that turned it on is used; the next step's code works, once.
    with pytest.raises(TwoFactorError, match="used already"):
        await twofactor.verify(settings, ada, first, now=now)
    later = now + timedelta(seconds=60)
    assert await twofactor.verify(settings, ada, totp.at(later), now=later) == "code"
    with pytest.raises(TwoFactorError, match="used already"):
        await twofactor.verify(settings, ada, totp.at(later), now=later)
    # A code from long ago, or made up, or of the wrong shape.
    for wrong in (totp.at(now - timedelta(minutes=10)), "12345", "abcdef", "", "1" * 40):
        with pytest.raises(TwoFactorError):
            await twofactor.verify(settings, ada, wrong, now=later + timedelta(seconds=30))

    # Recovery codes: any case, dashes or spaces, once each.
    assert await twofactor.verify(settings, ada, codes[0].upper().replace("-", " ")) == "recovery"
    with pytest.raises(TwoFactorError, match="not right"):
        await twofactor.verify(settings, ada, codes[0])
    assert (await twofactor.state(ada)).recovery_left == 9
    fresh = await twofactor.new_recovery_codes(ada)
    with pytest.raises(TwoFactorError):
        await twofactor.verify(settings, ada, codes[1])  # the old ones stopped working
    assert await twofactor.verify(settings, ada, fresh[1]) == "recovery"

    bob = await make_user("bob")
    with pytest.raises(TwoFactorError, match="not on"):
        await twofactor.verify(settings, bob, totp.now())
    with pytest.raises(TwoFactorError, match="Start again"):
        await twofactor.confirm(settings, bob, totp.now())


async def test_a_changed_instance_secret_leaves_the_recovery_codes(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    settings = nv_resources.settings
    ada = await make_user("ada")
    totp, codes = await turned_on(settings, ada)
    row = await TwoFactor.objects().first()
    assert twofactor.unseal(settings, row.secret) == totp.secret
    assert twofactor.unseal(settings, "not-base64!") is None
    tampered = row.secret[:-4] + ("AAAA" if not row.secret.endswith("AAAA") else "BBBB")
    assert twofactor.unseal(settings, tampered) is None
    await TwoFactor.update({TwoFactor.secret: twofactor.seal(settings, totp.secret)[:20]}).where(
        TwoFactor.id == row.id
    )
    with pytest.raises(TwoFactorError, match="recovery codes"):
        await twofactor.verify(settings, ada, totp.now())
    assert await twofactor.verify(settings, ada, codes[3]) == "recovery"


async def test_logging_in_takes_the_password_then_a_code(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    totp, codes = await turned_on(nv_resources.settings, ada)
    response = await post_form(
        nv_client, "/login", {"username": "ada", "password": PASSWORD, "next": "/settings/profile"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login/code"
    # The password alone signs nobody in.
    assert (await nv_client.get("/api/me")).status_code == 401
    form = await nv_client.get("/login/code")
    assert form.status_code == 200
    assert 'autocomplete="one-time-code"' in form.text
    wrong = await post_form(nv_client, "/login/code", {"code": "not a code"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.text
    assert (await nv_client.get("/api/me")).status_code == 401
    code = totp.now()
    right = await post_form(nv_client, "/login/code", {"code": code})
    assert right.status_code == 303
    assert right.headers["location"] == "/settings/profile"
    me = await nv_client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["username"] == "ada"
    # The held login is gone with the new session: the code page sends to the login form.
    again = await nv_client.get("/login/code")
    assert again.status_code == 303
    assert again.headers["location"] == "/login?code=expired"

    # The same code cannot be used for a second login; a recovery code can.
    await nv_client.post("/logout", headers={"x-csrftoken": nv_client.cookies.get("nv_csrf")})
    await login(nv_client, "ada")
    replay = await post_form(nv_client, "/login/code", {"code": code})
    assert replay.status_code == 400
    assert "used already" in replay.text
    recovered = await post_form(nv_client, "/login/code", {"code": codes[0]})
    assert recovered.status_code == 303
    assert recovered.headers["location"] == "/"


async def test_a_held_login_expires(
    nv_client: Any, nv_resources: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.accounts import twofactor_routes

    ada = await make_user("ada")
    totp, _ = await turned_on(nv_resources.settings, ada)
    await login(nv_client, "ada")
    real = time.time
    monkeypatch.setattr(twofactor_routes.time, "time", lambda: real() + 301)
    late = await post_form(nv_client, "/login/code", {"code": totp.now()})
    assert late.status_code == 303
    assert late.headers["location"] == "/login?code=expired"
    assert (await nv_client.get("/api/me")).status_code == 401
    page = await nv_client.get("/login?code=expired")
    assert "waited too long for its code" in page.text
    # Without any held login (never logged in, or a forged session), the same.
    nv_client.cookies.clear()
    assert (await nv_client.get("/login/code")).headers["location"] == "/login?code=expired"


async def test_guessing_codes_is_limited(
    nv_client: Any, nv_resources: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.core import ratelimit

    # The limiter's clock stands still inside one window, so the attempts cannot straddle two.
    frozen = (time.time() // 60) * 60 + 1

    class Clock:
        @staticmethod
        def time() -> float:
            return frozen

    monkeypatch.setattr(ratelimit, "time", Clock)
    ada = await make_user("ada")
    totp, _ = await turned_on(nv_resources.settings, ada)
    await login(nv_client, "ada")
    limit = nv_resources.settings.accounts.login_attempts_per_minute
    statuses = [
        (await post_form(nv_client, "/login/code", {"code": "000000"})).status_code
        for _ in range(limit + 3)
    ]
    assert statuses[:limit] == [400] * limit
    assert set(statuses[limit:]) == {429}
    # Limited even with the right code, and nothing was signed in.
    assert (await post_form(nv_client, "/login/code", {"code": totp.now()})).status_code == 429
    assert (await nv_client.get("/api/me")).status_code == 401


async def test_the_settings_page_turns_it_on_and_off(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    await make_user("ada")
    await login(nv_client, "ada")
    page = await nv_client.get("/settings/two-factor")
    assert page.status_code == 200
    assert 'data-state="off"' in page.text
    assert 'href="/settings/two-factor" aria-current="page"' in page.text
    started = await post_form(nv_client, "/settings/two-factor/start", {})
    assert started.status_code == 200
    assert 'data-state="pending"' in started.text
    assert '<svg role="img"' in started.text
    secret = re.search(r'id="nv-two-factor-secret">([A-Z2-7 ]+)<', started.text)[1].replace(" ", "")
    # Reloading shows the same pending secret; a wrong code leaves it pending.
    assert secret.replace("", "") in (await nv_client.get("/settings/two-factor")).text.replace(
        " ", ""
    )
    bad = await post_form(nv_client, "/settings/two-factor/confirm", {"code": "12"})
    assert bad.status_code == 400
    assert 'data-state="pending"' in bad.text
    on = await post_form(
        nv_client, "/settings/two-factor/confirm", {"code": pyotp.TOTP(secret).now()}
    )
    assert on.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", on.text)
    assert len(codes) == 10
    assert 'data-state="on"' in on.text
    assert "10 recovery codes left." in on.text
    assert (
        "<code>"
        not in (await nv_client.get("/settings/two-factor")).text.split("nv-two-factor-state")[1]
    )

    again = await post_form(nv_client, "/settings/two-factor/start", {})
    assert again.status_code == 400
    assert "already on" in again.text
    renewed = await post_form(nv_client, "/settings/two-factor/recovery-codes", {"code": codes[0]})
    assert renewed.status_code == 200
    assert codes[1] not in renewed.text
    assert len(re.findall(r"<li><code>", renewed.text)) == 10

    wrong_password = await post_form(
        nv_client, "/settings/two-factor/off", {"password": "nope", "code": codes[2]}
    )
    assert wrong_password.status_code == 400
    assert await twofactor.is_on(await _ada())
    fresh = re.findall(r"<li><code>([a-z2-9-]{11})</code></li>", renewed.text)
    no_code = await post_form(
        nv_client, "/settings/two-factor/off", {"password": PASSWORD, "code": ""}
    )
    assert no_code.status_code == 400
    assert await twofactor.is_on(await _ada())
    off = await post_form(
        nv_client, "/settings/two-factor/off", {"password": PASSWORD, "code": fresh[0]}
    )
    assert off.status_code == 303
    assert off.headers["location"] == "/settings/two-factor?off=1"
    assert not await twofactor.is_on(await _ada())
    assert await RecoveryCode.count() == 0
    assert (
        "Two-factor authentication is off." in (await nv_client.get(off.headers["location"])).text
    )


async def _ada() -> Any:
    from nichevid.accounts import services

    return await services.get_user_by_username("ada")


async def test_the_settings_page_needs_a_login(nv_client: Any) -> None:
    response = await nv_client.get("/settings/two-factor", headers={"accept": "text/html"})
    assert response.status_code in (302, 303, 401)
    refused = await nv_client.post("/settings/two-factor/start")
    assert refused.status_code in (401, 403)
    assert await TwoFactor.count() == 0


class TestARoleCanRequireIt:
    """With ``two_factor_roles = ["admin"]``, admins' pages take a session with a code."""

    @pytest.fixture
    def nv_settings(self, nv_settings_factory: Any) -> Any:
        return nv_settings_factory(accounts={"two_factor_roles": ["admin"]})

    async def test_admin_pages_open_once_a_code_was_given(
        self, nv_client: Any, make_user: Any
    ) -> None:
        from tests.social.conftest import bearer

        root = await make_user("root", role="admin")
        await make_user("maker", role="creator")
        await login(nv_client, "root")
        blocked = await nv_client.get("/admin", headers={"accept": "application/json"})
        assert blocked.status_code == 403
        assert "/settings/two-factor" in blocked.json()["detail"]
        # The settings page stays open, and turning it on in this session lets it in.
        started = await post_form(nv_client, "/settings/two-factor/start", {})
        secret = re.search(r'id="nv-two-factor-secret">([A-Z2-7 ]+)<', started.text)[1]
        code = pyotp.TOTP(secret.replace(" ", "")).now()
        on = await post_form(nv_client, "/settings/two-factor/confirm", {"code": code})
        codes = re.findall(r"<li><code>([a-z2-9-]{11})</code></li>", on.text)
        assert (await nv_client.get("/admin")).status_code == 200
        # A new login takes the code, and then the pages open.
        nv_client.cookies.clear()
        await login(nv_client, "root")
        assert (await nv_client.get("/admin")).status_code in (303, 401)
        await post_form(nv_client, "/login/code", {"code": codes[0]})
        assert (await nv_client.get("/admin")).status_code == 200
        # Turning it off in the session closes the pages again.
        off = {"password": PASSWORD, "code": codes[1]}
        await post_form(nv_client, "/settings/two-factor/off", off)
        assert (await nv_client.get("/admin")).status_code == 403
        # Roles not listed are not asked; API tokens are not asked either.
        nv_client.cookies.clear()
        await login(nv_client, "maker")
        assert (await nv_client.get("/studio")).status_code == 200
        assert (await nv_client.get("/admin", headers=await bearer(root))).status_code == 200


def test_only_roles_above_member_can_require_it(nv_settings_factory: Any) -> None:
    from nichevid.settings import ConfigError

    with pytest.raises(ConfigError, match="two_factor_roles"):
        nv_settings_factory(accounts={"two_factor_roles": ["member"]})
    with pytest.raises(ConfigError, match="two_factor_roles"):
        nv_settings_factory(accounts={"two_factor_roles": "admin"})


async def test_the_data_export_says_whether_it_is_on_and_nothing_more(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    import json

    from nichevid.privacy import bundle

    ada = await make_user("ada")
    totp, codes = await turned_on(nv_resources.settings, ada)
    found = await bundle.two_factor(ada)
    assert found["on"] is True
    assert found["recovery_codes_left"] == 10
    assert found["on_since"].startswith(str(datetime.now(UTC).year))
    shown = json.dumps(found)
    assert totp.secret not in shown
    assert not any(code in shown for code in codes)
