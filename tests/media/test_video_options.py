"""Plugins' fields on the upload form and the video edit form, and their options.

A test plugin adds a "mood" field (option ``test_mood``), refuses the mood "grumpy"
and records what it is told once the video exists.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from nichevid.media import options
from nichevid.media.tables import Upload, Video
from nichevid.plugins import hookimpl
from nichevid.testing.factories import ready_video

from .test_upload_page import HTML, csrf, log_in, make_user

TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**values: str) -> str:
    """An ``Upload-Metadata`` header."""
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


class Moods:
    """A plugin with a field of its own on both forms."""

    def __init__(self) -> None:
        self.asked: list[tuple[Any, str, dict[str, str]]] = []
        self.saved: list[tuple[int, dict[str, str]]] = []

    @hookimpl
    async def video_form_fields(
        self, request: Any, user: Any, video: Any, values: dict[str, str] | None
    ) -> str:
        mood = "calm" if video is None else f"was {video.caption}"
        if values is not None:
            mood = f"posted {values.get('test_mood', '')}"
        return f'<input name="test_mood" value="{mood}" data-user="{user.username}">'

    @hookimpl
    def video_options_check(
        self, user: Any, video: Any, visibility: str, options: dict[str, str], resources: Any
    ) -> str | None:
        self.asked.append((None if video is None else video.slug, visibility, options))
        if options.get("test_mood") == "grumpy":
            return "Grumpy videos are not taken; choose another mood."
        return None

    @hookimpl
    async def video_options_saved(self, video: Any, options: dict[str, str]) -> None:
        self.saved.append((int(video.id), options))


@pytest.fixture
async def moods(nv_resources: Any) -> Moods:
    plugin = Moods()
    nv_resources.pm.register(plugin)
    return plugin


@pytest.fixture
async def maker(nv_client: Any, nv_resources: Any) -> Any:
    user = await make_user(nv_resources, "maker", "creator")
    await log_in(nv_client, "maker")
    return user


def test_options_are_the_prefixed_fields_only() -> None:
    sent = {"caption": "x", "visibility": "public", "filename": "a.mp4", "test_mood": "calm"}
    assert options.options_of({**sent, "Bad": "1", "nounderscore": "1"}) == {"test_mood": "calm"}
    with pytest.raises(ValueError, match="longer than 200"):
        options.options_of({"test_mood": "x" * 201})
    with pytest.raises(ValueError, match="at most 20"):
        options.options_of({f"test_o{i}": "1" for i in range(21)})


async def test_hook_video_form_fields(nv_client: Any, moods: Moods, maker: Any) -> None:
    page = await nv_client.get("/upload", headers=HTML)
    assert '<div class="nv-video-options"><input name="test_mood" value="calm"' in page.text
    assert 'data-user="maker"' in page.text
    video = await ready_video(maker, caption="sunrise")
    edit = await nv_client.get(f"/upload/edit/{video.slug}", headers=HTML)
    assert 'value="was sunrise"' in edit.text


async def test_hook_video_options_check(
    nv_client: Any, nv_resources: Any, moods: Moods, maker: Any
) -> None:
    from nichevid.accounts.tokens import create_token

    plain, _ = await create_token(maker, "options")
    headers = {**TUS, "Authorization": f"Bearer {plain}", "Upload-Length": "100"}
    refused = await nv_client.post(
        "/uploads/",
        headers={**headers, "Upload-Metadata": metadata(filename="a.mp4", test_mood="grumpy")},
    )
    assert refused.status_code == 400
    assert "choose another mood" in refused.text
    assert await Upload.count() == 0
    too_long = await nv_client.post(
        "/uploads/",
        headers={**headers, "Upload-Metadata": metadata(filename="a.mp4", test_mood="x" * 300)},
    )
    assert too_long.status_code == 400
    assert await Upload.count() == 0
    video = await ready_video(maker, caption="before")
    token = await csrf(nv_client)
    form = {"caption": "after", "visibility": "private", "test_mood": "grumpy"}
    answer = await nv_client.post(
        f"/upload/edit/{video.slug}", data={**form, "_csrf_token": token}, headers=HTML
    )
    assert answer.status_code == 400
    assert "choose another mood" in answer.text
    assert "after" in answer.text  # what was typed comes back
    assert 'value="posted grumpy"' in answer.text  # and the plugin shows its posted choice
    stored = await Video.objects().where(Video.id == video.id).first()
    assert stored is not None
    assert (stored.caption, stored.visibility) == ("before", "public")
    assert (video.slug, "private", {"test_mood": "grumpy"}) in moods.asked
    assert (None, "public", {"test_mood": "grumpy"}) in moods.asked
    assert moods.saved == []


async def test_hook_video_options_saved(
    nv_client: Any, nv_resources: Any, moods: Moods, maker: Any
) -> None:
    from nichevid.accounts.tokens import create_token

    plain, _ = await create_token(maker, "options")
    body = b"not really a video"
    created = await nv_client.post(
        "/uploads/",
        headers={
            **TUS,
            "Authorization": f"Bearer {plain}",
            "Upload-Length": str(len(body)),
            "Upload-Metadata": metadata(filename="a.mp4", caption="new", test_mood="calm"),
            "Content-Type": "application/offset+octet-stream",
        },
        content=body,
    )
    assert created.status_code == 201, created.text
    upload = await Upload.objects().first()
    assert upload is not None
    assert upload.video is not None
    assert moods.saved == [(int(upload.video), {"test_mood": "calm"})]
    video = await ready_video(maker, caption="old")
    token = await csrf(nv_client)
    form = {"caption": "new words #fresh", "visibility": "followers", "test_mood": "happy"}
    answer = await nv_client.post(
        f"/upload/edit/{video.slug}", data={**form, "_csrf_token": token}, headers=HTML
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/upload/edit/{video.slug}?saved=1"
    assert moods.saved[-1] == (int(video.id), {"test_mood": "happy"})
    stored = await Video.objects().where(Video.id == video.id).first()
    assert stored is not None
    assert (stored.caption, stored.visibility) == ("new words #fresh", "followers")


async def test_the_edit_form_is_the_owners_and_checks_the_core_fields(
    nv_client: Any, nv_resources: Any, maker: Any
) -> None:
    other = await make_user(nv_resources, "other", "creator")
    theirs = await ready_video(other, caption="theirs")
    assert (await nv_client.get(f"/upload/edit/{theirs.slug}", headers=HTML)).status_code == 404
    token = await csrf(nv_client)
    taken = await nv_client.post(
        f"/upload/edit/{theirs.slug}",
        data={"caption": "mine now", "visibility": "public", "_csrf_token": token},
        headers=HTML,
    )
    assert taken.status_code == 404
    mine = await ready_video(maker, caption="mine")
    page = await nv_client.get(f"/upload/edit/{mine.slug}", headers=HTML)
    assert page.status_code == 200
    assert '<option value="public" selected>' in page.text
    for form, message in (
        ({"caption": "x", "visibility": "everyone"}, "visibility"),
        ({"caption": "x" * 3000, "visibility": "public"}, "at most"),
    ):
        bad = await nv_client.post(
            f"/upload/edit/{mine.slug}", data={**form, "_csrf_token": token}, headers=HTML
        )
        assert bad.status_code == 400, form
        assert message in bad.text
    stored = await Video.objects().where(Video.id == mine.id).first()
    assert stored is not None
    assert stored.caption == "mine"
    no_csrf = await nv_client.post(
        f"/upload/edit/{mine.slug}", data={"caption": "y", "visibility": "public"}, headers=HTML
    )
    assert no_csrf.status_code == 403
    status = await nv_client.get(f"/upload/status/{mine.slug}", headers=HTML)
    assert f'href="/upload/edit/{mine.slug}"' in status.text
