"""Training from the platform's own signals: the job, the command, status, hot swap, bad files."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nichevid.cli import main
from nichevid.feed.tables import WatchEvent
from nichevid.recommend import model as models
from nichevid.recommend.feed import holder
from nichevid.recommend.signals import window_triples
from nichevid.recommend.training import model_dir, read_status, train_now
from nichevid.social.tables import Like
from tests.recommend.conftest import sign_in, slugs

SVD = {"algorithm": "svd", "params": {"n_factors": 4, "n_epochs": 40, "random_state": 1}}


@pytest.fixture
def nv_settings(nv_settings_factory: Any) -> Any:
    recommend = {**SVD, "min_ratings": 10, "per_hashtag": 5, "loop_share": 1.0, "exploration": 0.0}
    return nv_settings_factory(plugin={"recommend": recommend})


async def two_tastes(tagged: Any, make_member: Any, members: int = 24) -> dict[str, Any]:
    """Members climb_0.. love climbing and skip knitting; knit_1.. the other way round."""
    groups = await tagged({"climb": 15, "knit": 15})
    rng = random.Random(7)
    rows = []
    people = {}
    for n in range(members):
        side = "climb" if n % 2 == 0 else "knit"
        member = await make_member(f"{side}_{n}")
        people[member.username] = member
        for tag, videos in groups.items():
            for video in rng.sample(videos, 8):
                loved = tag == side
                rows.append(
                    WatchEvent(
                        viewer=member.id,
                        video=video.id,
                        watched_ms=video.duration_ms if loved else 400,
                        completed=loved,
                        skipped=not loved,
                        created_at=datetime.now(UTC),
                    )
                )
    await WatchEvent.insert(*rows)
    return {"groups": groups, "people": people}


async def test_signals_become_one_rating_per_member_and_video(
    nv_client: Any, tagged: Any, make_member: Any
) -> None:
    data = await two_tastes(tagged, make_member, members=2)
    climber = data["people"]["climb_0"]
    knit = data["groups"]["knit"]
    # A like outranks the skip on the same video.
    await Like(viewer=climber.id, video=knit[0].id).save()
    triples = await window_triples(datetime(2000, 1, 1, tzinfo=UTC))
    ratings = {video: value for user, video, value in triples if user == climber.id}
    watched = {
        row["video"]
        for row in await WatchEvent.select(WatchEvent.video).where(WatchEvent.viewer == climber.id)
    }
    assert set(ratings) == watched | {knit[0].id}
    assert ratings[knit[0].id] == 5
    assert {ratings[v.id] for v in data["groups"]["climb"] if v.id in ratings} == {4.0}


async def test_a_window_without_ratings_is_skipped_and_the_feed_still_serves(
    nv_client: Any, nv_settings: Any, tagged: Any
) -> None:
    await tagged({"climb": 6})
    status = await train_now(nv_settings)
    assert status.outcome == "skipped"
    assert "popular and fresh" in status.message
    assert read_status(nv_settings) == status
    assert models.current_file(model_dir(nv_settings)) is None
    assert len(slugs((await nv_client.get("/")).text)) == 5


async def test_a_trained_model_is_served_without_a_restart(
    nv_client: Any, nv_resources: Any, nv_settings: Any, tagged: Any, make_member: Any
) -> None:
    data = await two_tastes(tagged, make_member)
    newcomer = await make_member("newcomer")
    # Rated like the climbers, but only in the next window: the model must learn the rest.
    rows = [
        WatchEvent(
            viewer=newcomer.id,
            video=v.id,
            watched_ms=v.duration_ms,
            completed=True,
            created_at=datetime.now(UTC),
        )
        for v in data["groups"]["climb"][:3]
    ] + [
        WatchEvent(viewer=newcomer.id, video=v.id, watched_ms=300, skipped=True)
        for v in data["groups"]["knit"][:3]
    ]
    await WatchEvent.insert(*rows)
    status = await train_now(nv_settings)
    assert status.outcome == "trained", status.message
    assert holder(nv_resources).refresh() is True
    assert holder(nv_resources).model is not None
    await sign_in(nv_client, "newcomer")
    html = (await nv_client.get("/")).text
    climb = {v.slug for v in data["groups"]["climb"]}
    assert sum(1 for s in slugs(html) if s in climb) >= 4, html[:200]


async def test_the_training_job_runs_in_the_background(
    nv_client: Any,
    nv_resources: Any,
    nv_settings: Any,
    nv_run_jobs: Any,
    tagged: Any,
    make_member: Any,
) -> None:
    await two_tastes(tagged, make_member, members=4)
    await nv_resources.jobs.enqueue("recommend.train", job_id="train-now")
    await nv_run_jobs()
    status = read_status(nv_settings)
    assert status is not None
    assert status.outcome == "trained", status.message
    current = models.current_file(model_dir(nv_settings))
    assert current is not None
    assert models.load(current).meta["algorithm"] == "svd"


def test_train_and_status_commands(cli: CliRunner, tmp_path: Path) -> None:
    runner, data_dir = cli, tmp_path / "instance"
    result = runner.invoke(main, ["recommend", "train"], obj={})
    assert result.exit_code == 0, result.output
    assert "skipped: Only 0 ratings" in result.output
    result = runner.invoke(main, ["recommend", "status"], obj={})
    assert "model: none" in result.output
    assert "last run: skipped" in result.output
    result = runner.invoke(main, ["recommend", "train", "--algorithm", "magic"], obj={})
    assert result.exit_code != 0
    assert "'magic' is not one of" in result.output
    result = runner.invoke(main, ["recommend", "train", "--window-days", "-3"], obj={})
    assert result.exit_code == 2
    assert "-3 is not in the range x>=1" in result.output
    # A truncated model file is reported and never loaded.
    models_dir = data_dir / "models"
    (models_dir / "model-x.npz").write_bytes(b"PK\x03\x04 truncated")
    (models_dir / models.POINTER).write_text('{"file": "model-x.npz", "version": "x"}')
    result = runner.invoke(main, ["recommend", "status"], obj={})
    assert "model error:" in result.output
    assert "nichevid recommend train" in result.output


def test_every_recommend_setting_is_documented_with_its_default() -> None:
    import msgspec

    from nichevid.recommend.settings import RecommendSettings

    text = (Path(__file__).parents[2] / "docs" / "operator.md").read_text(encoding="utf-8")
    found = re.findall(r"^- `plugin\.recommend\.(\w+)` \(default `?([^`)]*)`?", text, re.M)
    documented = {name: shown.split(",")[0] for name, shown in found}
    defaults = msgspec.to_builtins(RecommendSettings())
    assert set(documented) == set(defaults)
    for name, value in defaults.items():
        shown = documented[name]
        if isinstance(value, bool):
            assert shown == str(value).lower(), name
        elif isinstance(value, (int, float)):
            assert shown == str(value), name
        elif isinstance(value, dict):
            assert shown == "{}", name
        else:
            assert shown.startswith(str(value) or "empty"), name


async def test_a_model_reaches_web_processes_on_other_machines_through_storage(
    nv_client: Any,
    nv_resources: Any,
    nv_settings: Any,
    tagged: Any,
    make_member: Any,
    tmp_path: Path,
) -> None:
    from nichevid.recommend.sync import PREFIX, fetch

    await two_tastes(tagged, make_member, members=4)
    storage = nv_resources.storage
    status = await train_now(nv_settings, storage=storage)
    assert status.outcome == "trained"
    published = [o.key async for o in storage.list(PREFIX)]
    assert f"{PREFIX}current.json" in published
    # Another machine: an empty model directory of its own.
    elsewhere = tmp_path / "other-machine-models"
    assert await fetch(storage, elsewhere) is True
    assert await fetch(storage, elsewhere) is False  # nothing new
    remote = models.ModelHolder(elsewhere)
    assert remote.refresh() is True
    assert remote.model is not None
    assert remote.model.version == status.version
    # The training machine itself copies nothing: its file is the current one.
    assert await fetch(storage, model_dir(nv_settings)) is False
    # A pointer in storage that names no model file is an error, not a crash.
    await storage.put_bytes(f"{PREFIX}current.json", b'{"file": "../../secret"}')
    with pytest.raises(models.ModelFileError, match="names no model file"):
        await fetch(storage, elsewhere)
    # Old files are pruned in storage as on disk.
    for _ in range(4):
        await train_now(nv_settings, storage=storage)
    kept = [o.key async for o in storage.list(PREFIX) if o.key.endswith(".npz")]
    assert len(kept) == 3
