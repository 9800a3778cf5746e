"""A/B tests: a stable split, the B settings applied, per-arm figures for admins."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from nichevid.feed.tables import WatchEvent
from nichevid.recommend import ab
from nichevid.recommend.settings import RecommendSettings
from nichevid.social.tables import Like
from tests.recommend.conftest import SAME_ORIGIN, sign_in


def test_the_split_is_stable_and_close_to_the_share() -> None:
    viewers = [f"u{n}" for n in range(4000)] + [f"s{n:032x}" for n in range(4000)]
    arms = [ab.arm(v, 0.25) for v in viewers]
    assert arms == [ab.arm(v, 0.25) for v in viewers]
    assert 0.22 < arms.count("B") / len(arms) < 0.28
    assert {ab.arm(v, 0.0) for v in viewers} == {"A"}
    # A larger share only moves viewers from A to B, never back.
    assert all(ab.arm(v, 0.5) == "B" for v, a in zip(viewers, arms, strict=True) if a == "B")


def test_arm_b_ranks_with_its_settings() -> None:
    config = RecommendSettings(ab_share=1.0, ab_params={"exploration": 0.6, "per_creator": 2})
    which, used = ab.arm_settings(config, "u1")
    assert which == "B"
    assert used.exploration == 0.6
    assert used.per_creator == 2
    assert used.ab_params == {}
    assert ab.arm_settings(RecommendSettings(), "u1") == ("A", RecommendSettings())


@pytest.mark.parametrize(
    ("params", "message"),
    [({"warp_speed": 9}, "do not exist: warp_speed"), ({"exploration": 2}, "<= 1.0")],
)
def test_bad_b_settings_stop_start_up(params: dict[str, Any], message: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=message):
        msgspec.convert({"ab_share": 0.5, "ab_params": params}, RecommendSettings)


async def test_admins_see_the_figures_of_each_arm(
    nv_client: Any, tagged: Any, make_member: Any
) -> None:
    video = (await tagged({"climb": 1}))["climb"][0]
    members = [await make_member(f"viewer_{n}") for n in range(40)]
    share = 0.5
    rows = []
    expected = {"A": [0, 0, 0, 0], "B": [0, 0, 0, 0]}  # viewers, views, completions, likes
    for n, member in enumerate(members):
        which = ab.arm(f"u{member.id}", share)
        views = 1 + n % 3
        completed = n % 2 == 0
        for _ in range(views):
            rows.append(
                WatchEvent(viewer=member.id, video=video.id, watched_ms=2000, completed=completed)
            )
        if n % 4 == 0:
            await Like(viewer=member.id, video=video.id).save()
            expected[which][3] += 1
        expected[which][0] += 1
        expected[which][1] += views
        expected[which][2] += views if completed else 0
    # Old events and other feeds are not counted.
    rows.append(
        WatchEvent(
            viewer=members[0].id,
            video=video.id,
            watched_ms=9,
            created_at=datetime.now(UTC) - timedelta(days=90),
        )
    )
    rows.append(WatchEvent(viewer=members[0].id, video=video.id, watched_ms=9, feed="profile"))
    await WatchEvent.insert(*rows)
    found = {r.arm: r for r in await ab.report(share, datetime.now(UTC) - timedelta(days=30))}
    for name in ("A", "B"):
        viewers, views, completions, likes = expected[name]
        assert found[name].viewers == viewers
        assert found[name].views == views
        assert found[name].completions == completions
        assert found[name].likes == likes
        assert found[name].watched_ms == 2000 * views
    # Only admins see the page.
    await make_member("boss", role="admin")
    await sign_in(nv_client, "viewer_0")
    assert (await nv_client.get("/admin/recommender/")).status_code == 403
    await sign_in(nv_client, "boss")
    page = await nv_client.get("/admin/recommender/")
    assert page.status_code == 200
    assert "No model yet" in page.text
    assert 'data-arm="B"' in page.text
    headers = {**SAME_ORIGIN, "x-csrftoken": nv_client.cookies.get("nv_csrf", "")}
    queued = await nv_client.post("/admin/recommender/train", headers=headers)
    assert queued.status_code == 303


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"loop_share": 1.5}, "plugin.recommend.loop_share"),
        ({"algorithm": "deep"}, "plugin.recommend.algorithm"),
        ({"candidates": 0}, "plugin.recommend.candidates"),
        ({"batches_ahead": -1}, "plugin.recommend.batches_ahead"),
        ({"batches_ahead": "three"}, "plugin.recommend.batches_ahead"),
        ({"ab_share": 0.5, "ab_params": {"warp": 1}}, "do not exist: warp"),
        ({"loop_shares": 0.3}, "unknown key `plugin.recommend.loop_shares`"),
    ],
)
def test_a_bad_recommend_setting_stops_start_up_with_one_line(
    nv_settings_factory: Any, section: dict[str, Any], message: str
) -> None:
    from nichevid.app import validate_plugin_settings
    from nichevid.plugins import make_plugin_manager
    from nichevid.settings import ConfigError

    settings = nv_settings_factory(plugin={"recommend": section})
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        validate_plugin_settings(settings, make_plugin_manager(settings))
    assert "\n" not in str(error.value)
