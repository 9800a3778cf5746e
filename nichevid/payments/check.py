"""The ledger's invariants, checked from the entries themselves.

* every transaction has two or more entries, and they sum to zero per unit;
* every entry is in its account's unit;
* every cached balance equals the sum of its account's entries;
* no wallet or earnings account is below zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from nichevid.payments.tables import LedgerAccount, LedgerEntry, LedgerTransaction


@dataclass
class Report:
    """What :func:`check` found; ``ok`` when nothing is wrong."""

    transactions: int = 0
    accounts: int = 0
    unbalanced: list[int] = field(default_factory=list)
    short: list[int] = field(default_factory=list)
    wrong_unit: list[int] = field(default_factory=list)
    stale_balances: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every invariant holds."""
        return not (
            self.unbalanced or self.short or self.wrong_unit or self.stale_balances or self.negative
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with ``ok``."""
        return {"ok": self.ok, **asdict(self)}


async def check() -> Report:
    """Check every invariant over the whole ledger (a few aggregate queries)."""
    txns = LedgerTransaction._meta.tablename
    entries = LedgerEntry._meta.tablename
    accounts = LedgerAccount._meta.tablename
    report = Report()
    report.transactions = await LedgerTransaction.count()
    report.accounts = await LedgerAccount.count()
    rows = await LedgerEntry.raw(
        f"SELECT DISTINCT txn FROM {entries} GROUP BY txn, unit "  # noqa: S608
        "HAVING SUM(amount) <> 0 ORDER BY txn"
    )
    report.unbalanced = [int(r["txn"]) for r in rows]
    rows = await LedgerTransaction.raw(
        f"SELECT t.id FROM {txns} t LEFT JOIN {entries} e ON e.txn = t.id "  # noqa: S608
        "GROUP BY t.id HAVING COUNT(e.id) < 2 ORDER BY t.id"
    )
    report.short = [int(r["id"]) for r in rows]
    rows = await LedgerEntry.raw(
        f"SELECT e.id FROM {entries} e JOIN {accounts} a ON a.id = e.account "  # noqa: S608
        "WHERE e.unit <> a.unit ORDER BY e.id"
    )
    report.wrong_unit = [int(r["id"]) for r in rows]
    rows = await LedgerAccount.raw(
        f"SELECT a.key FROM {accounts} a LEFT JOIN {entries} e ON e.account = a.id "  # noqa: S608
        "GROUP BY a.id, a.key, a.balance HAVING a.balance <> COALESCE(SUM(e.amount), 0) "
        "ORDER BY a.key"
    )
    report.stale_balances = [str(r["key"]) for r in rows]
    rows = await LedgerAccount.raw(
        f"SELECT key FROM {accounts} WHERE balance < 0 AND NOT may_go_negative "  # noqa: S608
        "ORDER BY key"
    )
    report.negative = [str(r["key"]) for r in rows]
    rows = await LedgerAccount.raw(
        f"SELECT kind, unit, SUM(balance) AS total, COUNT(*) AS accounts FROM {accounts} "  # noqa: S608
        "GROUP BY kind, unit ORDER BY kind, unit"
    )
    report.totals = [
        {
            "kind": r["kind"],
            "unit": r["unit"],
            "total": int(r["total"]),
            "accounts": int(r["accounts"]),
        }
        for r in rows
    ]
    return report
