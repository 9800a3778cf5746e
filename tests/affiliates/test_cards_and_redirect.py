"""Links on feed cards and video pages, and the ``/go/`` redirect that counts clicks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nichevid.testing.factories import ready_video
from nichevid_affiliates import clicks, links, slots
from nichevid_affiliates.checks import LinkInput
from nichevid_affiliates.tables import Click, Link

from .conftest import browser, form, login

SHOP = "https://example-shop.com/p/yarn?tag=creator-20&color=red"


async def attach(video: Any, *rows: tuple[str, str]) -> list[int]:
    """Store links on ``video`` as the edit form does; their ids."""
    await links.replace(
        video, [LinkInput(label, url, urlsplit(url).hostname or "") for label, url in rows]
    )
    found = await Link.objects().where(Link.video == video.id).order_by(Link.position)
    return [int(link.id) for link in found if link.removed_at is None]


async def test_cards_and_the_video_page_show_disclosed_escaped_links(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    first, second = await attach(
        video, ("<b>Yarn</b> & co", SHOP), ("Hooks", "https://hooks.example.org/h")
    )
    feed = (await nv_client.get("/")).text
    assert f'href="/go/{first}" rel="sponsored nofollow noopener" target="_blank"' in feed
    assert "&lt;b&gt;Yarn&lt;/b&gt; &amp; co" in feed
    assert "<b>Yarn</b>" not in feed
    assert "Affiliate link" in feed
    assert f'/v/{video.slug}#affiliate-links">1 more products' in feed
    page = (await nv_client.get(f"/v/{video.slug}")).text
    assert 'id="affiliate-links"' in page
    assert "Paid links: the creator may earn a commission" in page
    for link_id in (first, second):
        assert f'href="/go/{link_id}" rel="sponsored nofollow noopener" target="_blank"' in page
    assert "hooks.example.org" in page
    # Signed in or not, the card is the same: nothing about the viewer.
    await login(nv_client, "ann")
    assert f'href="/go/{first}"' in (await nv_client.get("/")).text


async def test_a_page_of_cards_reads_its_links_in_one_query(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    other = await ready_video(people["cara"], caption="second")
    bare = await ready_video(people["cara"], caption="no links")
    await attach(video, ("Yarn", SHOP))
    await attach(other, ("Hooks", "https://hooks.example.org/h"))
    found = await links.shown_for([video.id, other.id, bare.id])
    assert {k: [s.label for s in v] for k, v in found.items()} == {
        video.id: ["Yarn"],
        other.id: ["Hooks"],
    }

    class Request:
        scope: dict[str, Any] = {}

    request = Request()
    await slots.prepare_cards(request, [video, other, bare])
    assert slots.chip(request, bare) is None
    assert "Hooks" in (slots.chip(request, other) or "")


async def test_the_redirect_adds_the_tag_and_the_click_token(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    (link_id,) = await attach(video, ("Yarn", SHOP))
    answer = await nv_client.get(f"/go/{link_id}")
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "example-shop.com", "/p/yarn")
    query = parse_qs(target.query)
    # The operator's tag joins the creator's parameters; the creator's tag is kept.
    assert query["tag"] == ["creator-20"]
    assert query["color"] == ["red"]
    (click,) = await Click.objects()
    assert query["subid"] == [click.token]
    assert answer.headers["cache-control"] == "private, no-store"
    # A link without a tag gets the operator's.
    (plain,) = await attach(
        await ready_video(people["cara"]), ("Yarn", "https://example-shop.com/p")
    )
    answer = await nv_client.get(f"/go/{plain}")
    assert parse_qs(urlsplit(answer.headers["location"]).query)["tag"] == ["mytag-21"]


async def test_override_params_replaces_the_creators_value(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    from nichevid_affiliates.settings import AffiliateSettings

    config = AffiliateSettings(
        append_params={"example-shop.com": {"tag": "mytag-21"}}, override_params=True
    )
    url = clicks.outgoing(config, SHOP + "&subid=forged", "www.example-shop.com", "tok")
    assert parse_qs(urlsplit(url).query) == {
        "color": ["red"],
        "tag": ["mytag-21"],
        "subid": ["tok"],
    }
    # Other domains get nothing but the token.
    other = clicks.outgoing(config, "https://hooks.example.org/h?a=1", "hooks.example.org", "t")
    assert other == "https://hooks.example.org/h?a=1&subid=t"


async def test_clicks_count_once_per_viewer_link_and_day(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    (link_id,) = await attach(video, ("Yarn", SHOP))
    first = await nv_client.get(f"/go/{link_id}")
    again = await nv_client.get(f"/go/{link_id}")
    assert first.headers["location"] == again.headers["location"]
    assert await Click.count() == 1
    # A browser with a viewer cookie is another viewer; so is a member.
    nv_client.cookies.set("nv_viewer", "a" * 32)
    await nv_client.get(f"/go/{link_id}")
    await nv_client.get(f"/go/{link_id}")
    assert await Click.count() == 2
    await login(nv_client, "ann")
    await nv_client.get(f"/go/{link_id}")
    await nv_client.get(f"/go/{link_id}")
    assert await Click.count() == 3
    (mine,) = await Click.objects().where(Click.member == people["ann"].id)
    assert mine.dedupe.startswith(f"{link_id}:u{people['ann'].id}:")
    # The next day the same viewer counts again.
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    viewer = f"u{people['ann'].id}"
    token = await clicks.record(link_id, viewer, people["ann"].id, tomorrow)
    assert token != mine.token
    assert await clicks.record(link_id, viewer, people["ann"].id, tomorrow) == token
    assert await Click.count() == 4


async def test_clicks_are_rate_limited(
    nv_client: Any, nv_settings_factory: Any, people: dict[str, Any], video: Any
) -> None:
    (link_id,) = await attach(video, ("Yarn", SHOP))
    config = nv_client.app.state.settings.plugin["affiliates"]["_parsed"]
    config.clicks_per_minute = 3
    try:
        answers = [(await nv_client.get(f"/go/{link_id}")).status_code for _ in range(4)]
    finally:
        config.clicks_per_minute = 30
    assert answers == [303, 303, 303, 429]
    assert await Click.count() == 1


async def test_unknown_removed_disabled_and_hidden_links_answer_404(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    html = {"accept": "text/html"}
    assert (await nv_client.get("/go/999999", headers=html)).status_code == 404
    gone = await nv_client.get("/go/0", headers=html)
    assert gone.status_code == 404
    assert "This product link does not exist any more" in gone.text
    (removed,) = await attach(video, ("Yarn", SHOP))
    await attach(video)
    assert (await nv_client.get(f"/go/{removed}")).status_code == 404
    private = await ready_video(people["cara"], visibility="private")
    (hidden,) = await attach(private, ("Yarn", SHOP))
    assert (await nv_client.get(f"/go/{hidden}")).status_code == 404
    dropped = await ready_video(people["cara"])
    (of_removed,) = await attach(dropped, ("Yarn", SHOP))
    from nichevid.media.tables import Video

    await Video.update({Video.status: "removed"}).where(Video.id == dropped.id)
    assert (await nv_client.get(f"/go/{of_removed}")).status_code == 404
    followers = await ready_video(people["cara"], visibility="followers")
    (gated,) = await attach(followers, ("Yarn", SHOP))
    assert (await nv_client.get(f"/go/{gated}")).status_code == 404
    assert await Click.count() == 0
    # Only GET: nothing else follows a link.
    (live,) = await attach(await ready_video(people["cara"]), ("Yarn", SHOP))
    posted = await form(nv_client, f"/go/{live}", {})
    assert posted.status_code == 405


async def test_a_disabled_link_leaves_the_cards_and_answers_404(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    (link_id,) = await attach(video, ("Yarn", SHOP))
    async with browser(nv_client, "root", 4101) as admin:
        done = await form(admin, f"/admin/affiliates/links/{link_id}/disable", {})
        assert done.status_code == 303
    assert f'href="/go/{link_id}"' not in (await nv_client.get("/")).text
    assert (await nv_client.get(f"/go/{link_id}")).status_code == 404
    # The creator re-saving the same address cannot bring it back.
    await attach(video, ("Yarn again", SHOP))
    assert (await nv_client.get(f"/go/{link_id}")).status_code == 404
    async with browser(nv_client, "root", 4102) as admin:
        await form(admin, f"/admin/affiliates/links/{link_id}/enable", {})
    assert (await nv_client.get(f"/go/{link_id}")).status_code == 303
