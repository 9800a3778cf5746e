"""Read replicas (``database.replica_urls``): heavy reads go to a real PostgreSQL streaming
replica of the test database while it keeps up, and to the primary when it is down,
behind, or not a replica at all; bad settings are refused with what to fix."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from nichevid.media.tables import Video
from nichevid.replicas import read, replicas_of
from nichevid.settings import ConfigError, load_settings, redacted
from nichevid.testing.factories import ready_video
from nichevid.testing.servers import Server, _pg_bin, no_settings_file, start_replica
from tests.accounts.conftest import login
from tests.conftest import user_maker

HTML = {"accept": "text/html"}


@pytest.fixture
def replica(nv_services: dict[str, str]) -> Iterator[Server]:
    """A streaming replica of the session's PostgreSQL, made for this test."""
    if os.environ.get("NICHEVID_TEST_DATABASE_URL"):
        pytest.skip("a replica is copied from the PostgreSQL the test run starts itself")
    server = start_replica(nv_services["database"])
    yield server
    server.stop()


@pytest.fixture
def nv_settings(nv_settings_factory: Any, replica: Server) -> Any:
    return nv_settings_factory(database={"replica_urls": [replica.url]})


def psql(url: str, sql: str) -> str:
    done = subprocess.run([_pg_bin("psql"), url, "-Atc", sql], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def found_by_search(client: Any, word: str) -> bool:
    answer = await client.get("/api/search", params={"q": word, "type": "videos"})
    assert answer.status_code == 200, answer.text
    return any(word in hit["caption"] for hit in answer.json()["videos"])


async def caught_up(replicas: Any, replica: Server, caption: str) -> None:
    """Wait until the replica has the video captioned ``caption`` and is in use."""
    sql = f"SELECT count(*) FROM nv_video WHERE caption = '{caption}'"
    for _ in range(200):
        if psql(replica.url, sql) == "1":
            (state,) = await replicas.check_all()
            if state.usable:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the replica did not catch up: {replicas.states}")


async def in_use_with_a_video(resources: Any, replica: Server, caption: str) -> tuple[Any, Any]:
    """The app's replicas once ``replica`` has a creator's video captioned ``caption``."""
    replicas = replicas_of(resources.engine)
    assert replicas is not None
    creator = await user_maker(resources)("maker", role="creator")
    await ready_video(creator, caption=caption)
    await caught_up(replicas, replica, caption)
    return replicas, creator


@pytest.mark.postgres_only
async def test_search_reads_from_the_replica_while_it_keeps_up(
    nv_client: Any, nv_resources: Any, replica: Server
) -> None:
    replicas, creator = await in_use_with_a_video(nv_resources, replica, "first pelican")
    assert (await read(Video.raw("SELECT pg_is_in_recovery() AS r")))[0]["r"] is True
    assert await found_by_search(nv_client, "pelican")
    # The replica stops replaying: what the primary writes now is not on it yet.
    psql(replica.url, "SELECT pg_wal_replay_pause()")
    await ready_video(creator, caption="second cormorant")
    assert await Video.exists().where(Video.caption == "second cormorant")
    assert not await found_by_search(nv_client, "cormorant")
    psql(replica.url, "SELECT pg_wal_replay_resume()")
    await caught_up(replicas, replica, "second cormorant")
    assert await found_by_search(nv_client, "cormorant")


@pytest.mark.postgres_only
async def test_a_replica_too_far_behind_is_left_alone_until_it_catches_up(
    nv_settings_factory: Any, replica: Server
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    settings = nv_settings_factory(
        database={"replica_urls": [replica.url], "replica_max_lag_seconds": 0.3}
    )
    async with client_for(create_app(settings)) as client:
        resources = client.app.state.resources
        replicas = replicas_of(resources.engine)
        creator = await user_maker(resources)("maker", role="creator")
        await ready_video(creator, caption="early egret")
        await caught_up(replicas, replica, "early egret")
        psql(replica.url, "SELECT pg_wal_replay_pause()")
        try:
            await ready_video(creator, caption="late heron")
            await asyncio.sleep(0.8)
            (state,) = await replicas.check_all()
            assert (state.status, state.usable) == ("behind", False)
            assert state.lag is not None
            assert state.lag > 0.3
            # The primary answers meanwhile: the new video is found.
            assert await found_by_search(client, "heron")
            assert (await read(Video.raw("SELECT pg_is_in_recovery() AS r")))[0]["r"] is False
        finally:
            psql(replica.url, "SELECT pg_wal_replay_resume()")
        await caught_up(replicas, replica, "late heron")
        assert (await read(Video.raw("SELECT pg_is_in_recovery() AS r")))[0]["r"] is True


@pytest.mark.postgres_only
async def test_reads_go_to_the_primary_when_the_replica_goes_away(
    nv_client: Any, nv_resources: Any, replica: Server, caplog: pytest.LogCaptureFixture
) -> None:
    replicas, _ = await in_use_with_a_video(nv_resources, replica, "lonely puffin")
    # Open a pooled connection to the replica, then stop it under that connection.
    assert await found_by_search(nv_client, "puffin")
    replica.stop()
    caplog.set_level(logging.WARNING, logger="nichevid.replicas")
    # The next read fails on the replica and is answered by the primary at once.
    assert await found_by_search(nv_client, "puffin")
    (state,) = replicas.states.values()
    assert state.status == "failed"
    assert state.detail
    assert "reads go to the primary" in caplog.text
    assert await found_by_search(nv_client, "puffin")
    (state,) = await replicas.check_all()
    assert state.status == "down"


@pytest.mark.postgres_only
async def test_the_admin_home_shows_each_replica_and_its_state(
    nv_client: Any, nv_resources: Any, replica: Server
) -> None:
    make = user_maker(nv_resources)
    boss = await make("boss", role="admin")
    await make("mod", role="moderator")
    assert (await login(nv_client, "boss")).status_code == 303
    await ready_video(boss, caption="admin wren")
    await caught_up(replicas_of(nv_resources.engine), replica, "admin wren")
    page = (await nv_client.get("/admin", headers=HTML)).text
    assert 'data-replica="replica1" data-status="in_use"' in page
    assert "Read replica 1" in page
    assert "in use" in page
    port = replica.url.split(":")[-1].split("/")[0]
    assert f"127.0.0.1:{port}/nichevid_test" in page
    replica.stop()
    page = (await nv_client.get("/admin", headers=HTML)).text
    assert 'data-status="down"' in page
    assert "does not answer" in page
    # Moderators see the instance, not its database servers.
    nv_client.cookies.clear()
    assert (await login(nv_client, "mod")).status_code == 303
    page = (await nv_client.get("/admin", headers=HTML)).text
    assert "data-replica=" not in page


@pytest.mark.postgres_only
async def test_a_server_that_takes_writes_is_never_read_as_a_replica(
    nv_settings_factory: Any, nv_services: dict[str, str]
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    # The primary itself, under another name: listed by mistake as a replica.
    primary = nv_services["database"].replace("127.0.0.1", "localhost")
    settings = nv_settings_factory(database={"replica_urls": [primary]})
    async with client_for(create_app(settings)) as client:
        replicas = replicas_of(client.app.state.resources.engine)
        (state,) = await replicas.check_all()
        assert (state.status, state.usable) == ("not_a_replica", False)
        assert "remove it from database.replica_urls" in state.describe()


def _settings(**database: Any) -> Any:
    return load_settings(no_settings_file(), environ={}, overrides={"database": database})


PRIMARY = "postgresql://app@db.example:5432/nichevid"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("database", "message"),
    [
        (
            {"replica_urls": ["postgresql://app@replica.example/nichevid"]},
            "set database.url to the primary's postgresql:// URL",
        ),
        (
            {"url": "sqlite:///x.sqlite3", "replica_urls": ["postgresql://r.example/nichevid"]},
            "replicas of a PostgreSQL database",
        ),
        (
            {"url": PRIMARY, "replica_urls": ["mysql://replica.example/nichevid"]},
            "database.replica_urls[0] 'mysql://replica.example/nichevid' is not a valid URL: "
            "it must start with postgres://, postgresql://",
        ),
        (
            {"url": PRIMARY, "replica_urls": ["postgresql:///nichevid"]},
            "database.replica_urls[0] 'postgresql:///nichevid' is not a valid URL: "
            "it names no host",
        ),
        (
            {
                "url": PRIMARY,
                "replica_urls": ["postgresql://r.example/x", "postgresql://r.example/x"],
            },
            "database.replica_urls[1] 'postgresql://r.example/x' is listed already",
        ),
        ({"url": PRIMARY, "replica_urls": [PRIMARY]}, "(or is database.url)"),
        (
            {
                "url": PRIMARY,
                "replica_urls": ["postgresql://r.example/x"],
                "replica_max_lag_seconds": 0,
            },
            "replica_max_lag_seconds",
        ),
    ],
)
def test_bad_replica_settings_are_refused_with_what_to_fix(
    database: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        _settings(**database)
    assert message in str(refused.value)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("section", "values"),
    [
        ("accounts", {"creator_access": "everyone"}),
        ("accounts", {"invite_roles": ["owner"]}),
        ("accounts", {"invitations_per_member": 0}),
        ("accounts", {"confirm_email": "maybe"}),
        ("server", {"search_engines": "maybe"}),
    ],
)
def test_bad_values_of_the_new_account_and_server_settings_are_refused(
    section: str, values: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(no_settings_file(), environ={}, overrides={section: values})
    assert f"{section}.{next(iter(values))}" in str(refused.value)


@pytest.mark.sqlite_only
def test_replica_passwords_are_hidden_in_the_settings_listing() -> None:
    settings = _settings(url=PRIMARY, replica_urls=["postgresql://app:s3cret@r.example/nichevid"])
    shown = redacted(settings)["database"]["replica_urls"]
    assert shown == ["postgresql://app:***@r.example/nichevid"]
