"""Co-visitation: lists of videos loved together, their scores, the catalogue blend, serving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nichevid.feed.tables import WatchEvent
from nichevid.recommend import covisit, rank, serve, train
from nichevid.recommend import model as models
from nichevid.recommend.catalogue import build
from nichevid.recommend.model import ExportedModel
from nichevid.recommend.session import Choices
from nichevid.recommend.signals import window_samples
from nichevid.recommend.training import train_now
from tests.recommend.test_training import two_tastes


def _two_camps() -> tuple[ExportedModel, list[tuple[int, int, float]]]:
    """Viewers 0..9 love videos 1, 2, 3 and skip 7; viewers 10..19 love 4, 5 and skip 1."""
    triples: list[tuple[int, int, float]] = []
    for user in range(10):
        triples += [(user, 1, 5.0), (user, 2, 4.0), (user, 3, 4.0), (user, 7, 1.0)]
    for user in range(10, 20):
        triples += [(user, 4, 5.0), (user, 5, 4.0), (user, 1, 1.0)]
    # One viewer loved 2 and 6 together: 6 is a weak partner of 2.
    triples += [(20, 2, 5.0), (20, 6, 4.0)]
    return train.fit(triples, "baseline"), triples


def test_extras_list_the_partners_loved_together_strongest_first() -> None:
    model, triples = _two_camps()
    extras = covisit.extras(model, triples)
    table, weights = extras[covisit.ROWS], extras[covisit.WEIGHTS]
    assert table.shape == weights.shape == (len(model.item_ids), 3)
    row = dict(zip(model.item_ids.tolist(), range(len(model.item_ids)), strict=True))
    partners_of_two = [int(model.item_ids[r]) for r in table[row[2]] if r >= 0]
    # 1 and 3 were loved with 2 by ten viewers, 6 by one: strongest first.
    assert sorted(partners_of_two[:2]) == [1, 3]
    assert partners_of_two[2] == 6
    assert weights[row[2]][0] > weights[row[2]][2] > 0
    # Skips make no pairs: 7 was never loved, so it has no partners and is nobody's.
    assert (table[row[7]] == -1).all()
    assert (weights[row[7]] == 0).all()
    assert row[7] not in table
    # The camps stay apart.
    assert {int(model.item_ids[r]) for r in table[row[4]] if r >= 0} == {5}


def test_extras_keep_at_most_neighbours_and_skip_unknown_videos() -> None:
    model, triples = _two_camps()
    extras = covisit.extras(model, [*triples, (0, 999, 5.0)], neighbours=1)
    assert extras[covisit.ROWS].shape == (len(model.item_ids), 1)
    assert covisit.extras(model, [(0, 1, 5.0), (1, 2, 5.0), (2, 7, 1.0)]) == {}
    assert covisit.extras(model, triples, neighbours=0) == {}


def test_only_the_latest_positives_of_a_viewer_count(monkeypatch: pytest.MonkeyPatch) -> None:
    model, _ = _two_camps()
    monkeypatch.setattr(covisit, "RECENT_POSITIVES", 2)
    # In time order: 4, then 5 and 1. Only (5, 1) is a pair once the oldest is dropped.
    extras = covisit.extras(model, [(0, 4, 5.0), (0, 5, 5.0), (0, 1, 5.0)])
    row = model.item_rows([4, 5, 1]).tolist()
    assert (extras[covisit.ROWS][row[0]] == -1).all()
    assert extras[covisit.ROWS][row[1]][0] == row[2]


def test_scores_sum_the_lists_of_what_the_viewer_loved() -> None:
    model, triples = _two_camps()
    assert not covisit.scores(model, model.item_rows([2])).any()  # no extras: old files
    model.extras.update(covisit.extras(model, triples))
    summed = covisit.scores(model, model.item_rows([2, 999]))
    assert summed.max() == 1.0
    assert summed.min() == 0.0
    rows = model.item_rows([1, 3, 6, 4, 5])
    assert summed[rows[0]] == summed[rows[1]] == 1.0
    assert 0 < summed[rows[2]] < 1.0
    assert summed[rows[3]] == summed[rows[4]] == 0.0
    assert not covisit.scores(model, np.empty(0, dtype=np.intp)).any()
    assert covisit.similar(model, [2], 2) in ([1, 3], [3, 1])
    assert covisit.similar(model, [7], 5) == []
    # Lists that do not fit the model (a damaged file) score nothing instead of failing.
    model.extras[covisit.ROWS] = model.extras[covisit.ROWS][:, :1]
    assert not covisit.scores(model, model.item_rows([2])).any()
    model.extras[covisit.WEIGHTS] = model.extras[covisit.WEIGHTS][:, :1]
    model.extras[covisit.ROWS][:] = len(model.item_ids) + 5
    assert not covisit.scores(model, model.item_rows([2])).any()


def test_the_catalogue_blend_lifts_videos_loved_with_the_viewers(tmp_path: Path) -> None:
    model, triples = _two_camps()
    model.extras.update(train.item_extras(model, ((v, 0.0) for _, v, _ in triples), now=0.0))
    model.extras.update(covisit.extras(model, triples))
    # Survives the model file, and what the blend reads is the stored arrays.
    models.save(model, tmp_path)
    current = models.current_file(tmp_path)
    assert current is not None
    loaded = models.load(current)
    rows = loaded.item_rows([3, 4])
    none = np.full(2, -1, dtype=np.int64)

    def blend(loved: np.ndarray | None) -> np.ndarray:
        return rank.blend_scores(
            loaded, rank.viewer(loaded, 20), rows, none, none, rank.tastes([]),
            rank.CATALOGUE_BLEND, loved=loved,
        )  # fmt: skip

    # 3 and 4 are equally popular; what the viewer loved decides between them.
    assert blend(None)[0] == blend(None)[1]
    assert blend(loaded.item_rows([1]))[0] > blend(loaded.item_rows([1]))[1]
    assert blend(loaded.item_rows([5]))[1] > blend(loaded.item_rows([5]))[0]
    # A model file without co-visitation extras ranks as before.
    for name in (covisit.ROWS, covisit.WEIGHTS):
        del loaded.extras[name]
    assert np.allclose(blend(loaded.item_rows([1])), blend(None))


def test_diversify_caps_hashtags_as_well_as_creators() -> None:
    scores = np.array([9.0, 8.0, 7.0, 6.0, 5.0, 4.0])
    creators = np.array([1, 2, 3, 4, 5, 6], dtype=np.int64)
    tags = np.array([7, 7, 7, 8, -1, 8], dtype=np.int64)
    assert rank.diversify(scores, creators, 4).tolist() == [0, 1, 2, 3]
    capped = rank.diversify(scores, creators, 4, 2, tags, 1)
    assert capped.tolist() == [0, 3, 4, 1]  # the best of the rest fill the list


async def test_live_training_stores_co_visitation_and_serving_offers_partners(
    nv_client: Any, nv_settings_factory: Any, tagged: Any, make_member: Any
) -> None:
    # BaselineOnly has no factors, so "similar" candidates can only come from co-visitation.
    settings = nv_settings_factory(plugin={"recommend": {"min_ratings": 10}})
    data = await two_tastes(tagged, make_member)
    status = await train_now(settings)
    assert status.outcome == "trained", status.message
    current = models.current_file(Path(settings.data_dir) / "models")
    assert current is not None
    trained = models.load(current)
    assert covisit.ROWS in trained.extras
    assert covisit.WEIGHTS in trained.extras
    climb = {v.id for v in data["groups"]["climb"]}
    knit = {v.id for v in data["groups"]["knit"]}
    seed = data["groups"]["climb"][0].id
    partners = covisit.similar(trained, [seed], 30)
    assert partners
    assert set(partners) <= climb
    # A viewer who just loved a climbing video is offered its partners for that reason.
    cat = await build(settings, 1)
    ctx = serve.Context(None, [(seed, 5.0)], Choices(), {seed}, [], [])
    offered = serve.gather(cat, trained, ctx, {}, 500)
    similar = {int(cat.ids[p]) for p, reason in offered.items() if reason == f"similar:{seed}"}
    assert similar
    assert similar <= climb
    assert not similar & knit


async def test_training_samples_come_in_the_order_of_first_viewing(
    nv_client: Any, tagged: Any, make_member: Any
) -> None:
    videos = (await tagged({"climb": 3}))["climb"]
    member = await make_member("orderly")
    start = datetime.now(UTC) - timedelta(hours=1)
    # Stored newest first: the samples must still come oldest first (the latest count).
    await WatchEvent.insert(
        *(
            WatchEvent(
                viewer=member.id,
                video=video.id,
                watched_ms=video.duration_ms,
                completed=True,
                created_at=start + timedelta(minutes=10 * (3 - n)),
            )
            for n, video in enumerate(videos)
        )
    )
    samples = await window_samples(start - timedelta(minutes=1))
    assert [video for _, video, _, _, _ in samples] == [v.id for v in reversed(videos)]
