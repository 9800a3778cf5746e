"""The money side of ``nichevid demo``: gifts and subscriptions, paid with the test provider.

For the local demo instance (``./dev.sh demo``: no settings file in use and the data
in the default ``./var``) the demo writes ``var/nichevid.toml``, which ``./dev.sh demo``
serves with (``NICHEVID_CONFIG``), enabling the gifts and subscriptions plugins with a
few coin packs, and migrates their tables. Any other instance keeps its
settings: the demo says what to add. It then
seeds the default gifts, two tiers of ``demo_alice`` and a subscribers-only clip, so
a visitor can buy coins, send gifts and subscribe with test payments (no money
moves). A settings file the operator wrote is never changed: the demo says what to
add instead. Everything is idempotent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nichevid.settings import DEFAULT_CONFIG_FILE, DEFAULT_DATA_DIR, Settings, load_settings

PLUGINS = ("gifts", "subscriptions")
TIERS = (
    # name, price (major units), perks, badge, level
    ("Supporter", "2.99", "Early looks at new clips", "Supporter", "1"),
    ("Studio pass", "6.99", "Everything, plus the studio diaries", "Studio", "2"),
)
TIER_OWNER = "demo_alice"
DEMO_CONFIG = """\
# Written by `nichevid demo`: the demo instance with gifts and subscriptions, paid
# with the built-in test provider (its pages say "no money moves"). Edit or delete
# this file freely; `nichevid demo` never changes a settings file that exists.
[plugins]
enabled = ["gifts", "subscriptions"]

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
    """Settings with the gifts and subscriptions plugins enabled, when the demo may.

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
        echo(
            f"gifts and subscriptions: not enabled in {named}; add "
            '`enabled = ["gifts", "subscriptions"]` under [plugins] and run '
            "`nichevid demo` again to try them"
        )
        return settings
    path.write_text(DEMO_CONFIG, encoding="utf-8")
    echo(
        f"wrote {path}: gifts and subscriptions, paid with test payments (no money moves); "
        f"serve with NICHEVID_CONFIG={path} (./dev.sh demo does)"
    )
    return load_settings(path)


def loaded(pm: Any) -> bool:
    """Whether both plugins are loaded in ``pm``."""
    return all(pm.get_plugin(name) is not None for name in PLUGINS)


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
