"""The creator's earnings page and payout requests: ``/earnings``."""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from nichevid.accounts.guards import requires_login
from nichevid.core.charts import stacked_bars
from nichevid.i18n import gettext
from nichevid.payments import accounts as acc
from nichevid.payments import earnings, moves, payouts
from nichevid.payments.checkout import CheckoutError, display, minor_units
from nichevid.payments.ledger import IdempotencyConflict, Overdraft, balances, history
from nichevid.payments.settings import payment_settings


def _shown(unit: str, amount: int) -> str:
    return display(amount, unit)


def _user(request: Request[Any, Any, Any]) -> Any:
    return request.scope.get("user")


async def _page(request: Request[Any, Any, Any], error: str = "", status: int = 200) -> Template:
    user = _user(request)
    settings = request.app.state.settings
    config = payment_settings(settings)
    try:
        days, step = earnings.period(
            request.query_params.get("days"), request.query_params.get("step")
        )
    except earnings.PeriodError as exc:
        error, status = exc.message, exc.status
        days, step = earnings.period(None, None)
    earned = await balances("earnings", str(user.id))
    held = await balances("payouts", str(user.id))
    series = [(key, earnings.stream_label(key)) for key in earnings.CREATOR_STREAMS]
    charts = []
    for unit in sorted(earned):
        data = await earnings.creator_series(user.id, unit, days, step)
        title = gettext("Earnings in %(unit)s over %(days)s days", unit=unit, days=days)
        charts.append(
            {
                "unit": unit,
                "svg": stacked_bars(data.buckets, series, title, partial(_shown, unit)),
                "totals": [
                    (earnings.stream_label(k), display(v, unit)) for k, v in data.totals.items()
                ],
            }
        )
    context = {
        "user": user,
        "earned": {unit: display(amount, unit) for unit, amount in sorted(earned.items())},
        "held": {unit: display(amount, unit) for unit, amount in sorted(held.items()) if amount},
        "charts": charts,
        "lines": {unit: await history(acc.earnings(user.id, unit), 1, 20) for unit in earned},
        "requests": await payouts.for_member(user.id, limit=20),
        "status_label": payouts.status_label,
        "display": display,
        "currencies": config.currencies,
        "minimums": {c: display(config.minimum_payout(c), c) for c in config.currencies},
        "periods": earnings.PERIODS,
        "days": days,
        "step": step,
        "request_key": secrets.token_urlsafe(16),
        "coin_rates": {
            code: display(value, code) for code, value in config.coin_value_per_hundred.items()
        },
        "earned_coins": earned.get(acc.COINS, 0),
        "converted": request.query_params.get("converted", ""),
        "error": error,
        "requested": request.query_params.get("requested", ""),
    }
    return Template("payments/earnings.html", context=context, status_code=status)


class Earnings(Controller):
    """What a creator earned, by stream over time, and their payout requests."""

    path = "/earnings"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Template:
        """Balances, charts for the period chosen (``?days=``, ``?step=``), requests."""
        return await _page(request)

    @post("/convert")
    async def convert(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Turn earned coins into money at the site's value of coins. Errors re-show the page."""
        form = await request.form()
        settings = request.app.state.settings
        currency = str(form.get("currency") or "")
        raw = str(form.get("coins") or "").strip()
        rates = payment_settings(settings).coin_value_per_hundred
        try:
            if not raw.isdigit() or int(raw) < 1 or len(raw) > 12:
                raise CheckoutError(
                    gettext("Write the coins to convert as a whole number, e.g. 500.")
                )
            coins = int(raw)
            if currency not in rates:
                raise CheckoutError(
                    gettext(
                        "Earned coins cannot be converted to %(unit)s on this site.", unit=currency
                    )
                )
            if moves.coin_value(settings, coins, currency) < 1:
                raise CheckoutError(
                    gettext(
                        "%(num)s coins are worth less than the smallest amount of %(unit)s; "
                        "convert more.",
                        num=coins,
                        unit=currency,
                    )
                )
            await moves.convert_coins(
                settings,
                user_id=_user(request).id,
                coins=coins,
                currency=currency,
                idempotency_key=f"coin-conversion:{_user(request).id}:"
                + str(form.get("request_key") or secrets.token_urlsafe(16))[:64],
            )
        except CheckoutError as exc:
            return await _page(request, exc.message, exc.status)
        except Overdraft:
            have = (await balances("earnings", str(_user(request).id))).get(acc.COINS, 0)
            message = gettext("You have %(num)s earned coins; convert at most that many.", num=have)
            return await _page(request, message, 409)
        except IdempotencyConflict:
            message = gettext("This form was sent already with other values; reload the page.")
            return await _page(request, message, 409)
        return Redirect("/earnings?converted=1", status_code=HTTP_303_SEE_OTHER)

    @post("/payout")
    async def request_payout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Ask for a payout; the amount is held at once. Errors re-show the page."""
        form = await request.form()
        currency = str(form.get("currency") or "")
        try:
            if currency not in payment_settings(request.app.state.settings).currencies:
                raise payouts.PayoutError(
                    gettext(
                        "%(unit)s is not a currency of this site; choose one of: %(currencies)s.",
                        unit=currency,
                        currencies=", ".join(
                            payment_settings(request.app.state.settings).currencies
                        ),
                    )
                )
            amount = minor_units(str(form.get("amount") or ""), currency)
            await payouts.request(
                request.app.state.settings,
                user_id=_user(request).id,
                amount=amount,
                unit=currency,
                details=str(form.get("details") or ""),
                request_key=str(form.get("request_key") or ""),
            )
        except (payouts.PayoutError, CheckoutError) as exc:
            return await _page(request, exc.message, exc.status)
        return Redirect("/earnings?requested=1", status_code=HTTP_303_SEE_OTHER)
