"""Tracks on feed cards and video pages, the CC button, and the owner's captions panel."""

from __future__ import annotations

import html as markup
import re
from typing import Any

import pytest

from nichevid.captions import services
from nichevid.captions.tables import Caption

from .conftest import (
    VTT,
    VTT_ES,
    caption_keys,
    csrf_token,
    login,
    other_client,
    statements_of_this_task,
)

TRACK = re.compile(r'<track kind="subtitles" srclang="([^"]+)" label="([^"]+)" src="([^"]+)">')


def card_of(html: str, slug: str) -> str:
    """The HTML of the card of ``slug``."""
    match = re.search(rf'<article class="nv-card[^"]*" id="v-{slug}".*?</article>', html, re.S)
    assert match is not None, f"no card for {slug}"
    return match.group(0)


def video_element(card: str) -> str:
    match = re.search(r"<video .*?</video>", card, re.S)
    assert match is not None
    return match.group(0)


@pytest.fixture
async def owner(make_user: Any) -> Any:
    return await make_user("ada", role="creator")


async def test_cards_and_the_video_page_carry_the_tracks_and_the_cc_button(
    nv_client: Any, nv_resources: Any, owner: Any, make_video: Any
) -> None:
    captioned, plain = await make_video(owner), await make_video(owner)
    await services.put_caption(nv_resources, captioned, "es", VTT_ES)
    await services.put_caption(nv_resources, captioned, "en", VTT, label='Eng "<b>"')
    keys = await caption_keys(nv_resources, captioned)

    for url in ("/", f"/v/{captioned.slug}"):
        html = (await nv_client.get(url)).text
        card = card_of(html, captioned.slug)
        tracks = TRACK.findall(video_element(card))
        assert [(lang, label) for lang, label, _ in tracks] == [
            ("en", "Eng &#34;&lt;b&gt;&#34;"),
            ("es", "Español"),
        ]
        assert sorted(src.removeprefix("/media/") for _, _, src in tracks) == keys
        assert "crossorigin" not in video_element(card)  # same origin: no CORS request
        button = re.search(r'<button type="button" class="nv-card-cc"[^>]*>', card)
        assert button is not None
        assert 'aria-pressed="false"' in button.group(0)
        assert 'aria-label="Captions (CC)"' in button.group(0)
    home = (await nv_client.get("/")).text
    assert "<track" not in card_of(home, plain.slug)
    assert "nv-card-cc" not in card_of(home, plain.slug)
    # The next batch (htmx) renders the same partial.
    older = [await make_video(owner) for _ in range(5)]
    await services.put_caption(nv_resources, older[0], "de", VTT)
    batch = (await nv_client.get(f"/feed/next?cursor={older[1].id}")).text
    assert [t[0] for t in TRACK.findall(card_of(batch, older[0].slug))] == ["de"]


@pytest.mark.parametrize("signed_in", [False, True])
async def test_a_feed_page_costs_one_query_for_the_tracks_of_all_its_cards(
    nv_client: Any, nv_resources: Any, owner: Any, make_video: Any, signed_in: bool
) -> None:
    if signed_in:
        await login(nv_client, owner.username)

    total = 0

    async def statements(cards: int) -> list[str]:
        nonlocal total
        for _ in range(cards):
            video = await make_video(owner)
            await services.put_caption(nv_resources, video, "en", VTT)
            await services.put_caption(nv_resources, video, "es", VTT_ES)
        total += cards
        await nv_client.get("/")  # what the first page of a process reads once is not counted
        with statements_of_this_task(nv_resources.engine) as seen:
            html = (await nv_client.get("/")).text
        assert html.count('class="nv-card-cc"') == total
        assert html.count("<track ") == 2 * total
        return seen

    one = await statements(1)
    five = await statements(4)  # five captioned cards on the page now
    assert len(five) == len(one), (one, five)
    assert len([sql for sql in five if "nv_caption" in sql]) == 1


async def test_followers_only_cards_get_signed_track_urls(
    nv_client: Any, nv_resources: Any, owner: Any, make_user: Any, make_video: Any
) -> None:
    from nichevid.social.services import set_follow

    bob = await make_user("bob")
    await set_follow(bob, owner, True)
    video = await make_video(owner, visibility="followers")
    await services.put_caption(nv_resources, video, "en", VTT)
    await login(nv_client, bob.username)
    html = (await nv_client.get("/following")).text
    [(_, _, src)] = TRACK.findall(card_of(html, video.slug))
    assert "?exp=" in src
    assert (await nv_client.get(src.replace("&amp;", "&"))).content.startswith(b"WEBVTT")
    async with other_client(nv_client) as stranger:
        assert (await stranger.get(src.split("?")[0])).status_code == 403


