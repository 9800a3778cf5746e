"""A member's money records: in their export, and kept under a pseudonym after erasure."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from io import BytesIO
from typing import Any

from nichevid.core.secrets import pseudonym
from nichevid.payments import accounts as acc
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.payments.moves import spend
from nichevid.payments.tables import LedgerAccount
from nichevid.privacy import deletion, exports
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
    assert await exports.request_export(nv_resources, ada)
    await nv_run_jobs()
    keys = [o.key async for o in nv_resources.storage.list(exports.export_prefix(ada.id))]
    with zipfile.ZipFile(BytesIO(await nv_resources.storage.read_bytes(keys[0]))) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith("/money.json")]
        mine = json.loads(archive.read(name))
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
