"""``nichevid demo``: creators and playable videos, and running it twice adds nothing."""

from __future__ import annotations

import asyncio
import faulthandler
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from nichevid.cli import main
from nichevid.demo import CLIPS, PLAYLIST, SUBSCRIBERS_CLIP, USERS
from nichevid.testing import clear_instance

T = TypeVar("T")

# The demo waits at most --timeout seconds for its jobs; a command that outlives this
# is stuck, and the test fails with every thread's stack instead of holding up the run.
LIMIT = 240.0


def bounded(call: Callable[[], T], what: str) -> T:
    """Run ``call`` in a thread of its own, like a separate command, for at most LIMIT s.

    The thread is a daemon: one that is stuck does not keep pytest from exiting.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the test below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"demo-test {what}", daemon=True)
    thread.start()
    thread.join(LIMIT)
    if thread.is_alive():
        with tempfile.TemporaryFile("w+") as dump:
            faulthandler.dump_traceback(dump, all_threads=True)
            dump.seek(0)
            pytest.fail(f"{what} still running after {LIMIT:.0f} s; threads:\n{dump.read()}")
    if failure:
        raise failure[0]
    return outcome[0]


def in_thread(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on its own loop in another thread."""
    return bounded(lambda: asyncio.run(make()), "a coroutine")


def invoke(args: list[str], env: dict[str, str]) -> Result:
    return bounded(
        lambda: CliRunner().invoke(main, args, env=env, obj={}), "nichevid " + " ".join(args)
    )


async def _snapshot(settings: Any) -> dict[str, Any]:
    from nichevid.accounts.tables import User
    from nichevid.media.tables import Rendition, Video
    from nichevid.playlists.tables import PlaylistItem
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        users = await User.select(User.username, User.role).order_by(User.username)
        videos = await Video.select(
            Video.status,
            Video.hashtags,
            Video.visibility,
            Video.caption,
            Video.owner.username.as_alias("by"),
        )
        return {
            "users": [(u["username"], u["role"]) for u in users],
            "videos": videos,
            "renditions": await Rendition.count(),
            "playlists": [
                (row["playlist.title"], row["video.caption"])
                for row in await PlaylistItem.select(
                    PlaylistItem.playlist.title, PlaylistItem.video.caption
                ).order_by(PlaylistItem.position)
            ],
            "files": sorted([o.key async for o in resources.storage.list("videos/")]),
        }
    finally:
        await close_resources(resources)


@pytest.fixture
def demo_settings(nv_settings_factory: Callable[..., Any], _nv_migrated: bool) -> Iterator[Any]:
    settings = nv_settings_factory()
    yield settings
    in_thread(lambda: clear_instance(settings))


def _env(settings: Any) -> dict[str, str]:
    return {
        "NICHEVID_DATA_DIR": str(settings.data_dir),
        "NICHEVID_DATABASE_URL": settings.database.url,
        "NICHEVID_REDIS_URL": settings.redis.url,
        "NICHEVID_SECRET_KEY": "test-secret-key-not-for-production",
        "NICHEVID_CONFIG": "",
    }


