"""The money side of ``nichevid demo``: gifts, subscriptions, ads and affiliate links.

For the local demo instance (``./dev.sh demo``: no settings file in use and the data
in the default ``./var``) the demo writes ``var/nichevid.toml``, which ``./dev.sh demo``
serves with (``NICHEVID_CONFIG``), enabling the gifts, subscriptions, ads and affiliates
plugins with a few coin packs and the test payment provider, and migrates their tables.
Any other instance keeps its settings: the demo says what to add. It then
seeds the default gifts, two tiers of ``demo_alice`` and a subscribers-only clip, so
a visitor can buy coins, send gifts and subscribe with test payments (no money
moves); once the videos play, a promoted video in the feed, a sponsored challenge on
#fractals and a product link on one video. A settings file the operator wrote is never
changed: the demo says what to add instead. Everything is idempotent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nichevid.settings import DEFAULT_CONFIG_FILE, DEFAULT_DATA_DIR, Settings, load_settings

PLUGINS = ("gifts", "subscriptions", "ads", "affiliates")
TIERS = (
    # name, price (major units), perks, badge, level
    ("Supporter", "2.99", "Early looks at new clips", "Supporter", "1"),
    ("Studio pass", "6.99", "Everything, plus the studio diaries", "Studio", "2"),
)
TIER_OWNER = "demo_alice"
DEMO_CONFIG = """\
# Written by `nichevid demo`: the demo instance with gifts, subscriptions, ads and
# affiliate links, paid with the built-in test provider (its pages say "no money
# moves"). Edit or delete this file freely; `nichevid demo` never changes a settings
# file that exists.
[plugins]
enabled = ["gifts", "subscriptions", "ads", "affiliates"]

[plugin.payments]
test_provider = true

