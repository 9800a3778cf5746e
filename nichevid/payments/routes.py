"""Payment pages and endpoints: the member's wallet, the test checkout, webhooks, the
operator's ledger page."""

from __future__ import annotations

import time
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_login, requires_role
from nichevid.i18n import gettext
from nichevid.payments import accounts as acc
from nichevid.payments import checkout, events
from nichevid.payments.check import check
from nichevid.payments.ledger import balances, history
from nichevid.payments.providers import (
    PAID,
    SUBSCRIPTION_ACTIVATED,
    WebhookError,
    all_providers,
    provider,
)
from nichevid.payments.settings import payment_settings
from nichevid.payments.tables import PaymentEvent
from nichevid.payments.test_provider import PERIOD_SECONDS, SIGNATURE_HEADER, TestProvider


def _user(request: Request[Any, Any, Any]) -> Any:
    return request.scope.get("user")


async def _wallet_page(
    request: Request[Any, Any, Any], error: str = "", status: int = 200
) -> Template:
    user = _user(request)
    resources = request.app.state.resources
    held = await balances("wallet", str(user.id))
    lines = {unit: await history(acc.wallet(user.id, unit), 1, 20) for unit in sorted(held)}
    context = {
        "user": user,
        "balances": {unit: checkout.display(amount, unit) for unit, amount in held.items()},
        "lines": lines,
        "display": checkout.display,
        "providers": all_providers(resources),
        "currencies": payment_settings(resources.settings).currencies,
        "paid": request.query_params.get("paid", ""),
        "error": error,
    }
    return Template("payments/wallet.html", context=context, status_code=status)


class Wallet(Controller):
    """A member's balances, their history, and topping up."""

    path = "/wallet"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Template:
        """Balances and recent entries per unit, and the top-up form."""
        return await _wallet_page(request)

    @post("/top-up")
    async def top_up(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Start a checkout for the amount typed, with the provider chosen."""
        form = await request.form()
        currency = str(form.get("currency") or "")
        name = str(form.get("provider") or "")
        try:
            if currency not in payment_settings(request.app.state.settings).currencies:
                raise checkout.CheckoutError(gettext("Choose one of the currencies offered."))
            amount = checkout.minor_units(str(form.get("amount") or ""), currency)
            _, url = await checkout.start(
                request.app.state.resources,
                user_id=_user(request).id,
                provider_name=name,
                amount=amount,
                currency=currency,
            )
        except checkout.CheckoutError as exc:
            return await _wallet_page(request, exc.message, exc.status)
        return Redirect(url, status_code=HTTP_303_SEE_OTHER)


async def _own_checkout(request: Request[Any, Any, Any], token: str) -> Any:
    found = await checkout.get(token)
    if found is None or found.provider != "test" or found.user_id != _user(request).id:
        raise NotFoundException(gettext("There is no such checkout."))
    return found


class TestCheckout(Controller):
    """The test provider's checkout page: confirm or cancel, no money moves."""

    __test__ = False  # not a pytest test class
    path = "/payments/test"
    guards = [requires_login]
    include_in_schema = False

    @get("/{token:str}")
    async def page(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        """What the checkout is for, with confirm and cancel buttons."""
        found = await _own_checkout(request, token)
        context = {
            "user": _user(request),
            "checkout": found,
            "price": checkout.display(found.amount, found.currency),
            "credit": checkout.display(found.credit_amount, found.credit_unit),
        }
        return Template("payments/test_checkout.html", context=context)

    @post("/{token:str}/confirm")
    async def confirm(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        """Pay: a signed notification goes through the webhook path like a real provider's."""
        found = await _own_checkout(request, token)
        resources = request.app.state.resources
        chosen = provider(resources, "test")
        if not isinstance(chosen, TestProvider):
            raise NotFoundException(gettext("Test payments are turned off on this site."))
        back = found.return_path or f"/wallet?paid={found.token}"
        if found.status != "open":
            # Paid or given up already: a second click must not start another period.
            return Redirect(back, status_code=HTTP_303_SEE_OTHER)
        if found.billing_interval:
            # A subscription starts with its first month paid, as a provider reports it.
            start = int(time.time())
            body = chosen.notification(
                SUBSCRIPTION_ACTIVATED,
                found.token,
                found.amount,
                found.currency,
                period=(start, start + PERIOD_SECONDS),
            )
        else:
            body = chosen.notification(PAID, found.token, found.amount, found.currency)
        await events.receive(resources, "test", body, {SIGNATURE_HEADER: chosen.sign(body)})
        return Redirect(back, status_code=HTTP_303_SEE_OTHER)

    @post("/{token:str}/cancel")
    async def cancel(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        """Give up: nothing is charged."""
        found = await _own_checkout(request, token)
        await checkout.cancel(found)
        return Redirect(found.return_path or "/wallet", status_code=HTTP_303_SEE_OTHER)


class Webhooks(Controller):
    """Where providers send their notifications; each event is applied once."""

    path = "/payments/webhooks"
    include_in_schema = False

    @post("/{name:str}", exclude_from_csrf=True, status_code=200)
    async def receive(
        self, request: Request[Any, Any, Any], name: FromPath[str]
    ) -> Response[dict[str, Any]]:
        """Verify, store and apply; 400 for a bad signature or body, nothing stored."""
        body = await request.body()
        try:
            resources = request.app.state.resources
            outcomes = await events.receive(resources, name, body, request.headers)
        except WebhookError as exc:
            return Response({"error": exc.message}, status_code=exc.status)
        return Response({"events": outcomes})


class LedgerAdmin(Controller):
    """The operator's view of the books: the invariant check, totals, pending events."""

    path = "/admin/ledger"
    guards = [requires_role("admin")]
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        """The same check as ``nichevid ledger check``, with the totals by kind and unit."""
        report = await check()
        pending = (
            await PaymentEvent.objects()
            .where(PaymentEvent.status.is_in(["received", "waiting", "refused"]))
            .order_by(PaymentEvent.id, ascending=False)
            .limit(100)
        )
        context = {
            "user": _user(request),
            "report": report,
            "pending": pending,
            "display": checkout.display,
        }
        return Template("payments/admin.html", context=context)