def test_demo_seeds_playable_videos_and_is_idempotent(
    demo_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A settings file of the operator's own: the demo leaves it alone and seeds no money.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nichevid.toml").write_text("[server]\nport = 8000\n", encoding="utf-8")
    env = {
        "NICHEVID_DATA_DIR": str(demo_settings.data_dir),
        "NICHEVID_DATABASE_URL": demo_settings.database.url,
        "NICHEVID_REDIS_URL": demo_settings.redis.url,
        "NICHEVID_SECRET_KEY": "test-secret-key-not-for-production",
        "NICHEVID_CONFIG": "",
    }
    args = ["demo", "--seconds", "1", "--timeout", "120", "--run-jobs"]

    first = invoke(args, env)
    assert first.exit_code == 0, first.output
    assert "gifts, subscriptions, ads, affiliates: not enabled in nichevid.toml" in first.output
    assert (tmp_path / "nichevid.toml").read_text(encoding="utf-8") == "[server]\nport = 8000\n"
    assert first.output.count("password:") == len(USERS)
    assert f"demo ready: {len(CLIPS)} videos" in first.output
    seeded = in_thread(lambda: _snapshot(demo_settings))
    assert seeded["users"] == [(u.username, "creator") for u in USERS]
    assert len(seeded["videos"]) == len(CLIPS)
    assert {v["status"] for v in seeded["videos"]} == {"ready"}
    assert {v["by"] for v in seeded["videos"]} == {u.username for u in USERS}
    assert all(v["hashtags"] for v in seeded["videos"])
    assert seeded["renditions"] >= len(CLIPS)
    title, _, captions = PLAYLIST
    assert seeded["playlists"] == [(title, caption) for caption in captions]
    slugs = {key.split("/")[1] for key in seeded["files"]}
    assert len(slugs) == len(CLIPS)
    for slug in slugs:
        assert {f"videos/{slug}/original.mp4", f"videos/{slug}/poster.webp"} <= set(seeded["files"])

    second = invoke(args, env)
    assert second.exit_code == 0, second.output
    assert "password:" not in second.output
    assert "already exists" in second.output
    again = in_thread(lambda: _snapshot(demo_settings))
    assert again["users"] == seeded["users"]
    assert len(again["videos"]) == len(CLIPS)
    assert again["files"] == seeded["files"]
    assert again["playlists"] == seeded["playlists"]


def test_demo_enables_money_plugins_with_test_payments(
    demo_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # Under pytest entry-point plugins load only when named; the demo's file enables them.
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "gifts,subscriptions,ads,affiliates")
    args = ["demo", "--seconds", "1", "--timeout", "120", "--run-jobs"]
    # An instance elsewhere than the local ./var keeps its settings: nothing is written.
    elsewhere = invoke([*args, "--timeout", "1"], _env(demo_settings))
    assert "gifts, subscriptions, ads, affiliates: not enabled" in elsewhere.output
    assert not (tmp_path / "nichevid.toml").exists()
    in_thread(lambda: clear_instance(demo_settings))
    # The local demo instance, as ./dev.sh demo runs it.
    local = {**_env(demo_settings), "NICHEVID_DATA_DIR": "./var"}
    (tmp_path / "var").mkdir()
    first = invoke(args, local)
    assert first.exit_code == 0, first.output
    assert not (tmp_path / "nichevid.toml").exists()
    written = (tmp_path / "var" / "nichevid.toml").read_text(encoding="utf-8")
    assert 'enabled = ["gifts", "subscriptions", "ads", "affiliates"]' in written
    assert "test_provider = true" in written
    assert "wrote var/nichevid.toml" in first.output
    assert "NICHEVID_CONFIG=var/nichevid.toml" in first.output
    assert "tiers: @demo_alice offers Supporter, Studio pass" in first.output
    assert "ads: a promoted clip by Demo Outfitters" in first.output
    assert "ads: a sponsored challenge on #fractals" in first.output
    assert "affiliates: a product link on the studio clip" in first.output
    assert f"demo ready: {len(CLIPS) + 1} videos" in first.output
    seeded = in_thread(lambda: _money(demo_settings))
    assert seeded["tiers"] == [("Supporter", 299, "EUR", 1), ("Studio pass", 699, "EUR", 2)]
    assert seeded["gifts"] >= 6
    assert seeded["subscribers_only"] == [(SUBSCRIBERS_CLIP.caption, "ready")]
    assert seeded["campaigns"] == [
        {"name": "Demo kit", "advertiser": "Demo Outfitters", "kind": "in_feed"}
    ]
    assert seeded["challenges"] == [{"tag": "fractals", "sponsor": "Demo Outfitters"}]
    assert seeded["links"] == [
        {"label": "The studio light", "url": "https://example.org/studio-light"}
    ]
    # The next start reads the file: the coin packs and the test provider are on.
    from nichevid.settings import load_settings

    settings = load_settings(tmp_path / "var" / "nichevid.toml", environ=local)
    assert settings.plugins.enabled == ["gifts", "subscriptions", "ads", "affiliates"]
    from nichevid_gifts.settings import gift_settings

    assert [p.name for p in gift_settings(settings).coin_packs] == ["handful", "pouch", "chest"]
    # As ./dev.sh demo runs it again: with the file it wrote.
    second = invoke(args, {**local, "NICHEVID_CONFIG": "var/nichevid.toml"})
    assert second.exit_code == 0, second.output
    assert "wrote" not in second.output
    assert "already offers 2" in second.output
    assert "ads: a promoted clip" not in second.output
    assert in_thread(lambda: _money(demo_settings)) == seeded
    in_thread(lambda: clear_instance(demo_settings))


async def _money(settings: Any) -> dict[str, Any]:
    from nichevid.media.tables import Video
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources
    from nichevid_ads.tables import Campaign, Challenge
    from nichevid_affiliates.tables import Link
    from nichevid_gifts.tables import GiftItem
    from nichevid_subscriptions.tables import Tier

    resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        tiers = await Tier.select(Tier.name, Tier.price, Tier.currency, Tier.level).order_by(
            Tier.level
        )
        videos = await Video.select(Video.caption, Video.status).where(
            Video.visibility == "subscribers"
        )
        return {
            "tiers": [(t["name"], t["price"], t["currency"], t["level"]) for t in tiers],
            "gifts": await GiftItem.count(),
            "subscribers_only": [(v["caption"], v["status"]) for v in videos],
            "campaigns": await Campaign.select(Campaign.name, Campaign.advertiser, Campaign.kind),
            "challenges": await Challenge.select(Challenge.tag, Challenge.sponsor),
            "links": await Link.select(Link.label, Link.url),
        }
    finally:
        await close_resources(resources)
