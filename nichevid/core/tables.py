"""Tables of the core app: the in-process job queue, a key-value store and rate counters."""

from __future__ import annotations

from piccolo.columns import JSON, Bytea, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class JobRow(Table, tablename="nv_job"):
    """A job of the in-process runner (the production shape keeps jobs in Redis).

    ``status`` is ``queued``, ``running``, ``done`` or ``failed``; ``error`` keeps the
    last failure, also while a retry waits for ``run_at``.
    """

    id = Serial(primary_key=True)

    job_id = Varchar(length=255, unique=True, index=True)
    name = Varchar(length=120)
    kwargs = JSON(default="{}")
    status = Varchar(length=16, index=True, default="queued")  # queued running done failed
    tries = Integer(default=0)
    max_tries = Integer(default=5)
    timeout = Integer(default=300)
    run_at = Timestamptz(default=TimestamptzNow(), index=True)
    started_at = Timestamptz(null=True, default=None)
    # The process running the job and how long its claim lasts without a heartbeat.
    worker = Varchar(length=255, default="")
    locked_until = Timestamptz(null=True, default=None, index=True)
    finished_at = Timestamptz(null=True, default=None)
    error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class KeyValue(Table, tablename="nv_kv"):
    """Sessions and caches when there is no Redis."""

    id = Serial(primary_key=True)

    key = Varchar(length=255, unique=True, index=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


class RateCounter(Table, tablename="nv_rate"):
    """Fixed-window counters for rate limits when there is no Redis."""

    id = Serial(primary_key=True)

    key = Varchar(length=255, unique=True, index=True)
    hits = Integer(default=0)
    window_end = Timestamptz(default=TimestamptzNow())
