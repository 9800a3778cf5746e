"""The upload page and the status of an uploaded video (page, htmx fragment, retry, delete)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nichevid.media import services
from nichevid.media.tables import Rendition, Video
from nichevid.media.upload_page import CHUNK_SIZE, human_bytes

from .conftest import PASSWORD, stored_keys

HTML = {"accept": "text/html"}
HTMX = {"HX-Request": "true", "accept": "text/html"}
STATIC = Path(__file__).resolve().parents[2] / "nichevid" / "static"


@pytest.fixture(autouse=True)
def fast_hashes() -> Iterator[None]:
    """Cheap argon2id parameters: these tests log in often."""
    from argon2 import PasswordHasher

    from nichevid.accounts import passwords

    old = passwords.set_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.set_hasher(old)


async def make_user(resources: Any, name: str, role: str) -> Any:
    from nichevid.accounts import services as accounts

    return await accounts.create_user(
        resources.settings,
        resources.pm,
        username=name,
        email=f"{name}@example.org",
        password=PASSWORD,
        role=role,
    )


async def csrf(client: Any) -> str:
    if not client.cookies.get("nv_csrf"):
        await client.get("/login", headers=HTML)
    return str(client.cookies.get("nv_csrf"))


async def log_in(client: Any, username: str) -> None:
    """Sign in through the login form, as a browser does (any earlier session dropped)."""
    client.cookies.clear()
    token = await csrf(client)
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": token},
        headers=HTML,
    )
    assert response.status_code == 303, response.text


async def hx_post(client: Any, url: str) -> Any:
    """An htmx POST: the CSRF token travels in the header, as base.html sets it."""
    return await client.post(url, headers={**HTMX, "x-csrftoken": await csrf(client)})


async def make_video(owner: Any, status: str, **values: Any) -> Video:
    """A video row in ``status`` (no job queued), for states a pipeline run passes quickly."""
    video = Video(
        slug=secrets.token_urlsafe(8),
        owner=owner.id,
        status=status,
        caption=values.pop("caption", "Ridge line at dusk #alps"),
        **values,
    )
    await video.save()
    return video


async def add_rendition(video: Video, label: str, width: int) -> None:
    await Rendition(
        video=video.id, kind="mp4", label=label, width=width, height=width * 16 // 9,
        storage_key=f"videos/{video.slug}/{label}.mp4",
    ).save()  # fmt: skip


async def failed_with_original(resources: Any, owner: Any, clip: Path, reason: str) -> Video:
    """A failed video whose original is stored, as a passing failure leaves it."""
    from nichevid.media import keys

    video = await make_video(owner, "failed", failure_reason=reason)
    key = keys.source_key(video.slug, clip.suffix)
    size = await resources.storage.put(key, services.file_chunks(clip))
    await Video.update({Video.source_key: key, Video.size_bytes: size}).where(Video.id == video.id)
    video.source_key = key
    return video


async def ready_clip(resources: Any, run_jobs: Any, owner: Any, clip: Path, **kw: Any) -> Video:
    video = await services.ingest_file(resources, owner, clip, **kw)
    await run_jobs()
    row = await services.get_video(video_id=video.id)
    assert row is not None
    assert row.status == "ready", row.failure_reason
    return row


async def give_poster(resources: Any, video: Video) -> dict[str, Any]:
    """Store a poster of known size for ``video`` (what the pipeline keeps in ``images``)."""
    from PIL import Image

    from nichevid.media.images import store_posters
    from nichevid.media.settings import media_settings

    picture = Image.new("RGB", (360, 640), (200, 80, 40))
    images = await store_posters(
        resources.storage, video.slug, picture, media_settings(resources.settings)
    )
    await Video.update({Video.images: images, Video.poster_key: images["poster"]["jpg"]}).where(
        Video.id == video.id
    )
    return images


# --- the page ------------------------------------------------------------------------


async def test_a_caption_in_the_address_starts_the_caption_escaped_and_cut(
    nv_client: Any, creator: Any
) -> None:
    await log_in(nv_client, "maker")
    page = (await nv_client.get("/upload?caption=%23bouldering", headers=HTML)).text
    assert ">#bouldering</textarea>" in page
    hostile = "</textarea><script>x()</script>"
    page = (await nv_client.get("/upload", params={"caption": hostile}, headers=HTML)).text
    assert "&lt;/textarea&gt;&lt;script&gt;x()&lt;/script&gt;</textarea>" in page
    assert "<script>x()" not in page
    long = "a" * (services.CAPTION_MAX + 50)
    page = (await nv_client.get("/upload", params={"caption": long}, headers=HTML)).text
    assert f">{'a' * services.CAPTION_MAX}</textarea>" in page
    assert "a" * (services.CAPTION_MAX + 1) not in page


async def test_creators_get_the_form_with_its_limits_and_scripts(
    nv_client: Any, creator: Any
) -> None:
    await log_in(nv_client, "maker")
    response = await nv_client.get("/upload", headers=HTML)
    assert response.status_code == 200
    page = response.text
    assert 'data-endpoint="/uploads/"' in page
    assert f'data-max-bytes="{2 * 1024**3}"' in page
    assert f'data-chunk-size="{CHUNK_SIZE}"' in page
    assert f'data-caption-max="{services.CAPTION_MAX}"' in page
    assert 'accept="video/*"' in page
    for value in ("public", "followers", "subscribers", "private"):
        assert f'<option value="{value}">' in page
    assert "<noscript>" in page
    # The button only works once the script has run (nothing to send without it).
    assert re.search(r'<button id="upload-submit" type="submit" disabled>', page)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts[-2:] == ["/static/vendor/tus-js-client-4.3.1.min.js", "/static/upload.js"]
    assert 'href="/upload"><svg' in page
    assert '<span class="nv-nav-label">Upload</span>' in page
    for src in scripts[-2:]:
        served = await nv_client.get(src)
        assert served.status_code == 200
        assert "javascript" in served.headers["content-type"]
    licence = (STATIC / "vendor" / "tus-js-client-4.3.1.LICENSE").read_text()
    assert licence.startswith("The MIT License")


async def test_the_page_renders_the_configured_size_limit(
    nv_settings_factory: Callable[..., Any],
) -> None:
    from nichevid.app import create_app
    from nichevid.testing import client_for

    settings = nv_settings_factory(media={"max_bytes": 5_000_000})
    async with client_for(create_app(settings)) as client:
        await make_user(client.app.state.resources, "maker", "creator")
        await log_in(client, "maker")
        page = (await client.get("/upload", headers=HTML)).text
    assert 'data-max-bytes="5000000"' in page
    assert "up to 5.0 MB" in page


def test_sizes_read_in_decimal_units() -> None:
    assert human_bytes(999) == "999 bytes"
    assert human_bytes(1500) == "1.5 kB"
    assert human_bytes(5_000_000) == "5.0 MB"
    assert human_bytes(2 * 1024**3) == "2.1 GB"


async def test_signed_out_visitors_go_to_the_login_page_and_back(nv_client: Any) -> None:
    response = await nv_client.get("/upload", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/upload"
    fragment = await nv_client.get("/upload/status/whatever", headers=HTMX)
    assert fragment.status_code == 401
    assert fragment.headers["hx-redirect"] == "/login?next=/upload/status/whatever"


async def test_members_learn_how_to_become_a_creator(nv_client: Any, nv_resources: Any) -> None:
    await make_user(nv_resources, "watcher", "member")
    await log_in(nv_client, "watcher")
    response = await nv_client.get("/upload", headers=HTML)
    assert response.status_code == 200
    page = response.text
    assert "Uploading is for creator accounts" in page
    assert 'id="nv-start-creating"' in page  # creating is open to all by default
    assert "upload.js" not in page
    assert 'type="file"' not in page
    assert '<a href="/upload">' not in page


# --- the status fragment -------------------------------------------------------------


async def test_processing_status_polls_and_counts_the_ladder(nv_client: Any, creator: Any) -> None:
    video = await make_video(creator, "processing", ladder=["360p", "540p", "720p"])
    await add_rendition(video, "360p", 360)
    await log_in(nv_client, "maker")
    response = await nv_client.get(f"/upload/status/{video.slug}", headers=HTMX)
    assert response.status_code == 200
    fragment = response.text
    assert "<html" not in fragment
    assert 'data-status="processing"' in fragment
    assert 'hx-trigger="every 1s"' in fragment
    assert 'hx-swap="outerHTML"' in fragment
    assert "1 of 3 sizes made" in fragment
    assert re.search(r'<li class="is-done">360p', fragment)
    assert "540p <span" in fragment

    # A poll that already shows this state is answered with nothing to swap.
    seen = re.search(r'hx-get="([^"]+)"', fragment)
    assert seen is not None
    assert seen.group(1).startswith(f"/upload/status/{video.slug}?seen=")
    unchanged = await nv_client.get(seen.group(1), headers=HTMX)
    assert unchanged.status_code == 204
    await add_rendition(video, "540p", 540)
    changed = await nv_client.get(seen.group(1), headers=HTMX)
    assert changed.status_code == 200
    assert "2 of 3 sizes made" in changed.text


async def test_ready_status_shows_the_poster_and_the_video_page(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await ready_clip(nv_resources, nv_run_jobs, creator, clips["h264"], caption="#dawn")
    images = await give_poster(nv_resources, video)
    await log_in(nv_client, "maker")
    fragment = (await nv_client.get(f"/upload/status/{video.slug}", headers=HTMX)).text
    assert 'data-status="ready"' in fragment
    assert "hx-trigger" not in fragment  # polling stops
    assert f'href="/v/{video.slug}"' in fragment
    # The smallest poster, in WebP with a JPEG fallback, both served.
    poster = re.search(r'<img class="nv-upload-poster" src="([^"]+)"', fragment)
    assert poster is not None
    assert poster.group(1).endswith(images["grid"]["jpg"])
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', fragment)
    assert webp is not None
    assert webp.group(1).endswith(images["grid"]["webp"])
    for url, kind in ((poster.group(1), "image/jpeg"), (webp.group(1), "image/webp")):
        image = await nv_client.get(url)
        assert image.status_code == 200
        assert image.headers["content-type"] == kind
    assert (await nv_client.get(f"/v/{video.slug}", headers=HTML)).status_code == 200


async def test_a_ready_video_keeps_polling_while_its_other_sizes_and_poster_arrive(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    video = await make_video(
        creator, "ready", ladder=["360p", "720p"], published_at=datetime.now(UTC)
    )
    await log_in(nv_client, "maker")
    url = f"/upload/status/{video.slug}"
    await add_rendition(video, "360p", 360)
    fragment = (await nv_client.get(url, headers=HTMX)).text
    assert 'data-status="ready"' in fragment
    assert "720p still on the way" in fragment
    assert 'hx-trigger="every 1s"' in fragment
    await add_rendition(video, "720p", 720)
    fragment = (await nv_client.get(url, headers=HTMX)).text
    assert "still on the way" not in fragment
    assert 'hx-trigger="every 1s"' in fragment  # the poster is still missing
    assert "Poster on its way" in fragment
    await give_poster(nv_resources, video)
    done = (await nv_client.get(url, headers=HTMX)).text
    assert "hx-trigger" not in done
    assert "still on the way" not in done
    assert 'class="nv-upload-poster"' in done

    # A poster that never comes is not waited for long.
    late = await make_video(creator, "ready", published_at=datetime.now(UTC) - timedelta(minutes=5))
    fragment = (await nv_client.get(f"/upload/status/{late.slug}", headers=HTMX)).text
    assert "hx-trigger" not in fragment
    assert "No poster" in fragment


async def test_a_private_ready_video_has_a_signed_poster_and_no_public_link(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await ready_clip(
        nv_resources, nv_run_jobs, creator, clips["h264"], visibility="private"
    )
    await give_poster(nv_resources, video)
    await log_in(nv_client, "maker")
    fragment = (await nv_client.get(f"/upload/status/{video.slug}", headers=HTMX)).text
    assert "Private: only you" in fragment
    assert f'href="/v/{video.slug}"' not in fragment
    assert "no page of its own" in fragment
    poster = re.search(r'<img class="nv-upload-poster" src="([^"]+)"', fragment)
    assert poster is not None
    assert "sig=" in poster.group(1)
    assert (await nv_client.get(poster.group(1).replace("&amp;", "&"))).status_code == 200


async def test_the_full_page_includes_the_same_status(nv_client: Any, creator: Any) -> None:
    video = await make_video(creator, "failed", failure_reason="The audio stream is broken.")
    await log_in(nv_client, "maker")
    response = await nv_client.get(f"/upload/status/{video.slug}", headers=HTML)
    assert response.status_code == 200
    page = response.text
    assert "<html" in page
    assert 'id="nv-upload"' in page  # the form, for the next upload
    assert 'id="upload-status"' in page
    assert "The audio stream is broken." in page


async def test_others_get_404_for_status_retry_and_delete(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    video = await make_video(creator, "failed", failure_reason="broken")
    await make_user(nv_resources, "rival", "admin")
    await log_in(nv_client, "rival")
    base = f"/upload/status/{video.slug}"
    assert (await nv_client.get(base, headers=HTMX)).status_code == 404
    assert (await hx_post(nv_client, f"{base}/retry")).status_code == 404
    assert (await hx_post(nv_client, f"{base}/delete")).status_code == 404
    assert (await nv_client.get("/upload/status/nosuchvideo", headers=HTMX)).status_code == 404
    assert (await nv_client.get("/upload/status/" + "x" * 40, headers=HTMX)).status_code == 404
    row = await services.get_video(video_id=video.id)
    assert row is not None
    assert row.status == "failed"


# --- retry and delete ----------------------------------------------------------------


async def test_a_failed_video_is_retried_from_its_original(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await failed_with_original(
        nv_resources, creator, clips["h264"], "ffmpeg was stopped (timeout)"
    )
    await log_in(nv_client, "maker")
    base = f"/upload/status/{video.slug}"
    failed = (await nv_client.get(base, headers=HTMX)).text
    assert "ffmpeg was stopped (timeout)" in failed
    assert f'hx-post="{base}/retry"' in failed
    assert f'hx-post="{base}/delete"' in failed
    assert "hx-trigger" not in failed

    # Without the CSRF header the request is refused and nothing changes.
    forged = await nv_client.post(f"{base}/retry", headers=HTMX)
    assert forged.status_code == 403
    row = await services.get_video(video_id=video.id)
    assert row is not None
    assert row.status == "failed"

    retried = await hx_post(nv_client, f"{base}/retry")
    assert retried.status_code == 200
    assert 'data-status="processing"' in retried.text
    assert 'hx-trigger="every 1s"' in retried.text
    await nv_run_jobs()
    again = await nv_client.get(base, headers=HTMX)
    assert 'data-status="ready"' in again.text


async def test_retry_is_refused_for_a_ready_video(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await ready_clip(nv_resources, nv_run_jobs, creator, clips["h264"])
    await log_in(nv_client, "maker")
    refused = await hx_post(nv_client, f"/upload/status/{video.slug}/retry")
    assert refused.status_code == 409
    assert "Only a video whose processing failed can be retried" in refused.text
    assert 'data-status="ready"' in refused.text
    assert await nv_resources.jobs.status(services.process_job_id(video.id)) != "queued"
    row = await services.get_video(video_id=video.id)
    assert row is not None
    assert row.status == "ready"


async def test_without_its_original_a_failed_video_can_only_be_deleted(
    nv_client: Any, nv_resources: Any, creator: Any, clips: dict[str, Path]
) -> None:
    video = await failed_with_original(nv_resources, creator, clips["h264"], "no video stream")
    await nv_resources.storage.put_bytes(f"videos/{video.slug}/poster.jpg", b"left over")
    await nv_resources.storage.delete(video.source_key)
    await log_in(nv_client, "maker")
    base = f"/upload/status/{video.slug}"
    fragment = (await nv_client.get(base, headers=HTMX)).text
    assert "/retry" not in fragment
    assert f'hx-post="{base}/delete"' in fragment
    refused = await hx_post(nv_client, f"{base}/retry")
    assert refused.status_code == 409
    assert "no longer stored" in refused.text

    deleted = await hx_post(nv_client, f"{base}/delete")
    assert deleted.status_code == 200
    assert 'data-status="deleted"' in deleted.text
    assert "Video deleted" in deleted.text
    assert await services.get_video(video_id=video.id) is None
    assert await stored_keys(nv_resources, f"videos/{video.slug}/") == []
    gone = await nv_client.get(base, headers=HTMX)
    assert gone.status_code == 404


async def test_forms_without_htmx_redirect_back_to_the_page(
    nv_client: Any, nv_resources: Any, creator: Any
) -> None:
    video = await make_video(creator, "failed", failure_reason="broken")
    await log_in(nv_client, "maker")
    token = await csrf(nv_client)
    base = f"/upload/status/{video.slug}"
    retry = await nv_client.post(f"{base}/retry", data={"_csrf_token": token}, headers=HTML)
    assert retry.status_code == 303
    assert retry.headers["location"] == base
    delete = await nv_client.post(f"{base}/delete", data={"_csrf_token": token}, headers=HTML)
    assert delete.status_code == 303
    assert delete.headers["location"] == "/upload"
    assert await services.get_video(video_id=video.id) is None
