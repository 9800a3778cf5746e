"""The ``export_user_data`` hook: plugins' files in the zip, bad answers named in the manifest."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from nichevid.plugins import hookimpl
from nichevid.privacy import exports
from nichevid.privacy.tables import DataExport


class Ledger:
    """A plugin adding its own files, one of them under a name it may not use."""

    @hookimpl
    async def export_user_data(self, user: Any) -> dict[str, Any]:
        return {
            "ledger.json": [{"user": user.username, "amount_minor": 500}],
            "raw/receipt.pdf": b"%PDF-1.4",
            "../escape.txt": "no",
        }


class Broken:
    @hookimpl
    def export_user_data(self, user: Any) -> dict[str, Any]:
        raise RuntimeError("ledger database down")


@pytest.fixture
def nv_plugins() -> list[Any]:
    return [Ledger(), Broken()]


async def test_hook_export_user_data(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    assert await exports.request_export(nv_resources, ada)
    await nv_run_jobs()
    state = await exports.export_state(ada)
    assert state.status == "ready"
    key = (await DataExport.objects().first()).storage_key
    archive = zipfile.ZipFile(io.BytesIO(await nv_resources.storage.read_bytes(key)))
    ledger = [n for n in archive.namelist() if n.endswith("/ledger.json")]
    assert len(ledger) == 1
    assert ledger[0].startswith("plugins/")
    assert json.loads(archive.read(ledger[0])) == [{"user": "ada", "amount_minor": 500}]
    receipt = ledger[0].replace("ledger.json", "raw/receipt.pdf")
    assert archive.read(receipt) == b"%PDF-1.4"
    assert not any("escape" in n for n in archive.namelist())
    problems = json.loads(archive.read("manifest.json"))["problems"]
    assert any("'../escape.txt' is not allowed" in p for p in problems)
    assert any("failed (RuntimeError)" in p for p in problems)
