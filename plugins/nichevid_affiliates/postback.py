"""Sales reported by affiliate networks: signed postbacks booked to the ledger once.

``POST /affiliates/postback`` carries JSON such as ``{"click": "<token>", "amount":
1250, "currency": "EUR", "order": "A-1001"}`` and the header ``X-Affiliate-Signature:
sha256=<hex>``, the HMAC-SHA256 of the raw body under ``postback_secret``. ``amount`` is
the commission the network pays, in minor units. The creator's earnings get it less the
platform's cut (``moves.platform_cut``), the platform the cut, against the ``clearing``
account of ``affiliates`` (what the network owes). The ledger's idempotency key is
``affiliates:<order>``, so a repeated postback books once. ``"status": "reversed"``
reverses the order's booking, once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from nichevid.i18n import gettext
from nichevid.payments import accounts as acc
from nichevid.payments import moves
from nichevid.payments.ledger import (
    MAX_AMOUNT,
    Entry,
    IdempotencyConflict,
    LedgerError,
    Overdraft,
    Transaction,
    post,
)
from nichevid.payments.settings import payment_settings
from nichevid_affiliates.errors import AffiliateError
from nichevid_affiliates.settings import affiliate_settings
from nichevid_affiliates.tables import Click, Conversion, Link

HEADER = "x-affiliate-signature"
KIND = "affiliates"
CLEARING = "affiliates"
MAX_BODY = 16 * 1024
ORDER = re.compile(r"^[A-Za-z0-9_.:\-/#]{1,100}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


@dataclass(frozen=True)
class Outcome:
    """What a postback did: ``status`` is ``booked``, ``already booked``, ``reversed`` or
    ``already reversed``."""

    status: str
    order: str
    creator_share: int = 0
    platform_share: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer."""
        return {
            "status": self.status,
            "order": self.order,
            "creator_share": self.creator_share,
            "platform_share": self.platform_share,
        }


