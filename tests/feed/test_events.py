"""Watch-event ingestion: ``POST /api/events``, its checks, dedupe, limits and write-behind."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
import pytest

from nichevid.feed.eventbuffer import MemoryBuffer, RedisBuffer
from nichevid.feed.events_api import VIEWER_COOKIE, ingest_of
from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video
from nichevid.testing import client_for, running

SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "http://127.0.0.1:8000"}
PASSWORD = "correct horse battery"
# Nothing is written until a test flushes (or the app stops), so counts are exact.
QUIET = {"events_flush_seconds": 3600.0}


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    return nv_settings_factory(plugin={"feed": QUIET})


def event(video: Any, **fields: Any) -> dict[str, Any]:
    """A valid event for ``video`` (a Video row or a slug)."""
    slug = video if isinstance(video, str) else video.slug
    return {
        "id": secrets.token_hex(8),
        "video": slug,
        "watched_ms": 2500,
        "replays": 0,
        "completed": False,
        "skipped": False,
        "feed": "foryou",
        **fields,
    }


async def post(client: Any, events: list[dict[str, Any]], **kwargs: Any) -> httpx.Response:
    headers = {**SAME_ORIGIN, **kwargs.pop("headers", {})}
    response: httpx.Response = await client.post(
        "/api/events", json={"events": events}, headers=headers, **kwargs
    )
    return response


async def flush(client: Any) -> int:
    return await ingest_of(client.app).buffer.flush()


async def stored() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await WatchEvent.select().order_by(WatchEvent.id)
    return rows


async def test_a_batch_is_stored_once_and_its_resend_is_dropped(
    nv_client: Any, make_videos: Any
) -> None:
    first, second = await make_videos(2)
    events = [
        event(first, watched_ms=2900, completed=True),
        event(second, watched_ms=400, skipped=True, feed="hashtag"),
        event(first, watched_ms=7000, replays=2, completed=True),
    ]
    response = await post(nv_client, events)
    assert response.status_code == 202
    assert response.json() == {"accepted": 3, "rejected": 0, "duplicates": 0, "reasons": {}}
    assert await stored() == []  # write-behind: nothing yet
    assert await flush(nv_client) == 3

    again = await post(nv_client, events)
    assert again.status_code == 202
    assert again.json()["accepted"] == 0
    assert again.json()["duplicates"] == 3
    assert await flush(nv_client) == 0

    rows = await stored()
    assert len(rows) == 3
    session = nv_client.cookies.get(VIEWER_COOKIE)
    assert {r["session_id"] for r in rows} == {session}
    assert {r["viewer"] for r in rows} == {None}
    by_ms = {r["watched_ms"]: r for r in rows}
    assert by_ms[2900]["video"] == first.id
    assert by_ms[2900]["completed"]
    assert by_ms[400]["video"] == second.id
    assert by_ms[400]["skipped"]
    assert by_ms[400]["feed"] == "hashtag"
    assert by_ms[7000]["replays"] == 2


async def test_repeated_ids_inside_one_batch_count_once(nv_client: Any, make_videos: Any) -> None:
    [video] = await make_videos(1)
    one = event(video)
    response = await post(nv_client, [one, dict(one)])
    assert response.json()["accepted"] == 1
    assert response.json()["duplicates"] == 1
    await flush(nv_client)
    assert len(await stored()) == 1


async def test_a_beacon_body_sent_as_text_plain_is_accepted(
    nv_client: Any, make_videos: Any
) -> None:
    [video] = await make_videos(1)
    body = json.dumps({"events": [event(video, watched_ms=1234)]})
    response = await nv_client.post(
        "/api/events",
        content=body,
        headers={**SAME_ORIGIN, "content-type": "text/plain;charset=UTF-8"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    await flush(nv_client)
    assert [r["watched_ms"] for r in await stored()] == [1234]


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site", "origin": "https://evil.example"},
        {"sec-fetch-site": "same-site", "origin": "http://sub.127.0.0.1:8000"},
        {"origin": "https://evil.example"},
        {"origin": "null"},
    ],
    ids=["cross-site", "same-site", "foreign-origin", "null-origin"],
)
async def test_requests_from_other_sites_are_refused(
    nv_client: Any, make_videos: Any, headers: dict[str, str]
) -> None:
    [video] = await make_videos(1)
    response = await nv_client.post("/api/events", json={"events": [event(video)]}, headers=headers)
    assert response.status_code == 403
    assert "only from pages of this site" in response.json()["detail"]
    await flush(nv_client)
    assert await stored() == []


async def test_same_origin_by_origin_header_alone_is_accepted(
    nv_client: Any, make_videos: Any
) -> None:
    [video] = await make_videos(1)
    response = await nv_client.post(
        "/api/events",
        json={"events": [event(video)]},
        headers={"origin": "http://127.0.0.1:8000"},
    )
    assert response.status_code == 202
    assert response.json()["accepted"] == 1


BAD_BODIES = [
    ("not json", b"{events: nope", "not valid JSON"),
    ("array", b"[]", "Expected `object`, got `array`"),
    ("no events", b"{}", "missing required field `events`"),
    ("unknown top field", b'{"events": [], "extra": 1}', "unknown field `extra`"),
]


@pytest.mark.parametrize(("name", "body", "expected"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_malformed_bodies_are_refused_with_a_reason(
    nv_client: Any, name: str, body: bytes, expected: str
) -> None:
    response = await nv_client.post(
        "/api/events", content=body, headers={**SAME_ORIGIN, "content-type": "application/json"}
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert expected in detail
    assert '{"events": [...]}' in detail


BAD_EVENTS = [
    ("string duration", {"watched_ms": "2500"}, "events[0].watched_ms", "got `str`"),
    ("float duration", {"watched_ms": 2.5}, "events[0].watched_ms", "Expected `int`, got `float`"),
    ("negative duration", {"watched_ms": -1}, "events[0].watched_ms", ">= 0"),
    ("negative replays", {"replays": -2}, "events[0].replays", ">= 0"),
    ("bool as number", {"replays": True}, "events[0].replays", "got `bool`"),
    ("unknown field", {"liked": True}, "events[0]", "unknown field `liked`"),
    ("unknown feed", {"feed": "trending"}, "events[0].feed", "Invalid enum value"),
    ("short id", {"id": "abc"}, "events[0].id", "length >= 8"),
    ("id with spaces", {"id": "a b c d e f"}, "events[0].id", "matching regex"),
    ("slug not a string", {"video": 12}, "events[0].video", "Expected `str`"),
]


@pytest.mark.parametrize(
    ("name", "change", "where", "expected"), BAD_EVENTS, ids=[b[0] for b in BAD_EVENTS]
)
async def test_events_of_the_wrong_shape_refuse_the_batch(
    nv_client: Any, make_videos: Any, name: str, change: dict[str, Any], where: str, expected: str
) -> None:
    [video] = await make_videos(1)
    response = await post(nv_client, [{**event(video), **change}, event(video)])
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith(where + ":"), detail
    assert expected in detail
    await flush(nv_client)
    assert await stored() == []


async def test_too_many_events_in_one_request_are_refused(nv_client: Any, make_videos: Any) -> None:
    [video] = await make_videos(1)
    limit = ingest_of(nv_client.app).settings.events_max_batch
    response = await post(nv_client, [event(video) for _ in range(limit + 1)])
    assert response.status_code == 400
    assert f"send at most {limit}" in response.json()["detail"]
    ok = await post(nv_client, [event(video) for _ in range(limit)])
    assert ok.json()["accepted"] == limit


async def test_other_content_types_are_refused(nv_client: Any) -> None:
    response = await nv_client.post("/api/events", data={"events": "x"}, headers=SAME_ORIGIN)
    assert response.status_code == 415
    assert "application/json or text/plain" in response.json()["detail"]


async def test_events_the_viewer_may_not_report_are_dropped_and_counted(
    nv_client: Any, make_videos: Any
) -> None:
    [good] = await make_videos(1)
    [private] = await make_videos(1, username="other", visibility="private")
    [processing] = await make_videos(1, username="other", status="processing")
    events = [
        event(good),
        event("no-such-video"),
        event(private),
        event(processing),
        event(good, watched_ms=3000 + 2000 + 1),  # duration 3 s + 2 s slack, no replay
        event(good, watched_ms=3 * 3000 + 2000, replays=2),  # exactly the most allowed
        event(good, completed=True, skipped=True),
    ]
    response = await post(nv_client, events)
    assert response.status_code == 202
    assert response.json() == {
        "accepted": 2,
        "rejected": 5,
        "duplicates": 0,
        "reasons": {"unknown_video": 3, "too_long": 1, "inconsistent": 1},
    }
    await flush(nv_client)
    assert sorted(r["watched_ms"] for r in await stored()) == [2500, 11000]


async def login(client: Any, username: str) -> None:
    await client.get("/login")
    token = client.cookies.get("nv_csrf")
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert response.status_code in (302, 303), response.text


async def test_a_signed_in_viewer_is_recorded_and_may_report_own_private_video(
    nv_client: Any, make_videos: Any
) -> None:
    [private] = await make_videos(1, username="owner", visibility="private")
    [public] = await make_videos(1, username="maker")
    owner_id = private.owner
    await login(nv_client, "owner")
    response = await post(nv_client, [event(private), event(public)])
    assert response.json()["accepted"] == 2
    await flush(nv_client)
    rows = await stored()
    assert {r["viewer"] for r in rows} == {owner_id}
    assert {r["session_id"] for r in rows} == {nv_client.cookies.get(VIEWER_COOKIE)}


async def test_the_anonymous_viewer_cookie_is_set_once_and_reused(
    nv_client: Any, make_videos: Any
) -> None:
    [video] = await make_videos(1)
    first = await post(nv_client, [event(video)])
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{VIEWER_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    value = nv_client.cookies.get(VIEWER_COOKIE)
    assert value
    assert len(value) == 32
    second = await post(nv_client, [event(video)])
    assert "set-cookie" not in second.headers
    # A forged, malformed cookie value is replaced, never stored.
    nv_client.cookies.set(VIEWER_COOKIE, "x'; DROP TABLE")
    third = await post(nv_client, [event(video)])
    assert third.headers["set-cookie"].startswith(f"{VIEWER_COOKIE}=")
    await flush(nv_client)
    sessions = [r["session_id"] for r in await stored()]
    assert sessions[:2] == [value, value]
    assert sessions[2] not in (value, "x'; DROP TABLE")
    # No session row for an anonymous viewer: no session cookie, nothing in the store.
    assert "nv_session" not in nv_client.cookies
    assert await nv_client.app.stores.get("sessions").exists(value) is False


async def test_a_flood_from_one_viewer_gets_429_with_retry_after(
    nv_settings_factory: Any, make_videos: Any, nv_client: Any
) -> None:
    from nichevid.app import create_app

    [video] = await make_videos(1)
    settings = nv_settings_factory(plugin={"feed": {**QUIET, "events_viewer_per_minute": 3}})
    async with client_for(create_app(settings)) as client:
        statuses = [(await post(client, [event(video)])).status_code for _ in range(5)]
        assert statuses[:3] == [202, 202, 202]
        refused = await post(client, [event(video)])
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "Wait" in refused.json()["detail"]
        # Another viewer (no cookie) is not held back by this one's flood.
        client.cookies.clear()
        assert (await post(client, [event(video)])).status_code == 202
        assert await flush(client) == 4


async def test_events_left_in_the_buffer_are_written_when_the_app_stops(
    nv_settings: Any, make_videos: Any, nv_client: Any
) -> None:
    from nichevid.app import create_app

    [video] = await make_videos(1)
    app = create_app(nv_settings)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with running(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            for _ in range(4):
                response = await post(c, [event(video) for _ in range(25)])
                assert response.json()["accepted"] == 25
        buffer = ingest_of(app).buffer
        assert isinstance(buffer, RedisBuffer if nv_settings.uses_redis else MemoryBuffer)
        assert await WatchEvent.count() == 0
    assert await WatchEvent.count() == 100
    assert buffer.received == buffer.stored == 100


async def test_events_of_a_video_deleted_before_the_write_are_dropped_alone(
    nv_client: Any, make_videos: Any
) -> None:
    kept, gone = await make_videos(2)
    response = await post(nv_client, [event(kept), event(gone), event(kept)])
    assert response.json()["accepted"] == 3
    await Video.delete().where(Video.id == gone.id)
    assert await flush(nv_client) == 2
    assert {r["video"] for r in await stored()} == {kept.id}


async def test_a_failed_write_keeps_the_events_for_the_next_round(
    nv_client: Any, make_videos: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    [video] = await make_videos(1)
    await post(nv_client, [event(video) for _ in range(5)])
    buffer = ingest_of(nv_client.app).buffer
    original = buffer.writer.write

    async def down(rows: Any) -> int:
        raise ConnectionError("database is down")

    monkeypatch.setattr(buffer.writer, "write", down)
    with pytest.raises(ConnectionError):
        await buffer.flush()
    assert await WatchEvent.count() == 0
    monkeypatch.setattr(buffer.writer, "write", original)
    assert await buffer.flush() == 5
    assert await buffer.flush() == 0
    assert await WatchEvent.count() == 5


@pytest.mark.postgres_only
async def test_every_web_process_shares_dedupe_and_drains_the_queue(
    nv_settings: Any, nv_client: Any, make_videos: Any
) -> None:
    from nichevid.app import create_app

    [video] = await make_videos(1)
    events = [event(video) for _ in range(3)]
    first = await post(nv_client, events)
    cookie = nv_client.cookies.get(VIEWER_COOKIE)
    assert first.json()["accepted"] == 3
    async with client_for(create_app(nv_settings)) as other:
        other.cookies.set(VIEWER_COOKIE, cookie)
        again = await post(other, events)
        assert again.json()["duplicates"] == 3
        # The other process drains what this one queued.
        assert await flush(other) == 3
        assert await WatchEvent.count() == 3


@pytest.mark.postgres_only
async def test_events_of_a_process_that_died_mid_write_are_put_back_and_stored(
    nv_client: Any, make_videos: Any
) -> None:
    [video] = await make_videos(1)
    await post(nv_client, [event(video) for _ in range(4)])
    buffer = ingest_of(nv_client.app).buffer
    assert isinstance(buffer, RedisBuffer)
    redis = buffer.redis
    # A process takes the queued batch into its in-flight list, then dies before writing.
    dead = RedisBuffer(redis, buffer.writer, 1.0, 100)
    keys = [dead.queue, dead._inflight(dead.drainer), dead._alive(dead.drainer), dead.drainers]
    taken = await dead._take(keys=keys, args=[10, 60_000, dead.drainer])
    assert len(taken) == 1
    assert await buffer.pending() == 0
    assert await buffer.flush() == 0  # still owned by a live-looking process
    await redis.delete(dead._alive(dead.drainer))  # its alive key expires
    assert await buffer.recover() == 1
    assert await buffer.flush() == 4
    assert await WatchEvent.count() == 4
    assert await redis.exists(dead._inflight(dead.drainer)) == 0


def test_bad_feed_settings_stop_start_up_with_one_line(nv_settings_factory: Any) -> None:
    from nichevid.app import create_app
    from nichevid.settings import ConfigError

    with pytest.raises(ConfigError) as caught:
        create_app(nv_settings_factory(plugin={"feed": {"events_max_batch": 0}}))
    assert "events_max_batch" in str(caught.value)
    assert ">= 1" in str(caught.value)
    with pytest.raises(ConfigError, match=r"unknown key `plugin\.feed\.events_batch`"):
        create_app(nv_settings_factory(plugin={"feed": {"events_batch": 5}}))


async def test_recent_ids_stay_bounded_per_viewer_and_in_viewers() -> None:
    from nichevid.feed.dedupe import MemoryRecentIds

    seen = MemoryRecentIds(keep=3, max_viewers=2)
    assert await seen.claim("a", ["1", "2", "3", "4"]) == [True] * 4
    assert await seen.claim("a", ["4", "1"]) == [False, True]  # "1" was pushed out
    await seen.claim("b", ["x"])
    await seen.claim("c", ["y"])  # "a" is now the least recent viewer: forgotten
    assert await seen.claim("a", ["4"]) == [True]
    await seen.release("a", ["4"])
    assert await seen.claim("a", ["4"]) == [True]


@pytest.mark.sqlite_only
async def test_a_full_buffer_answers_503_and_the_resend_is_taken_later(
    nv_client: Any, make_videos: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.feed import eventbuffer

    [video] = await make_videos(1)
    monkeypatch.setattr(eventbuffer, "MEMORY_LIMIT", 3)
    assert (await post(nv_client, [event(video) for _ in range(3)])).json()["accepted"] == 3
    events = [event(video), event(video)]
    refused = await post(nv_client, events)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "30"
    assert "send them again" in refused.json()["detail"]
    assert await flush(nv_client) == 3
    # The refused events' ids were not kept as seen: the resend is stored.
    again = await post(nv_client, events)
    assert again.json()["accepted"] == 2
    assert await flush(nv_client) == 2


@pytest.mark.postgres_only
async def test_redis_down_answers_503_not_an_error_page(
    nv_client: Any, make_videos: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    [video] = await make_videos(1)
    buffer = ingest_of(nv_client.app).buffer

    async def down(rows: Any) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(buffer, "add", down)
    refused = await post(nv_client, [event(video)])
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "30"
