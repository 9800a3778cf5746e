"""With the moderation plugin loaded, an erased member leaves no trace in its tables either."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from io import BytesIO
from typing import Any

from nichevid.privacy import deletion, exports
from nichevid_moderation import actions
from nichevid_moderation.tables import AuditEntry
from tests.privacy.snapshot import rows, user_columns
from tests.privacy.test_erasure import traces

from .conftest import PASSWORD
from .test_stats_privacy import _busy_day


async def test_export_and_erasure_reach_the_moderation_plugin(
    nv_resources: Any, nv_run_jobs: Any, people: dict[str, Any]
) -> None:
    await _busy_day(nv_resources, people)
    await actions.act(
        nv_resources, people["mod"], kind="account", ref="cara", action="suspend",
        reason="Pause.", days=2,
    )  # fmt: skip
    cara = people["cara"]
    # The export carries the plugin's file.
    assert await exports.request_export(nv_resources, cara)
    await nv_run_jobs()
    keys = [obj.key async for obj in nv_resources.storage.list(exports.export_prefix(cara.id))]
    assert len(keys) == 1
    with zipfile.ZipFile(BytesIO(await nv_resources.storage.read_bytes(keys[0]))) as archive:
        mine = json.loads(archive.read("plugins/moderation/moderation.json"))
    assert [a["status"] for a in mine["appeals"]] == ["upheld"]
    assert mine["account_measures"][0]["kind"] == "suspend"
    # Erased after the grace period: no moderation row points at the account any more,
    # while the audit log keeps every entry.
    entries = await AuditEntry.count()
    state = await deletion.request_deletion(nv_resources, cara, PASSWORD)
    assert await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1)) == (
        1,
        0,
    )
    needles = [cara.username, cara.email]
    everything = await rows(nv_resources)
    left: list[str] = []
    scanned = set()
    for app in nv_resources.app_configs:
        for table in app.table_classes:
            name = table._meta.tablename
            scanned.add(name)
            for row in everything[name]:
                left += traces(name, row, needles, user_columns(table), cara.id)
    assert {"nv_mod_report", "nv_mod_audit", "nv_mod_appeal", "nv_mod_restriction"} <= scanned
    assert not left, left
    assert await AuditEntry.count() == entries
