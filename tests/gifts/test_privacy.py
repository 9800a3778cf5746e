"""Gift records in a member's export; erasure unlinks them and keeps the books whole."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nichevid.core.secrets import pseudonym
from nichevid.payments import accounts as acc
from nichevid.payments.check import check
from nichevid.payments.ledger import balance
from nichevid.privacy import deletion
from nichevid.testing.exports import exported_file
from nichevid_gifts import fans, nonprofits, sending
from nichevid_gifts.tables import Gift, Receipt
from tests.accounts.conftest import PASSWORD


async def test_export_and_erasure(
    nv_resources: Any, nv_run_jobs: Any, people: dict[str, Any], video: Any, fund: Any
) -> None:
    ann, cara = people["ann"], people["cara"]
    await nonprofits.mark("bob", "Yarn Aid", "N-7")
    await fund(ann.id, 100)
    await sending.send(
        nv_resources,
        sender=ann,
        send_id="export-0001",
        item_key="star",
        count=1,
        target=sending.Target(video_slug=video.slug),
    )
    donated = await sending.send(
        nv_resources,
        sender=ann,
        send_id="export-0002",
        item_key="coffee",
        count=2,
        target=sending.Target(username="bob"),
    )
    await fans.choose(cara.id, True)
    mine = await exported_file(nv_resources, nv_run_jobs, ann, "gifts.json")
    assert [(g["gift"], g["count"], g["coins"], g["to"], g["kind"]) for g in mine["sent"]] == [
        ("Star", 1, 50, "cara", "gift"),
        ("Coffee", 2, 20, "bob", "donation"),
    ]
    assert mine["received"] == []
    (receipt,) = mine["receipts"]
    assert (receipt["number"], receipt["coins"], receipt["recipient"]) == (
        donated.receipt,
        20,
        "Yarn Aid",
    )
    theirs = await exported_file(nv_resources, nv_run_jobs, cara, "gifts.json")
    assert [(g["from"], g["coins"]) for g in theirs["received"]] == [("ann", 50)]
    assert theirs["show_top_gifters"] is True

    state = await deletion.request_deletion(nv_resources, ann, PASSWORD)
    await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1))
    # The gifts stay, without the link to the erased account; the creator's totals too.
    gifts = await Gift.objects().order_by(Gift.id)
    assert [g.sender for g in gifts] == [None, None]
    assert [g.total for g in gifts] == [50, 20]
    (kept,) = await Receipt.objects()
    assert (kept.donor, kept.donor_name, kept.recipient_name) == (None, "", "Yarn Aid")
    assert await fans.top_gifters(cara.id, 10) == []
    alias = pseudonym(nv_resources.settings, ann.id)
    assert await balance(acc.Account("wallet", alias, "coins")) == 30
    assert await balance(acc.earnings(cara.id, "coins")) == 40
    report = await check()
    assert report.ok, report
