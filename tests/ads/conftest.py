"""Fixtures for the ads plugin's tests: the plugin loaded, people, a video to promote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from nichevid.testing.factories import ready_video
from nichevid_ads import campaigns
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes, login  # noqa: F401
from tests.conftest import mark_plugin_tests
from tests.moderation.conftest import browser, form  # noqa: F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs with the ads plugin loaded."""
    mark_plugin_tests(items, "ads", "ads")


@pytest.fixture
async def people(make_user: Any) -> dict[str, Any]:
    """A brand's account, a creator, a member and an admin."""
    return {
        "brand": await make_user("ropeco", role="creator"),
        "cara": await make_user("cara", role="creator"),
        "ann": await make_user("ann"),
        "root": await make_user("root", role="admin"),
    }


@pytest.fixture
async def promoted(people: dict[str, Any]) -> Any:
    """A ready public video of the brand."""
    return await ready_video(people["brand"], caption="new rope #climbing")


def campaign_form(video: Any, /, **changes: Any) -> dict[str, Any]:
    """A valid in-feed campaign form for ``video``, running today, with ``changes``."""
    day = campaigns.today()
    return {
        "name": "Spring ropes",
        "advertiser": "Rope & Co",
        "kind": "in_feed",
        "video": video.slug,
        "cta_label": "Shop ropes",
        "cta_url": "https://ropes.example/spring?utm=nv",
        "starts_on": day.isoformat(),
        "ends_on": (day + timedelta(days=9)).isoformat(),
        "currency": "EUR",
        "budget": "100",
        "cpm": "5",
        "per_viewer": "3",
        **changes,
    }


@pytest.fixture
async def booked(promoted: Any) -> int:
    """A running in-feed campaign: 100 EUR at 5 EUR per thousand views, over ten days."""
    return await campaigns.save(campaign_form(promoted))
