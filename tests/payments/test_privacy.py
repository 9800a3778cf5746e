"""A member's money records: in their export, and kept under a pseudonym after erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nichevid.core.secrets import pseudonym
from nichevid.payments import accounts as acc
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.moves import spend
from nichevid.payments.tables import LedgerAccount
from nichevid.privacy import deletion
from nichevid.testing.exports import exported_file
from tests.accounts.conftest import PASSWORD


async def test_money_records_are_exported_and_survive_erasure_under_a_pseudonym(
    nv_resources: Any, nv_run_jobs: Any, make_user: Any, fund: Any
) -> None:
    ada, cara = await make_user("ada"), await make_user("cara")
    await fund(ada.id, 100)
    await spend(
        nv_resources.settings,
        payer=ada.id,
        payee=cara.id,
        amount=40,
        unit="coins",
        idempotency_key="gift:1",
    )
    mine = await exported_file(nv_resources, nv_run_jobs, ada, "money.json")
    (wallet,) = mine["accounts"]
    assert (wallet["account"], wallet["unit"], wallet["balance"]) == ("wallet", "coins", 60)
    assert sorted(e["amount"] for e in wallet["entries"]) == [-40, 100]
    state = await deletion.request_deletion(nv_resources, ada, PASSWORD)
    assert await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1)) == (
        1,
        0,
    )
    # No account is named after the member any more; the books still balance, and
    # the pseudonym's wallet holds what the member's did.
    owners = {row.owner for row in await LedgerAccount.objects()}
    assert str(ada.id) not in owners
    alias = pseudonym(nv_resources.settings, ada.id)
    assert alias in owners
    assert await balance(acc.Account("wallet", alias, "coins")) == 60
    # The creator's side is untouched: 40 coins less the platform's 20 %.
    assert await balance(acc.earnings(cara.id, "coins")) == 32
    report = await check()
    assert report.ok, report


async def test_payouts_are_exported_and_erasure_returns_a_pending_hold(
    nv_resources: Any, make_user: Any, fund: Any
) -> None:
    from nichevid.payments import payouts
    from nichevid.payments.privacy import export_for
    from nichevid.payments.tables import Payout

    settings = nv_resources.settings
    ada, cara = await make_user("ada"), await make_user("cara")
    await fund(ada.id, 10_000, "EUR")
    await spend(
        settings, payer=ada.id, payee=cara.id, amount=10_000, unit="EUR", idempotency_key="d:1"
    )
    first = await payouts.request(
        settings, user_id=cara.id, amount=2000, unit="EUR", details="IBAN 1", request_key="a" * 9
    )
    await payouts.approve(settings, first.payout.id)
    await payouts.request(
        settings, user_id=cara.id, amount=3000, unit="EUR", details="IBAN 2", request_key="b" * 9
    )
    mine = await export_for(cara.id)
    assert [(p["amount"], p["status"], p["details"]) for p in mine["payouts"]] == [
        (2000, "approved", "IBAN 1"),
        (3000, "pending", "IBAN 2"),
    ]
    kinds = {a["account"]: a["balance"] for a in mine["accounts"]}
    assert kinds == {"earnings": 3000, "payouts": 3000}
    state = await deletion.request_deletion(nv_resources, cara, PASSWORD)
    await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1))
    alias = pseudonym(settings, cara.id)
    rows = {p.status: p for p in await Payout.objects()}
    assert set(rows) == {"approved", "rejected"}
    assert all(p.owner == alias for p in rows.values())
    # Still owed: where to send it stays until it is paid; the rest goes.
    assert (rows["approved"].details, rows["rejected"].details) == ("IBAN 1", "")
    assert await balance(acc.Account("earnings", alias, "EUR")) == 6000
    assert await balance(acc.Account("payouts", alias, "EUR")) == 0
    await payouts.mark_paid([rows["approved"].id])
    paid = await Payout.objects().where(Payout.id == rows["approved"].id).first()
    assert paid is not None
    assert (paid.status, paid.details) == ("paid", "")
    assert str(cara.id) not in {row.owner for row in await LedgerAccount.objects()}
    assert (await check()).ok