def signature(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` under ``secret`` (what networks send)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(settings: Any, body: bytes, header: str | None) -> None:
    """Check the postback's signature.

    Raises:
        AffiliateError: 503 while no secret is set; 401 for a missing or wrong signature.
    """
    secret = affiliate_settings(settings).postback_secret.reveal()
    if not secret:
        raise AffiliateError(
            gettext(
                "Postbacks are off: the operator has not set plugin.affiliates.postback_secret."
            ),
            503,
        )
    given = (header or "").strip()
    if not given:
        raise AffiliateError(
            gettext(
                "The X-Affiliate-Signature header is missing: send the HMAC-SHA256 of the "
                "body under the shared secret, as sha256=<hex>."
            ),
            401,
        )
    given = given.removeprefix("sha256=").lower()
    if not hmac.compare_digest(given, signature(secret, body)):
        raise AffiliateError(
            gettext(
                "The signature does not match the body: sign the exact bytes sent with the "
                "shared secret (HMAC-SHA256, hex)."
            ),
            401,
        )


@dataclass(frozen=True)
class Report:
    """A postback's fields, checked."""

    click: str
    order: str
    amount: int
    currency: str
    reversed: bool


def parse(settings: Any, body: bytes) -> Report:
    """The postback's fields.

    Raises:
        AffiliateError: 400 naming the field that is missing or wrong.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise AffiliateError(gettext("The body is not valid JSON; send a JSON object.")) from None
    if not isinstance(data, dict):
        raise AffiliateError(gettext("The body is not valid JSON; send a JSON object."))
    order = data.get("order")
    if not isinstance(order, str) or not ORDER.match(order):
        raise AffiliateError(
            gettext(
                '"order" must be the network\'s order id: 1 to 100 letters, digits or _ . : - / #.'
            )
        )
    status = data.get("status", "approved")
    if status not in ("approved", "reversed"):
        raise AffiliateError(gettext('"status" must be "approved" or "reversed".'))
    click = data.get("click")
    if not isinstance(click, str) or not TOKEN.match(click):
        raise AffiliateError(
            gettext('"click" must be the click token the link carried (the click parameter).')
        )
    if status == "reversed":
        return Report(click, order, 0, "", True)
    amount = data.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise AffiliateError(
            gettext(
                '"amount" must be a whole number of minor units (1250 for 12.50), not %(value)s.',
                value=json.dumps(amount),
            )
        )
    if not 0 < amount <= MAX_AMOUNT:
        raise AffiliateError(
            gettext('"amount" must be more than 0 (the commission in minor units).')
        )
    currency = data.get("currency")
    accepted = payment_settings(settings).currencies
    if not isinstance(currency, str) or currency.upper() not in accepted:
        raise AffiliateError(
            gettext(
                '"currency" must be one of the currencies this site takes: %(codes)s.',
                codes=", ".join(accepted),
            )
        )
    return Report(click, order, amount, currency.upper(), False)


async def receive(settings: Any, body: bytes, header: str | None) -> Outcome:
    """Verify, check and apply one postback.

    Raises:
        AffiliateError: What was wrong (nothing is booked).
    """
    verify(settings, body, header)
    report = parse(settings, body)
    if report.reversed:
        return await reverse(settings, report)
    return await book(settings, report)


async def book(settings: Any, report: Report) -> Outcome:
    """Book the commission of ``report`` once."""
    click = await Click.objects().where(Click.token == report.click).first()
    if click is None:
        raise AffiliateError(
            gettext(
                "There is no click %(click)s; send the token the link carried.", click=report.click
            ),
            404,
        )
    found = await Link.select(Link.id, Link.owner).where(Link.id == click.link).first()
    if found is None:
        raise AffiliateError(gettext("The link of this click is gone."), 404)
    creator = int(found["owner"])
    cut = moves.platform_cut(settings, report.amount)
    share = report.amount - cut
    entries = [Entry(acc.clearing(CLEARING, report.currency), -report.amount)]
    if share:
        entries.append(Entry(acc.earnings(creator, report.currency), share))
    if cut:
        entries.append(Entry(acc.platform(report.currency), cut))
    reference = f"affiliates:link:{found['id']}:click:{click.id}"
    try:
        posted = await post(
            settings, Transaction(KIND, f"affiliates:{report.order}", entries, reference)
        )
    except IdempotencyConflict:
        raise AffiliateError(
            gettext(
                "Order %(order)s was already booked with other details; send a new order id "
                "or a reversal.",
                order=report.order,
            ),
            409,
        ) from None
    except LedgerError as exc:
        raise AffiliateError(exc.message, exc.status) from None
    table = Conversion._meta.tablename
    await Conversion.raw(
        f"INSERT INTO {table} (order_ref, click, link, creator, amount, currency, "  # noqa: S608
        "creator_share, platform_share, transaction_id, status) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, 'booked') ON CONFLICT (order_ref) DO NOTHING",
        report.order,
        click.id,
        found["id"],
        creator,
        report.amount,
        report.currency,
        share,
        cut,
        posted.id,
    )
    status = "already booked" if posted.replayed else "booked"
    return Outcome(status, report.order, share, cut)


async def reverse(settings: Any, report: Report) -> Outcome:
    """Undo the booking of ``report.order``, once."""
    conversion = await Conversion.objects().where(Conversion.order_ref == report.order).first()
    if conversion is None:
        raise AffiliateError(
            gettext("There is no booked order %(order)s to reverse.", order=report.order), 404
        )
    click = await Click.select(Click.token).where(Click.id == conversion.click).first()
    if click is not None and click["token"] != report.click:
        raise AffiliateError(
            gettext("Order %(order)s was booked for another click.", order=report.order), 409
        )
    try:
        posted = await moves.reverse(
            settings,
            int(conversion.transaction_id),
            kind="refund",
            reference=f"affiliates:{report.order}",
        )
    except Overdraft:
        raise AffiliateError(
            gettext(
                "The creator's earnings were paid out meanwhile; settle order %(order)s with "
                "the creator outside the site.",
                order=report.order,
            ),
            409,
        ) from None
    except LedgerError as exc:
        raise AffiliateError(exc.message, exc.status) from None
    await Conversion.update(
        {Conversion.status: "reversed", Conversion.reversal_id: posted.id}
    ).where(Conversion.id == conversion.id)
    status = "already reversed" if posted.replayed else "reversed"
    return Outcome(
        status, report.order, int(conversion.creator_share), int(conversion.platform_share)
    )
