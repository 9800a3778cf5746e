"""A member's ad views are in their export; erasing the account unlinks them, counts stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nichevid.privacy import deletion
from nichevid.testing.exports import exported_file
from nichevid_ads import campaigns
from nichevid_ads.tables import AdHide, AdView
from tests.accounts.conftest import PASSWORD, login
from tests.ads.test_serving import _ad, _seen
from tests.moderation.conftest import form


async def test_export_and_erasure(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, people: dict[str, Any], booked: int
) -> None:
    await login(nv_client, "ann")
    token = await _ad(nv_client)
    assert token is not None
    await _seen(nv_client, token)
    await nv_client.get(f"/ads/click/{token}", follow_redirects=False)
    hidden = await form(nv_client, f"/ads/hide/{token}", {})
    assert hidden.status_code == 200
    ann = people["ann"]
    assert await exported_file(nv_resources, nv_run_jobs, ann, "ads.json") == {
        "views": [
            {
                "day": campaigns.today().isoformat(),
                "campaign": "Spring ropes",
                "advertiser": "Rope & Co",
                "clicked": True,
            }
        ],
        "hidden": [{"campaign": "Spring ropes", "advertiser": "Rope & Co"}],
    }
    state = await deletion.request_deletion(nv_resources, ann, PASSWORD)
    await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1))
    rows = await AdView.select(AdView.viewer, AdView.clicked)
    assert rows == [{"viewer": "", "clicked": True}]
    assert (await campaigns.deliveries([booked]))[booked].views == 1
    assert await AdHide.count() == 0
