"""Earnings and revenue figures, read from the ledger's entries.

A *stream* is where money came from: the kind of the transaction that moved it
(``gift``, ``donation``, ``subscription...``, ``affiliates`` for commissions on
affiliate links, ``top_up`` for coins sold), with
everything else grouped as ``other``. A refund or chargeback counts against the
stream of the transaction it reverses. Payout moves are not earnings and are left
out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from piccolo.query.functions.aggregate import Sum

from nichevid.i18n import gettext
from nichevid.payments import accounts as acc
from nichevid.payments.moves import REVERSAL_KINDS
from nichevid.payments.payouts import PAYOUT_KINDS, SETTLE_PAID
from nichevid.payments.tables import LedgerEntry, LedgerTransaction

CREATOR_STREAMS = ("gift", "donation", "subscription", "affiliates", "coin_conversion", "other")
REVENUE_STREAMS = (
    "gift",
    "donation",
    "subscription",
    "affiliates",
    "top_up",
    "coin_conversion",
    "other",
)
# Periods offered, in days, and the default; steps of the charts.
PERIODS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
STEPS = ("day", "week")


class PeriodError(ValueError):
    """A period or step nobody offered; ``message`` says what is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = 400


def period(days: str | None, step: str | None) -> tuple[int, str]:
    """Parse ``?days=`` and ``?step=``; empty means the default (30 days, daily).

    Raises:
        PeriodError: Anything but one of :data:`PERIODS` and :data:`STEPS`.
    """
    choices = ", ".join(str(d) for d in PERIODS)
    try:
        chosen = int(days) if days else DEFAULT_DAYS
    except ValueError:
        chosen = -1
    if chosen not in PERIODS:
        raise PeriodError(gettext("Choose a period of %(choices)s days.", choices=choices))
    picked = step or ("week" if chosen > 90 else "day")
    if picked not in STEPS:
        raise PeriodError(gettext("Show the chart by day or by week."))
    return chosen, picked


def stream(kind: str, streams: tuple[str, ...]) -> str:
    """The stream of a transaction kind: itself when listed, ``subscription...`` as one."""
    if kind.startswith("subscription"):
        kind = "subscription"
    return kind if kind in streams else "other"


def stream_label(name: str) -> str:
    """A stream's name in the reader's language."""
    return {
        "gift": gettext("Gifts"),
        "donation": gettext("Donations"),
        "subscription": gettext("Subscriptions"),
        "affiliates": gettext("Affiliate links"),
        "top_up": gettext("Coins sold"),
        "coin_conversion": gettext("Coins converted to money"),
        "other": gettext("Other"),
    }.get(name, name)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _bucket(day: date, step: str) -> date:
    return day - timedelta(days=day.weekday()) if step == "week" else day


