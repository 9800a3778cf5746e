"""A Litestar ``Store`` kept in the database, for sessions and caches without Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.stores.base import NamespacedStore
from litestar.stores.registry import StoreRegistry

from nichevid.core.tables import KeyValue


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds(value: int | timedelta | None) -> int | None:
    if value is None:
        return None
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


# Read for every request with a session: one fixed statement spares building the query.
_GET = f"SELECT value, expires_at FROM {KeyValue._meta.tablename} WHERE key = {{}} LIMIT 1"  # noqa: S608


class DatabaseStore(NamespacedStore):
    """Key-value store on the ``nv_kv`` table; expired rows are ignored and purged lazily."""

    def __init__(self, namespace: str = "nichevid") -> None:
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        seconds = _seconds(expires_in)
        expires = _now() + timedelta(seconds=seconds) if seconds is not None else None
        full = self._key(key)
        await (
            KeyValue.insert(KeyValue(key=full, value=data, expires_at=expires))
            .on_conflict(
                target=KeyValue.key,
                action="DO UPDATE",
                values=[KeyValue.value, KeyValue.expires_at],
            )
            .run()
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        full = self._key(key)
        rows = await KeyValue.raw(_GET, full).run()
        if not rows:
            return None
        row = rows[0]
        expires = row["expires_at"]
        if expires is not None and _aware(expires) <= _now():
            await KeyValue.delete().where(KeyValue.key == full).run()
            return None
        seconds = _seconds(renew_for)
        if seconds is not None and expires is not None:
            await (
                KeyValue.update({KeyValue.expires_at: _now() + timedelta(seconds=seconds)})
                .where(KeyValue.key == full)
                .run()
            )
        value = row["value"]
        return bytes(value) if value is not None else None

    async def delete(self, key: str) -> None:
        await KeyValue.delete().where(KeyValue.key == self._key(key)).run()

    async def delete_all(self) -> None:
        await KeyValue.delete().where(KeyValue.key.like(f"{self.namespace}:%")).run()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = (
            await KeyValue.select(KeyValue.expires_at)
            .where(KeyValue.key == self._key(key))
            .first()
            .run()
        )
        if row is None or row["expires_at"] is None:
            return None
        return max(0, int((_aware(row["expires_at"]) - _now()).total_seconds()))

    async def purge_expired(self) -> int:
        """Delete expired rows of every namespace; return how many went."""
        rows = (
            await KeyValue.delete().where(KeyValue.expires_at < _now()).returning(KeyValue.id).run()
        )
        return len(rows)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Every store of the instance lives under this namespace (``nichevid:<store>:<key>``).
ROOT_NAMESPACE = "nichevid"


def make_stores(settings: Any, redis: Any = None) -> StoreRegistry:
    """The instance's Litestar stores: Redis in the production shape, else the database.

    Args:
        settings: The instance settings.
        redis: An open Redis client to use; by default one is made from ``redis.url``.
    """
    if settings.uses_redis:
        from litestar.stores.redis import RedisStore

        root = (
            RedisStore(redis, namespace=ROOT_NAMESPACE)
            if redis is not None
            else RedisStore.with_client(settings.redis.url, namespace=ROOT_NAMESPACE)
        )
        return StoreRegistry(default_factory=root.with_namespace)
    return StoreRegistry(default_factory=DatabaseStore(ROOT_NAMESPACE).with_namespace)
