"""gzip for pages, styles and scripts; never for media; off with server.gzip_level = 0."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from nichevid.app import create_app
from nichevid.settings import ConfigError, load_settings
from nichevid.testing import client_for
from nichevid.testing.factories import ready_video
from nichevid.testing.servers import no_settings_file

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


async def test_pages_and_scripts_are_compressed_for_browsers_that_accept_gzip(
    nv_client: Any,
) -> None:
    for path in ("/login", "/static/vendor/htmx-2.0.4.min.js", "/static/nichevid.css"):
        packed = await nv_client.get(path, headers=GZIP)
        plain = await nv_client.get(path, headers=PLAIN)
        assert packed.status_code == plain.status_code == 200
        assert packed.headers["content-encoding"] == "gzip", path
        assert "content-encoding" not in plain.headers
        # httpx decodes the body: both carry the same text.
        assert packed.text == plain.text
        assert int(packed.headers["content-length"]) < len(plain.content) / 2


async def test_media_and_small_answers_are_never_compressed(nv_client: Any) -> None:
    from nichevid.accounts import services

    resources = nv_client.app.state.resources
    owner = await services.create_user(
        resources.settings, resources.pm, username="maker", email="m@example.com",
        password="correct horse battery", role="creator",
    )  # fmt: skip
    video = await ready_video(owner)
    key = f"videos/{video.slug}/360p.mp4"
    data = b"\0" * 50_000  # compresses well: only the path keeps it plain
    await resources.storage.put(key, _chunks(data))
    response = await nv_client.get(f"/media/{key}", headers=GZIP)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.content == data
    small = await nv_client.get("/healthz", headers=GZIP)
    assert "content-encoding" not in small.headers


async def _chunks(data: bytes) -> Any:
    yield data


async def test_the_page_cache_keeps_compressed_and_plain_apart(
    nv_settings_factory: Any, nv_client: Any
) -> None:
    async with client_for(create_app(nv_settings_factory())) as client:
        packed = await client.get("/", headers=GZIP)
        client.cookies.clear()
        plain = await client.get("/", headers=PLAIN)
        client.cookies.clear()
        again = await client.get("/", headers=GZIP)
    assert packed.headers["content-encoding"] == again.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert plain.text == packed.text == again.text


async def test_level_zero_turns_compression_off(nv_settings_factory: Any, nv_client: Any) -> None:
    async with client_for(create_app(nv_settings_factory(server={"gzip_level": 0}))) as client:
        response = await client.get("/login", headers=GZIP)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert gzip.compress(response.content)  # a real body, sent as it is


@pytest.mark.parametrize("level", [10, -1])
def test_a_level_out_of_range_stops_start_up(tmp_path: Any, level: int) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            no_settings_file(),
            environ={},
            overrides={"data_dir": str(tmp_path), "server": {"gzip_level": level}},
        )
    assert "server.gzip_level" in str(caught.value)