async def _original_kinds(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await LedgerTransaction.select(LedgerTransaction.id, LedgerTransaction.kind).where(
        LedgerTransaction.id.is_in(sorted(ids))
    )
    return {int(r["id"]): r["kind"] for r in rows}


@dataclass
class Series:
    """A creator's earnings in one unit: per bucket and stream, and the totals."""

    unit: str
    step: str
    buckets: list[tuple[date, dict[str, int]]]
    totals: dict[str, int] = field(default_factory=dict)


async def creator_series(
    user_id: int, unit: str, days: int, step: str, now: datetime | None = None
) -> Series:
    """What ``user_id`` earned in ``unit`` over the last ``days`` days, by stream."""
    now = now or datetime.now(UTC)
    first = (now - timedelta(days=days - 1)).date()
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    rows = await LedgerEntry.select(
        LedgerEntry.amount,
        LedgerEntry.txn.kind.as_alias("kind"),
        LedgerEntry.txn.reverses.as_alias("reverses"),
        LedgerEntry.txn.created_at.as_alias("at"),
    ).where(
        (LedgerEntry.account.key == acc.earnings(user_id, unit).key)
        & (LedgerEntry.txn.created_at >= since)
        & LedgerEntry.txn.kind.not_in(list(PAYOUT_KINDS))
    )
    originals = await _original_kinds({int(r["reverses"]) for r in rows if r["reverses"]})
    starts: list[date] = []
    day = first
    while day <= now.date():
        start = _bucket(day, step)
        if not starts or starts[-1] != start:
            starts.append(start)
        day += timedelta(days=1)
    amounts: dict[date, dict[str, int]] = {s: dict.fromkeys(CREATOR_STREAMS, 0) for s in starts}
    totals = dict.fromkeys(CREATOR_STREAMS, 0)
    for row in rows:
        kind = originals.get(int(row["reverses"]), "") if row["reverses"] else row["kind"]
        name = stream(kind, CREATOR_STREAMS)
        start = _bucket(_aware(row["at"]).date(), step)
        if start in amounts:
            amounts[start][name] += int(row["amount"])
            totals[name] += int(row["amount"])
    return Series(unit, step, [(s, amounts[s]) for s in starts], totals)


@dataclass
class StreamTotal:
    """One stream in one unit over the period (positive amounts in minor units)."""

    stream: str
    unit: str
    gross: int = 0  # what members paid into it: creators' part plus the platform's
    creators: int = 0
    platform: int = 0
    refunds: int = 0  # gross taken back by refunds
    chargebacks: int = 0  # gross taken back by chargebacks

    @property
    def net(self) -> int:
        """Gross less what was taken back."""
        return self.gross - self.refunds - self.chargebacks


@dataclass
class Revenue:
    """The operator's figures over a period."""

    since: datetime
    until: datetime
    streams: list[StreamTotal]
    paid_out: dict[str, int]


async def revenue(days: int, now: datetime | None = None) -> Revenue:
    """Totals by stream and unit over the last ``days`` days (a few grouped queries)."""
    until = now or datetime.now(UTC)
    since = until - timedelta(days=days)
    in_period = (LedgerEntry.txn.created_at >= since) & (LedgerEntry.txn.created_at < until)
    rows = (
        await LedgerEntry.select(
            LedgerEntry.txn.kind.as_alias("kind"),
            LedgerEntry.txn.reverses.as_alias("reverses"),
            LedgerEntry.account.kind.as_alias("account"),
            LedgerEntry.unit,
            Sum(LedgerEntry.amount, alias="total"),
        )
        .where(
            in_period
            & LedgerEntry.account.kind.is_in(["earnings", "platform"])
            & LedgerEntry.txn.kind.not_in(list(PAYOUT_KINDS))
        )
        .group_by(
            LedgerEntry.txn.kind,
            LedgerEntry.txn.reverses,
            LedgerEntry.account.kind,
            LedgerEntry.unit,
        )
    )
    originals = await _original_kinds({int(r["reverses"]) for r in rows if r["reverses"]})
    totals: dict[tuple[str, str], StreamTotal] = {}
    for row in rows:
        reversal = bool(row["reverses"]) and row["kind"] in REVERSAL_KINDS
        kind = originals.get(int(row["reverses"]), "") if reversal else row["kind"]
        key = (stream(kind, REVENUE_STREAMS), row["unit"])
        line = totals.setdefault(key, StreamTotal(*key))
        amount = int(row["total"] or 0)
        if reversal:
            if row["kind"] == "chargeback":
                line.chargebacks -= amount
            else:
                line.refunds -= amount
            continue
        line.gross += amount
        if row["account"] == "earnings":
            line.creators += amount
        else:
            line.platform += amount
    paid = (
        await LedgerEntry.select(LedgerEntry.unit, Sum(LedgerEntry.amount, alias="total"))
        .where(
            in_period
            & (LedgerEntry.txn.kind == SETTLE_PAID)
            & (LedgerEntry.account.kind == "paid_out")
        )
        .group_by(LedgerEntry.unit)
    )
    order = {name: i for i, name in enumerate(REVENUE_STREAMS)}
    return Revenue(
        since=since,
        until=until,
        streams=sorted(
            (t for t in totals.values() if t.gross or t.refunds or t.chargebacks),
            key=lambda t: (t.unit, order[t.stream]),
        ),
        paid_out={r["unit"]: int(r["total"] or 0) for r in paid},
    )


def by_unit(lines: list[StreamTotal]) -> dict[str, StreamTotal]:
    """The sum of every stream per unit."""
    sums: dict[str, StreamTotal] = defaultdict(lambda: StreamTotal("all", ""))
    for line in lines:
        total = sums[line.unit]
        total.unit = line.unit
        total.gross += line.gross
        total.creators += line.creators
        total.platform += line.platform
        total.refunds += line.refunds
        total.chargebacks += line.chargebacks
    return dict(sums)
