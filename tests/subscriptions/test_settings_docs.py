"""The ``[plugin.subscriptions]`` settings: documented with their defaults, bad values refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from nichevid_subscriptions.settings import SubscriptionSettings


def test_every_subscriptions_setting_is_documented_with_its_default() -> None:
    text = (Path(__file__).parents[2] / "docs" / "operator.md").read_text(encoding="utf-8")
    found = re.findall(r"^- `plugin\.subscriptions\.(\w+)` \(default `([^`]*)`", text, re.M)
    documented = dict(found)
    defaults = msgspec.to_builtins(SubscriptionSettings())
    assert set(documented) == set(defaults)
    for name, value in defaults.items():
        assert documented[name] == str(value), name


@pytest.mark.parametrize(
    "bad",
    [{"grace_days": -1}, {"max_tiers": 0}, {"renewal_leeway_hours": 1000}, {"tiers": 3}],
)
def test_bad_settings_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises((msgspec.ValidationError, TypeError)):
        msgspec.convert(bad, SubscriptionSettings)