[plugin.gifts]
coin_packs = [
  { name = "handful", coins = 100, price = 99, currency = "EUR" },
  { name = "pouch", coins = 550, price = 499, currency = "EUR" },
  { name = "chest", coins = 1200, price = 999, currency = "EUR" },
]
"""


def enable_plugins(settings: Settings, config: str | None, echo: Any) -> Settings:
    """Settings with the demo's plugins (:data:`PLUGINS`) enabled, when the demo may.

    Args:
        settings: The settings the command loaded.
        config: The settings file named with ``--config``, if any.
        echo: Prints a line.

    Returns:
        The settings to seed with: reloaded from the new file when one was written.
    """
    if set(PLUGINS) <= set(settings.plugins.enabled):
        return settings
    given = config or os.environ.get("NICHEVID_CONFIG", "")
    local = Path(settings.data_dir).resolve() == Path(DEFAULT_DATA_DIR).resolve()
    # Beside the demo's data, never in the folder it runs from (a checkout's tests read
    # a nichevid.toml there); ./dev.sh demo serves with it.
    path = Path(settings.data_dir) / DEFAULT_CONFIG_FILE
    if given or Path(DEFAULT_CONFIG_FILE).exists() or not local or path.exists():
        named = given or DEFAULT_CONFIG_FILE
        listed = ", ".join(f'"{name}"' for name in PLUGINS)
        echo(
            f"{', '.join(PLUGINS)}: not enabled in {named}; add "
            f"`enabled = [{listed}]` under [plugins] and run "
            "`nichevid demo` again to try them"
        )
        return settings
    path.write_text(DEMO_CONFIG, encoding="utf-8")
    echo(
        f"wrote {path}: {', '.join(PLUGINS)}, paid with test payments (no money moves); "
        f"serve with NICHEVID_CONFIG={path} (./dev.sh demo does)"
    )
    return load_settings(path)


def loaded(pm: Any, *names: str) -> bool:
    """Whether the plugins ``names`` are all loaded in ``pm``."""
    return all(pm.get_plugin(name) is not None for name in names)


async def seed_money(resources: Any, users: dict[str, Any], echo: Any) -> Any:
    """Seed the default gifts and the demo tiers; return the lowest tier.

    Raises:
        nichevid_subscriptions.errors.SubscriptionError: A demo tier is refused by the
            instance's payment settings (its message says why).
    """
    from nichevid.payments.settings import payment_settings
    from nichevid_gifts.catalogue import seed_defaults
    from nichevid_subscriptions import tiers

    added = await seed_defaults()
    echo(f"  gifts: {added} added" if added else "  gifts: catalogue already there")
    owner = users[TIER_OWNER]
    existing = await tiers.tiers_of(int(owner.id))
    currency = payment_settings(resources.settings).currencies[0]
    if not existing:
        for name, price, perks, badge, level in TIERS:
            data = tiers.TierInput(name, price, currency, perks, badge, level)
            await tiers.create_tier(resources.settings, owner, data)
        existing = await tiers.tiers_of(int(owner.id))
        echo(f"  tiers: @{TIER_OWNER} offers {', '.join(t.name for t in existing)}")
    else:
        echo(f"  tiers: @{TIER_OWNER} already offers {len(existing)}")
    return existing[0]


# The demo's promotions: an advertiser of the niche, its promoted clip and its challenge.
ADVERTISER = "Demo Outfitters"
PROMOTED_CAPTION = "Colour bars: the original vertical video #retro #broadcast"
CHALLENGE_TAG = "fractals"
LINKED_CAPTION = "Calibrating the studio before the first shoot #setup #behindthescenes"
DEMO_DAYS = 30


async def seed_promotions(resources: Any, echo: Any) -> None:
    """A promoted clip and a sponsored #fractals challenge (ads), a product link (affiliates).

    Runs once the demo videos play: a campaign promotes only a ready video.
    """
    from datetime import timedelta

    from nichevid.media.tables import Video

    videos = {
        row.caption: row
        for row in await Video.objects().where(
            Video.caption.is_in([PROMOTED_CAPTION, LINKED_CAPTION])
        )
    }
    videos = {caption: row for caption, row in videos.items() if row.status == "ready"}
    if loaded(resources.pm, "ads") and PROMOTED_CAPTION in videos:
        from nichevid.payments.settings import payment_settings
        from nichevid_ads import campaigns, challenges

        first = campaigns.today()
        days = {"starts_on": first.isoformat()}
        days["ends_on"] = (first + timedelta(days=DEMO_DAYS)).isoformat()
        if not await campaigns.listed():
            currency = payment_settings(resources.settings).currencies[0]
            form = {
                "name": "Demo kit", "advertiser": ADVERTISER, "kind": "in_feed",
                "video": videos[PROMOTED_CAPTION].slug, "cta_label": "See the kit",
                "cta_url": "https://example.org/kit", "currency": currency, "budget": "100",
                "cpm": "5", "per_viewer": "5", "languages": [], **days,
            }  # fmt: skip
            await campaigns.save(form)
            echo(f"  ads: a promoted clip by {ADVERTISER} every few videos of the feed")
        if await challenges.of_tag(CHALLENGE_TAG) is None:
            challenge = {
                "tag": CHALLENGE_TAG, "sponsor": ADVERTISER, "title": "Draw your own fractal",
                "description": "Post a clip of a fractal you made, tagged #fractals.",
                "prize": "A year of studio kit", **days,
            }  # fmt: skip
            await challenges.save(challenge)
            echo(f"  ads: a sponsored challenge on #{CHALLENGE_TAG}")
    if loaded(resources.pm, "affiliates") and LINKED_CAPTION in videos:
        from nichevid_affiliates import links
        from nichevid_affiliates.checks import check_links
        from nichevid_affiliates.settings import affiliate_settings

        video = videos[LINKED_CAPTION]
        if not await links.stored_for(int(video.id)):
            config = affiliate_settings(resources.settings)
            wanted = [("The studio light", "https://example.org/studio-light")]
            await links.replace(video, check_links(config, wanted))
            echo("  affiliates: a product link on the studio clip")
