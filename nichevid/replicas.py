"""Read replicas: heavy reads that may be a moment old go to a PostgreSQL streaming replica.

With ``database.replica_urls`` set, the engine of the primary carries one extra Piccolo
node per replica (``replica1``, ``replica2``, ...). :func:`read` runs a query on one of
them in turn; everything else (every write, and every read that must see what was just
written) stays on the primary.

A replica is used only while it answers, is still a replica (a promoted one takes
writes of its own and is left alone) and is no more than
``database.replica_max_lag_seconds`` behind. Each process checks each replica at
most every :data:`CHECK_SECONDS`, in the background of the reads (which never wait
for a check); a query that fails on a replica because the replica went away runs
again on the primary at once, and the replica rests until its next check. A site
with all its replicas down is slower, never broken.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.query.base import Query
from piccolo.querystring import QueryString

from nichevid.settings import redact_url

log = logging.getLogger(__name__)
T = TypeVar("T")
CHECK_SECONDS = 5.0
CHECK_TIMEOUT = 2.0
# Errors that say the replica cannot answer now (it is down, restarting or unreachable).
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
)
# A query the replica cancelled because of what it was replaying: the primary answers it.
CANCELLED = (asyncpg.SerializationError, asyncpg.QueryCanceledError)
_STATE_SQL = """
SELECT pg_is_in_recovery() AS replica,
       CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
       END AS lag
"""


# What a replica's state is; pages say each in the reader's language.
IN_USE, NOT_CHECKED, DOWN, NOT_A_REPLICA, NOTHING_REPLAYED, BEHIND, FAILED = (
    "in_use",
    "not_checked",
    "down",
    "not_a_replica",
    "nothing_replayed",
    "behind",
    "failed",
)
_LOG_TEXT = {
    IN_USE: "is in use",
    NOT_CHECKED: "is not checked yet",
    DOWN: "does not answer",
    NOT_A_REPLICA: "is not a replica (it takes writes): remove it from database.replica_urls",
    NOTHING_REPLAYED: "has not replayed anything from the primary yet",
    BEHIND: "is further behind the primary than database.replica_max_lag_seconds",
    FAILED: "failed a query",
}


@dataclass
class ReplicaState:
    """What this process last found out about one replica."""

    name: str
    url: str  # redacted: for pages and logs
    status: str = NOT_CHECKED
    lag: float | None = None  # seconds behind the primary
    detail: str = ""  # the error, when there was one
    checked_at: float = 0.0

    @property
    def usable(self) -> bool:
        return self.status == IN_USE

    def describe(self) -> str:
        """The state in one line, for logs."""
        lag = f" ({self.lag:.1f} s behind)" if self.lag is not None else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"read replica {self.url} {_LOG_TEXT[self.status]}{lag}{detail}"


class Replicas:
    """The replicas of one primary engine and their last known state."""

    def __init__(
        self, nodes: Mapping[str, PostgresEngine], urls: Mapping[str, str], max_lag: float
    ):
        self.nodes = dict(nodes)
        self.max_lag = max_lag
        self.states = {name: ReplicaState(name, redact_url(urls[name])) for name in self.nodes}
        self._checking: dict[str, asyncio.Task[None]] = {}
        self._turn = 0

    def pick(self) -> str | None:
        """A usable replica, in turn, or ``None`` for the primary.

        Never waits: a replica whose state is older than :data:`CHECK_SECONDS` is
        checked in the background, and this read goes by what was known before.
        """
        names = list(self.states)
        for name in names:
            if time.monotonic() - self.states[name].checked_at >= CHECK_SECONDS:
                self._start_check(name)
        for offset in range(len(names)):
            name = names[(self._turn + offset) % len(names)]
            if self.states[name].usable:
                self._turn = (self._turn + offset + 1) % len(names)
                return name
        return None

    async def check_all(self) -> list[ReplicaState]:
        """Check every replica now (the admin page); their states, in order."""
        await asyncio.gather(*(self._check_once(name) for name in self.states))
        return list(self.states.values())

    def _start_check(self, name: str) -> asyncio.Task[None]:
        # One check of a replica at a time, whoever asks for it.
        task = self._checking.get(name)
        if task is None:
            task = self._checking[name] = asyncio.ensure_future(self._check(name))
            task.add_done_callback(lambda _: self._checking.pop(name, None))
        return task

    async def _check_once(self, name: str) -> None:
        await asyncio.shield(self._start_check(name))

    async def _check(self, name: str) -> None:
        state = self.states[name]
        was, first = state.usable, state.status == NOT_CHECKED
        state.detail = ""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                rows = await self.nodes[name].run_querystring(QueryString(_STATE_SQL))
        except Exception as exc:  # whatever the reason, the primary answers meanwhile
            state.status, state.lag, state.detail = DOWN, None, _reason(exc)
        else:
            row = rows[0]
            state.lag = None if row["lag"] is None else max(0.0, float(row["lag"]))
            if not row["replica"]:
                state.status = NOT_A_REPLICA
            elif state.lag is None:
                state.status = NOTHING_REPLAYED
            elif state.lag > self.max_lag:
                state.status = BEHIND
            else:
                state.status = IN_USE
        state.checked_at = time.monotonic()
        if state.usable and not was:
            log.info("%s", state.describe())
        elif not state.usable and (was or first):
            log.warning("%s: reads go to the primary", state.describe())

    def rest(self, name: str, exc: BaseException) -> None:
        """Leave ``name`` alone until its next check: a query on it just failed."""
        state = self.states[name]
        state.status, state.detail = FAILED, _reason(exc)
        state.checked_at = time.monotonic()
        log.warning("%s: reads go to the primary", state.describe())


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def replicas_of(engine: Any) -> Replicas | None:
    """The replicas of ``engine``, or ``None`` when it has none."""
    found = getattr(engine, "replicas", None)
    return found if isinstance(found, Replicas) else None


async def read(query: Query[Any, T]) -> T:
    """Run a read-only ``query`` on a replica when one is usable, else on the primary.

    Only for reads that may be a moment behind (``database.replica_max_lag_seconds``
    at most): never for one that must see a write just made.
    """
    replicas = replicas_of(query.table._meta.db)
    name = replicas.pick() if replicas is not None else None
    if replicas is None or name is None:
        return await query.run()
    try:
        return await query.run(node=name)
    except UNREACHABLE as exc:
        replicas.rest(name, exc)
    except CANCELLED as exc:
        log.info("read replica %s cancelled a query (%s): the primary answers", name, exc)
    return await query.run()
