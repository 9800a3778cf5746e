"""Badges on subscribers' comments (``prepare_comments`` + ``comment_meta``), the
``payment_event`` hook, and the subscribe links the plugin puts on pages."""

from __future__ import annotations

import json
import time
from typing import Any

from nichevid.comments.services import post_comment
from nichevid.payments import checkout as checkouts
from nichevid.payments import events
from nichevid.payments.tables import PaymentEvent
from nichevid.plugins import hookimpl
from nichevid.testing.factories import ready_video
from nichevid_subscriptions.tables import Subscription

from .conftest import MONTH, deliver, login, subscribed


async def test_subscribers_carry_their_tier_badge_on_comments(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    video = await ready_video(people["cara"], caption="yarn day")
    await subscribed(nv_resources, people["ann"], two_tiers["patron"])
    await post_comment(nv_resources, people["ann"], video, "Lovely!")
    await post_comment(nv_resources, people["bob"], video, "Nice.")
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers={"HX-Request": "true"})
    assert panel.status_code == 200
    badges = panel.text.count('class="nv-sub-badge"')
    assert badges == 1
    ann_part = panel.text.split("@ann", 1)[1].split("</header>", 1)[0]
    assert ">Patron</span>" in ann_part
    bob_part = panel.text.split("@bob", 1)[1].split("</header>", 1)[0]
    assert "nv-sub-badge" not in bob_part
    # Once the subscription lapses, the badge goes.
    await Subscription.update({Subscription.access_until: int(time.time()) - 1}).where(
        Subscription.member == people["ann"].id
    )
    panel = await nv_client.get(f"/v/{video.slug}/comments", headers={"HX-Request": "true"})
    assert "nv-sub-badge" not in panel.text


async def test_hook_prepare_comments(
    nv_plugins: list[Any], nv_client: Any, nv_resources: Any, people: dict[str, Any]
) -> None:
    seen: list[tuple[str, list[int]]] = []

    class Stars:
        @hookimpl
        async def prepare_comments(self, request: Any, video: Any, author_ids: list[int]) -> None:
            seen.append((video.slug, list(author_ids)))
            request.scope["stars"] = {author: "★" * author for author in author_ids}

        @hookimpl
        def extra_slot(self, slot: str, context: dict[str, Any]) -> str | None:
            if slot == "comment_meta":
                stars = context["request"].scope["stars"][context["comment"].author_id]
                return f'<i class="stars">{stars}</i>'
            return None

    nv_plugins.append(Stars())
    from nichevid.app import create_app
    from nichevid.testing import client_for

    video = await ready_video(people["cara"], caption="yarn day")
    first = await post_comment(nv_resources, people["ann"], video, "One")
    await post_comment(nv_resources, people["bob"], video, "Two", reply_to=first.id)
    async with client_for(create_app(nv_client.app.state.settings, plugins=nv_plugins)) as client:
        html = (await client.get(f"/v/{video.slug}/comments")).text
        ann, bob = people["ann"].id, people["bob"].id
        assert seen[-1] == (video.slug, sorted([ann, bob]))
        assert f'<i class="stars">{"★" * ann}</i>' in html
        assert f'<i class="stars">{"★" * bob}</i>' in html
        # A single comment's fragment asks for its one author.
        await client.get(f"/comments/{first.id}", headers={"HX-Request": "true"})
        assert seen[-1] == (video.slug, [ann])


