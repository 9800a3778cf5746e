"""Every row of every table of every registered Piccolo app, and every stored file."""

from __future__ import annotations

import json
from typing import Any

from piccolo.columns import ForeignKey


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


async def rows(resources: Any) -> dict[str, list[dict[str, Any]]]:
    """``{table name: rows}`` of every table the instance's apps register."""
    out: dict[str, list[dict[str, Any]]] = {}
    for app in resources.app_configs:
        for table in app.table_classes:
            found = await table.select().run()
            out[table._meta.tablename] = [{k: _plain(v) for k, v in r.items()} for r in found]
    return out


async def files(resources: Any) -> dict[str, bytes]:
    """Every object in storage, with its content."""
    return {
        obj.key: await resources.storage.read_bytes(obj.key)
        async for obj in resources.storage.list("")
    }


async def snapshot(resources: Any) -> dict[str, Any]:
    """Rows (without volatile job bookkeeping) and files, to compare before and after."""
    found = await rows(resources)
    found.pop("nv_job", None)
    found.pop("nv_rate", None)
    found.pop("nv_kv", None)
    return {"rows": found, "files": await files(resources)}


def user_columns(table: Any) -> list[str]:
    """Names of the columns of ``table`` that reference the accounts' user table."""
    names = []
    for column in table._meta.columns:
        if isinstance(column, ForeignKey):
            target = column._foreign_key_meta.resolved_references
            if target._meta.tablename == "nv_user":
                names.append(column._meta.name)
    return names