async def test_the_owner_gets_the_panel_on_the_video_page_others_do_not(
    nv_client: Any, owner: Any, make_user: Any, make_video: Any
) -> None:
    video = await make_video(owner)
    panel = f'hx-get="/v/{video.slug}/captions"'
    assert panel not in (await nv_client.get(f"/v/{video.slug}")).text
    async with other_client(nv_client) as bob_client:
        bob = await make_user("bob", role="creator")
        await login(bob_client, bob.username)
        assert panel not in (await bob_client.get(f"/v/{video.slug}")).text
        hx = {"HX-Request": "true"}
        refused = await bob_client.get(f"/v/{video.slug}/captions", headers=hx)
        assert refused.status_code == 404
    anonymous = await nv_client.get(f"/v/{video.slug}/captions", headers={"accept": "text/html"})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/login?next=/v/{video.slug}/captions"

    await login(nv_client, owner.username)
    assert panel in (await nv_client.get(f"/v/{video.slug}")).text
    fragment = await nv_client.get(f"/v/{video.slug}/captions", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'name="file"' in fragment.text
    assert "No captions yet" in fragment.text
    page = await nv_client.get(f"/v/{video.slug}/captions")
    assert "<html" in page.text
    assert 'name="language"' in page.text


async def test_the_processing_status_of_a_ready_video_links_to_its_captions(
    nv_client: Any, owner: Any, make_video: Any
) -> None:
    video = await make_video(owner, visibility="private")
    await login(nv_client, owner.username)
    status = (await nv_client.get(f"/upload/status/{video.slug}")).text
    assert f'<a href="/v/{video.slug}/captions">Add captions</a>' in status
    page = await nv_client.get(f"/v/{video.slug}/captions")
    assert page.status_code == 200
    assert f'href="/upload/status/{video.slug}"' in page.text


async def test_the_panel_adds_replaces_refuses_and_deletes(
    nv_client: Any, nv_resources: Any, owner: Any, make_video: Any
) -> None:
    video = await make_video(owner, visibility="private")
    await login(nv_client, owner.username)
    hx = {"HX-Request": "true", "x-csrftoken": await csrf_token(nv_client)}
    url = f"/v/{video.slug}/captions"

    async def upload(body: bytes, language: str, label: str = "") -> Any:
        files = {"file": ("subs.vtt", body, "text/vtt")}
        data = {"language": language, "label": label}
        return await nv_client.post(url, files=files, data=data, headers=hx)

    added = await upload(VTT, "pt-br", "Português")
    assert added.status_code == 200
    assert "Captions in Português added." in added.text
    assert "<code>pt-BR</code>" in added.text
    link = re.search(r'<a href="([^"]+)">View file</a>', added.text)
    assert link is not None
    assert "?exp=" in link.group(1)  # a private video: a signed link
    stored = await caption_keys(nv_resources, video)

    refused = await upload(b"WEBVTT\n\n00:00.500 --> 00:00.100\nbackwards\n", "pt-BR", "New")
    assert refused.status_code == 200  # htmx swaps only successful answers
    assert 'class="nv-error" role="alert"' in refused.text
    assert "the cue ends before it starts" in refused.text
    assert 'value="pt-BR"' in refused.text
    assert 'value="New"' in refused.text
    assert await caption_keys(nv_resources, video) == stored
    [row] = await services.captions_of(video)
    assert (row.label, row.cue_count) == ("Português", 2)

    bad_tag = await upload(VTT, "portuguese")
    assert "'portuguese' is not a language tag" in markup.unescape(bad_tag.text)
    no_file = await nv_client.post(url, data={"language": "en"}, headers=hx)
    assert "Choose a WebVTT (.vtt) file" in no_file.text

    replaced = await upload(VTT_ES, "PT-BR")
    assert "Captions in Português replaced." in replaced.text
    assert "1 cue<" in replaced.text

    deleted = await nv_client.post(f"{url}/pt-BR/delete", headers=hx)
    assert deleted.status_code == 200
    assert "Captions deleted." in deleted.text
    assert await Caption.count() == 0
    assert await caption_keys(nv_resources, video) == []


async def test_the_panel_works_without_javascript(
    nv_client: Any, nv_resources: Any, owner: Any, make_video: Any
) -> None:
    video = await make_video(owner)
    await login(nv_client, owner.username)
    token = await csrf_token(nv_client)
    url = f"/v/{video.slug}/captions"
    page = {"accept": "text/html"}
    files = {"file": ("subs.vtt", VTT, "text/vtt")}
    added = await nv_client.post(
        url, files=files, data={"language": "en", "_csrf_token": token}, headers=page
    )
    assert added.status_code == 303
    assert added.headers["location"] == url
    assert [row.language for row in await services.captions_of(video)] == ["en"]

    too_late = {"file": ("late.vtt", b"WEBVTT\n\n00:30.000 --> 00:31.000\nlate\n", "text/vtt")}
    refused = await nv_client.post(
        url, files=too_late, data={"language": "en", "_csrf_token": token}, headers=page
    )
    assert refused.status_code == 400
    assert "<html" in refused.text
    assert "after the video ends" in refused.text
    deleted = await nv_client.post(f"{url}/en/delete", data={"_csrf_token": token}, headers=page)
    assert deleted.status_code == 303
    assert await Caption.count() == 0