async def test_hook_payment_event(
    nv_plugins: list[Any], nv_client: Any, nv_resources: Any, people: dict[str, Any]
) -> None:
    asked: list[tuple[str, str, int]] = []

    class FanClub:
        @hookimpl
        async def payment_event(self, resources: Any, event: Any, checkout: Any) -> Any:
            if not checkout.product.startswith("fan-club:"):
                return None
            asked.append((event.type, checkout.token, int(event.period_end)))
            return "applied", "counted"

    nv_plugins.append(FanClub())
    from nichevid.app import create_app
    from nichevid.testing import client_for

    async with client_for(create_app(nv_client.app.state.settings, plugins=nv_plugins)) as client:
        resources = client.app.state.resources
        row, _ = await checkouts.start(
            resources,
            user_id=people["ann"].id,
            provider_name="test",
            amount=300,
            currency="EUR",
            product="fan-club:1",
            interval="month",
        )
        end = int(time.time()) + MONTH
        body = json.dumps(
            {
                "id": "evt_fc",
                "type": "subscription.renewed",
                "checkout": row.token,
                "amount": 300,
                "currency": "EUR",
                "period_start": end - MONTH,
                "period_end": end,
            }
        )
        assert await deliver(resources, body.encode()) == ["applied"]
        assert asked == [("subscription.renewed", row.token, end)]
        stored = await PaymentEvent.objects().where(PaymentEvent.event_id == "evt_fc").first()
        assert stored is not None
        assert (stored.note, stored.period_end) == ("counted", end)
        # A one-off payment event about a subscription checkout tops nothing up.
        paid = body.replace("subscription.renewed", "payment.succeeded").replace("evt_fc", "evt_p")
        assert await deliver(resources, paid.encode()) == ["ignored"]
        # Nobody answers for another product: the event is ignored, with a note.
        other, _ = await checkouts.start(
            resources,
            user_id=people["ann"].id,
            provider_name="test",
            amount=300,
            currency="EUR",
            product="other",
            interval="month",
        )
        lone = body.replace(row.token, other.token).replace("evt_fc", "evt_o")
        assert await deliver(resources, lone.encode()) == ["ignored"]
        note = (
            await PaymentEvent.select(PaymentEvent.note)
            .where(PaymentEvent.event_id == "evt_o")
            .first()
        )
        assert note == {"note": "no plugin acts on this subscription"}
        assert len(asked) == 1
        assert await events.reconcile(resources, older_than=0) == 0


async def test_profile_offers_subscribing_and_settings_link(
    nv_client: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    profile = await nv_client.get("/u/cara", headers={"accept": "text/html"})
    assert 'href="/subscriptions/c/cara"' in profile.text
    assert 'href="/subscriptions/c/ann"' not in (await nv_client.get("/u/ann")).text
    offer = await nv_client.get("/subscriptions/c/cara", headers={"accept": "text/html"})
    assert "Log in to subscribe" in offer.text
    await login(nv_client, "cara")
    own = await nv_client.get("/u/cara", headers={"accept": "text/html"})
    assert 'href="/subscriptions/tiers"' in own.text
    settings = await nv_client.get("/settings/profile", headers={"accept": "text/html"})
    assert 'href="/subscriptions/mine"' in settings.text
    # Every page links the plugin's stylesheet, which is served.
    assert 'href="/static/plugins/subscriptions/subscriptions.css"' in settings.text
    css = await nv_client.get("/static/plugins/subscriptions/subscriptions.css")
    assert css.status_code == 200
    assert ".nv-sub-badge" in css.text
    missing = await nv_client.get("/subscriptions/c/nobody", headers={"accept": "text/html"})
    assert missing.status_code == 404


async def test_the_profile_lists_subscribers_only_videos_and_who_may_watch_them(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], two_tiers: dict[str, Any]
) -> None:
    from nichevid_subscriptions import access

    cara = people["cara"]
    fans = await ready_video(cara, caption="for every fan", visibility="subscribers")
    patrons = await ready_video(cara, caption="for patrons", visibility="subscribers")
    await access.set_video_tier(patrons, two_tiers["patron"])
    await ready_video(cara, caption="open to all")
    html = {"accept": "text/html"}

    def section(page: str) -> str:
        start = page.index('class="nv-sub-videos"')
        return page[start : page.index("</section>", start)]

    # A visitor sees both listed, locked, and the way to subscribe; no cover is served.
    shown = section((await nv_client.get("/u/cara", headers=html)).text)
    assert shown.count("Subscribers only") == 2
    assert f'href="/v/{fans.slug}"' in shown
    assert 'href="/subscriptions/c/cara"' in shown
    assert "open to all" not in shown
    assert "<img" not in shown
    # A fan may watch the first; the patrons' one stays locked.
    await subscribed(nv_resources, people["ann"], two_tiers["fan"])
    await login(nv_client, "ann")
    shown = section((await nv_client.get("/u/cara", headers=html)).text)
    assert shown.count("Subscribers only") == 1
    assert shown.index("for every fan") < shown.index("</a>", shown.index("for every fan"))
    locked_at = shown.index("for patrons")
    assert "Subscribers only" in shown[locked_at:]
    # The creator sees all of hers open; a creator without such videos shows nothing.
    nv_client.cookies.clear()
    await login(nv_client, "cara")
    shown = section((await nv_client.get("/u/cara", headers=html)).text)
    assert "Subscribers only" not in shown
    assert "nv-sub-videos" not in (await nv_client.get("/u/bob", headers=html)).text
