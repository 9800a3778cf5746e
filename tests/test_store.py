"""The database-backed key-value store: values, expiry, renewal, namespaces."""

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.core.store import DatabaseStore
from nichevid.core.tables import KeyValue


async def test_values_come_back_until_they_expire(nv_app: Any) -> None:
    store = DatabaseStore("test-store").with_namespace("a")
    await store.set("k", "value", expires_in=60)
    assert await store.get("k") == b"value"
    assert 0 < (await store.expires_in("k") or 0) <= 60
    assert await store.get("missing") is None

    # An expired row reads as absent and is deleted on the way.
    await KeyValue.update({KeyValue.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        KeyValue.key == "test-store:a:k"
    )
    assert await store.get("k") is None
    assert await KeyValue.count().where(KeyValue.key == "test-store:a:k") == 0


async def test_renewal_and_namespaces(nv_app: Any) -> None:
    first = DatabaseStore("test-store").with_namespace("b")
    other = DatabaseStore("test-store").with_namespace("c")
    await first.set("k", b"\x00bytes", expires_in=5)
    await other.set("k", "other")
    assert await first.get("k", renew_for=3600) == b"\x00bytes"
    assert (await first.expires_in("k") or 0) > 60
    assert await other.get("k") == b"other"
    assert await other.expires_in("k") is None
    await first.delete_all()
    assert await first.get("k") is None
    assert await other.get("k") == b"other"
