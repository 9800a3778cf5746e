"""The captions JSON API: add, list, replace, delete; every refusal keeps what is stored."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from nichevid.captions import services
from nichevid.captions.tables import Caption
from nichevid.media import services as media
from nichevid.media.tables import Video

from .conftest import VTT, VTT_ES, bearer, caption_keys, csrf_token, login, other_client, signed_in


def api(video: Any, language: str = "") -> str:
    return f"/api/videos/{video.slug}/captions" + (f"/{language}" if language else "")


async def put(
    client: Any, video: Any, language: str, body: bytes, headers: dict[str, str], **params: str
) -> Any:
    return await client.put(
        api(video, language),
        content=body,
        params=params,
        headers={**headers, "content-type": "text/vtt"},
    )


@pytest.fixture
async def owner(make_user: Any) -> Any:
    return await make_user("ada", role="creator")


@pytest.fixture
async def video(owner: Any, make_video: Any) -> Any:
    return await make_video(owner)


async def test_add_list_replace_delete(
    nv_client: Any, nv_resources: Any, owner: Any, video: Any, how: str
) -> None:
    headers = await signed_in(nv_client, owner, how)
    created = await put(nv_client, video, "en", VTT, headers)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == api(video, "en")
    doc = created.json()
    assert (doc["language"], doc["label"], doc["cues"]) == ("en", "English", 2)
    assert doc["url"].startswith(f"/media/videos/{video.slug}/captions/en-")
    served = await nv_client.get(doc["url"])
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/vtt")
    assert served.content.startswith(b"WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nHello\n")
    assert doc["size_bytes"] == len(served.content)

    spanish = await put(nv_client, video, "ES", VTT_ES, headers, label="Español (MX)")
    assert spanish.status_code == 201
    assert (spanish.json()["language"], spanish.json()["label"]) == ("es", "Español (MX)")

    one_cue = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi again\n"
    replaced = await put(nv_client, video, "en", one_cue, headers, label="English (UK)")
    assert replaced.status_code == 200, replaced.text
    new = replaced.json()
    assert (new["cues"], new["label"], new["created_at"]) == (1, "English (UK)", doc["created_at"])
    assert new["url"] != doc["url"]
    # The old file is gone, the new one is served; nothing else is left behind.
    assert (await nv_client.get(doc["url"])).status_code == 404
    assert b"Hi again" in (await nv_client.get(new["url"])).content
    assert len(await caption_keys(nv_resources, video)) == 2
    # Without a label the label is kept.
    again = await put(nv_client, video, "en", one_cue, headers)
    assert again.json()["label"] == "English (UK)"

    listing = await nv_client.get(api(video), headers=headers)
    assert listing.status_code == 200
    assert [(t["language"], t["cues"]) for t in listing.json()] == [("en", 1), ("es", 1)]

    gone = await nv_client.delete(api(video, "en"), headers=headers)
    assert gone.status_code == 204
    assert [t["language"] for t in (await nv_client.get(api(video))).json()] == ["es"]
    assert await caption_keys(nv_resources, video) == [
        spanish.json()["url"].removeprefix("/media/")
    ]
    missing = await nv_client.delete(api(video, "en"), headers=headers)
    assert missing.status_code == 404
    assert "no captions in 'en'" in missing.json()["detail"]


BAD_FILES = [
    ("not UTF-8", b"WEBVTT\n\n00:01.000 --> 00:02.000\nol\xe1 \xff\n", "not UTF-8 text"),
    ("no header", b"00:01.000 --> 00:02.000\nHi\n", "must begin with the line WEBVTT"),
    ("bad timing", b"WEBVTT\n\n00:01 --> 00:02.000\nHi\n", "'00:01' is not a cue time"),
    ("end first", b"WEBVTT\n\n00:02.000 --> 00:01.000\nHi\n", "the cue ends before it starts"),
    ("after the end", b"WEBVTT\n\n00:09.000 --> 00:10.000\nHi\n", "after the video ends"),
    ("no cues", b"WEBVTT\n", "no cues with text"),
]


@pytest.mark.parametrize(
    ("body", "says"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
async def test_a_bad_file_is_refused_and_the_old_track_stays(
    nv_client: Any, nv_resources: Any, owner: Any, video: Any, body: bytes, says: str
) -> None:
    headers = await bearer(owner)
    first = (await put(nv_client, video, "en", VTT, headers)).json()
    before = (await nv_client.get(first["url"])).content

    refused = await put(nv_client, video, "en", body, headers, label="Broken")
    assert refused.status_code == 400
    assert says in refused.json()["detail"]
    [kept] = (await nv_client.get(api(video))).json()
    assert kept == first
    assert (await nv_client.get(first["url"])).content == before
    assert await caption_keys(nv_resources, video) == [first["url"].removeprefix("/media/")]
    # A new language with a bad file stores nothing either.
    assert (await put(nv_client, video, "fr", body, headers)).status_code == 400
    assert await Caption.count().where(Caption.video == video.id) == 1


@pytest.mark.parametrize(
    "nv_settings", [{"max_bytes": 120, "max_cues": 2, "max_tracks": 2}], indirect=True
)
async def test_limits_come_from_settings(
    nv_client: Any, nv_resources: Any, owner: Any, video: Any
) -> None:
    headers = await bearer(owner)
    big = VTT + b"\nNOTE " + b"x" * 120 + b"\n"
    too_big = await put(nv_client, video, "en", big, headers)
    assert too_big.status_code == 413
    assert (
        f"The file is {len(big)} bytes; captions may be at most 120 bytes"
        in (too_big.json()["detail"])
    )

    async def chunks() -> Any:
        for _ in range(3):
            yield big[:60]

    # Sent in chunks, without a length: reading stops at the limit.
    streamed = await nv_client.put(
        api(video, "en"), content=chunks(), headers={**headers, "content-type": "text/vtt"}
    )
    assert streamed.status_code == 413
    assert "The file is more than 120 bytes" in streamed.json()["detail"]
    assert await caption_keys(nv_resources, video) == []
    three = b"WEBVTT\n" + b"".join(
        b"\n00:00.%d00 --> 00:00.%d50\n%d\n" % (n, n, n) for n in range(1, 4)
    )
    many = await put(nv_client, video, "en", three, headers)
    assert many.status_code == 400
    assert "more cues than the 2 one file may hold" in many.json()["detail"]

    for language in ("en", "es"):
        assert (await put(nv_client, video, language, VTT_ES, headers)).status_code == 201
    third = await put(nv_client, video, "fr", VTT_ES, headers)
    assert third.status_code == 409
    assert "already has 2 caption tracks (en, es), the most allowed" in third.json()["detail"]
    # Replacing a language is not a new track.
    assert (await put(nv_client, video, "es", VTT, headers)).status_code == 200
    assert len(await caption_keys(nv_resources, video)) == 2


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("english", "'english' is not a language tag"),
        ("xx", "'xx' is not a known language code"),
        ("en-XY", "'XY' is not a known region"),
        ("%3Cscript%3E", "'<script>' is not a language tag"),
    ],
)
async def test_bad_language_tags_are_refused(
    nv_client: Any, owner: Any, video: Any, language: str, says: str
) -> None:
    response = await put(nv_client, video, language, VTT, await bearer(owner))
    assert response.status_code == 400
    assert says in response.json()["detail"]
    assert (
        "en, es, pt-BR or zh-Hant" in response.json()["detail"]
        or "leave it out" in (response.json()["detail"])
    )
    assert await Caption.count() == 0


async def test_tags_are_canonical_and_labels_default_to_the_language_name(
    nv_client: Any, owner: Any, video: Any
) -> None:
    headers = await bearer(owner)
    made = await put(nv_client, video, "pt-br", VTT, headers)
    assert (made.json()["language"], made.json()["label"]) == ("pt-BR", "Português (Brasil)")
    # The same language in another case replaces it, and finds it to delete.
    assert (await put(nv_client, video, "PT-BR", VTT, headers)).status_code == 200
    too_long = await put(nv_client, video, "zh-Hant", VTT, headers, label="x" * 65)
    assert too_long.status_code == 400
    assert "keep it to 64" in too_long.json()["detail"]
    assert (await nv_client.delete(api(video, "pt-br"), headers=headers)).status_code == 204


async def test_only_the_owner_or_a_moderator_changes_captions(
    nv_client: Any, make_user: Any, make_video: Any, owner: Any, video: Any
) -> None:
    await put(nv_client, video, "en", VTT, await bearer(owner))
    bob = await make_user("bob", role="creator")
    as_bob = await bearer(bob)
    refused = await put(nv_client, video, "es", VTT_ES, as_bob)
    assert refused.status_code == 403
    assert "Only the video's owner or a moderator" in refused.json()["detail"]
    assert (await nv_client.delete(api(video, "en"), headers=as_bob)).status_code == 403
    # Others see the tracks of a video they may watch.
    assert [t["language"] for t in (await nv_client.get(api(video), headers=as_bob)).json()] == [
        "en"
    ]
    # A video bob may not watch does not exist for him.
    private = await make_video(owner, visibility="private")
    for response in (
        await put(nv_client, private, "en", VTT, as_bob),
        await nv_client.get(api(private), headers=as_bob),
        await nv_client.delete(api(private, "en"), headers=as_bob),
        await put(nv_client, SimpleNamespace(slug="nosuchvideo"), "en", VTT, as_bob),
    ):
        assert response.status_code == 404
        assert "no video with this id" in response.json()["detail"]

    moderator = await bearer(await make_user("mod", role="moderator"))
    assert (await put(nv_client, private, "en", VTT, moderator)).status_code == 201
    assert (await nv_client.delete(api(video, "en"), headers=moderator)).status_code == 204
    assert await Caption.count() == 1


async def test_signed_out_visitors_only_read(
    nv_client: Any, owner: Any, make_video: Any, video: Any
) -> None:
    await put(nv_client, video, "en", VTT, await bearer(owner))
    private = await make_video(owner, visibility="private")
    async with other_client(nv_client) as anonymous:
        assert (await put(anonymous, video, "es", VTT_ES, {})).status_code == 403  # no CSRF
        csrf = {"x-csrftoken": await csrf_token(anonymous)}
        for response in (
            await put(anonymous, video, "es", VTT_ES, csrf),
            await anonymous.delete(api(video, "en"), headers=csrf),
        ):
            assert response.status_code == 401
            assert "Bearer" in response.json()["detail"]
        listing = await anonymous.get(api(video))
        assert [t["language"] for t in listing.json()] == ["en"]
        assert (await anonymous.get(api(private))).status_code == 404
        # A signed-in browser without the CSRF header is refused too.
        await login(anonymous, owner.username)
        assert (await put(anonymous, video, "es", VTT_ES, {})).status_code == 403
    assert await Caption.count() == 1


async def test_videos_that_do_not_play_get_no_captions(
    nv_client: Any, nv_resources: Any, owner: Any, make_video: Any, video: Any
) -> None:
    headers = await bearer(owner)
    await put(nv_client, video, "en", VTT, headers)
    await Video.update({Video.status: "removed"}).where(Video.id == video.id)
    removed = await put(nv_client, video, "en", VTT_ES, headers)
    assert removed.status_code == 409
    assert "This video was removed" in removed.json()["detail"]
    async with other_client(nv_client) as anonymous:
        assert (await anonymous.get(api(video))).status_code == 404
    failed = await make_video(owner, status="failed")
    response = await put(nv_client, failed, "en", VTT, headers)
    assert (response.status_code, "retry it first" in response.json()["detail"]) == (409, True)
    processing = await make_video(owner, status="processing", duration_ms=0)
    response = await put(nv_client, processing, "en", VTT, headers)
    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]
    # The removed video's track is untouched; its owner may still delete it.
    assert len(await caption_keys(nv_resources, video)) == 1
    assert (await nv_client.delete(api(video, "en"), headers=headers)).status_code == 204


async def test_tracks_of_videos_that_are_not_public_have_signed_urls(
    nv_client: Any, owner: Any, make_video: Any
) -> None:
    private = await make_video(owner, visibility="private")
    doc = (await put(nv_client, private, "en", VTT, await bearer(owner))).json()
    assert "?exp=" in doc["url"]
    assert "&sig=" in doc["url"]
    async with other_client(nv_client) as anonymous:
        assert (await anonymous.get(doc["url"])).content.startswith(b"WEBVTT")
        bare = await anonymous.get(doc["url"].split("?")[0])
        assert bare.status_code == 403


async def test_deleting_the_video_deletes_its_captions(
    nv_client: Any, nv_resources: Any, owner: Any, video: Any
) -> None:
    headers = await bearer(owner)
    await put(nv_client, video, "en", VTT, headers)
    await put(nv_client, video, "es", VTT_ES, headers)
    assert len(await caption_keys(nv_resources, video)) == 2
    deleted = await nv_client.delete(f"/api/videos/{video.slug}", headers=headers)
    assert deleted.status_code == 204
    assert await caption_keys(nv_resources, video) == []
    assert await Caption.count() == 0
    assert await media.get_video(video_id=video.id) is None


async def test_the_stored_file_is_the_normalised_one(
    nv_client: Any, nv_resources: Any, owner: Any, video: Any
) -> None:
    upload = (
        "\ufeffWEBVTT\n\nSTYLE\n::cue { background: url(javascript:alert(1)) }\n\n"
        "NOTE secret notes\n\n"
        "00:00.500 --> 00:01.500 line:90% onload:alert(2)\n"
        '<i>Hi</i> <script>alert(3)</script><img src=x onerror="alert(4)">'
        " &lt;script&gt;alert(5)&lt;/script&gt; <b>there</b>\n"
    ).encode()
    doc = (await put(nv_client, video, "en", upload, await bearer(owner))).json()
    stored = (await nv_client.get(doc["url"])).text
    assert stored == "WEBVTT\n\n00:00:00.500 --> 00:00:01.500 line:90%\n<i>Hi</i> <b>there</b>\n"
    [row] = await services.captions_of(video)
    assert (row.size_bytes, row.cue_count) == (len(stored.encode()), 1)


async def test_the_api_is_in_the_openapi_schema(nv_client: Any) -> None:
    schema = (await nv_client.get("/schema/openapi.json")).json()
    listing = schema["paths"]["/api/videos/{video_id}/captions"]
    one = schema["paths"]["/api/videos/{video_id}/captions/{language}"]
    assert listing["get"]["tags"] == ["captions"]
    assert set(one) >= {"put", "delete"}
    assert "text/vtt" in one["put"]["requestBody"]["content"]
    assert {p["name"] for p in one["put"]["parameters"]} >= {"video_id", "language", "label"}
    assert one["put"]["security"] == [{"BearerToken": []}]
