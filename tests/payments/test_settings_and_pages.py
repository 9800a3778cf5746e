"""Payment settings refused at start-up, and who may see which page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nichevid.app import create_app
from nichevid.settings import ConfigError
from tests.accounts.conftest import login


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"currencies": ["EUR", "XYZ"]}, "unknown ISO 4217 codes: XYZ"),
        ({"currencies": []}, "currencies is empty"),
        ({"currencies": ["EUR", "eur"]}, "lists a currency twice"),
        ({"platform_cut_percent": 101}, "platform_cut_percent"),
        ({"platform_cut_percent": -1}, "platform_cut_percent"),
        ({"max_checkout_amount": 0}, "max_checkout_amount"),
    ],
)
def test_bad_payment_settings_stop_start_up(
    nv_settings_factory: Callable[..., Any], section: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app(nv_settings_factory(plugin={"payments": section}))


async def test_wallet_needs_login_and_ledger_needs_admin(nv_client: Any, make_user: Any) -> None:
    page = await nv_client.get("/wallet", headers={"accept": "text/html"})
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")
    await make_user("ada")
    await login(nv_client, "ada")
    assert (
        await nv_client.get("/admin/ledger", headers={"accept": "text/html"})
    ).status_code == 403
    wallet = await nv_client.get("/wallet", headers={"accept": "text/html"})
    assert "Your wallet is empty." in wallet.text
    assert 'href="/wallet"' in wallet.text
    assert 'href="/admin/ledger"' not in wallet.text


@pytest.mark.usefixtures("_nv_migrated")
async def test_without_the_test_provider_nothing_is_offered(
    nv_settings_factory: Callable[..., Any],
) -> None:
    from nichevid.testing import client_for

    app = create_app(nv_settings_factory(plugin={"payments": {"test_provider": False}}))
    async with client_for(app) as client:
        from nichevid.accounts import services

        await services.create_user(
            app.state.resources.settings,
            app.state.resources.pm,
            username="ada",
            email="ada@example.org",
            password="correct horse battery",
        )
        await login(client, "ada")
        wallet = await client.get("/wallet", headers={"accept": "text/html"})
        assert "This site takes no payments." in wallet.text
        assert "Test payments" not in wallet.text
