"""Offline evaluation: metrics on hand-computed cases, bad logs, and a full run that re-scores."""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nichevid.recommend import model as models
from nichevid.recommend import rank, train
from nichevid.recommend.evaluate import metrics, report
from nichevid.recommend.evaluate.bootstrap import gain_ci, mean_ci, resamples
from nichevid.recommend.evaluate.command import eval_command
from nichevid.recommend.evaluate.logs import KUAIRAND_COLUMNS, LogError, read_generic, read_kuairand
from nichevid.recommend.evaluate.methods import build_context
from nichevid.recommend.evaluate.split import temporal_split

HEADER = [*KUAIRAND_COLUMNS, "tab"]


def _row(user: int, video: int, day: int, rating: int, n: int) -> list[object]:
    """A KuaiRand row whose signals make ``rating`` on the 1..5 scale."""
    click = int(rating >= 3)
    long_view = int(rating >= 4)
    like = int(rating == 5)
    play = {1: 1_000, 2: 4_000, 3: 8_000, 4: 20_000, 5: 25_000}[rating]
    time_ms = 1_650_844_800_000 + (day - 25) * 86_400_000 + n * 1_000
    date = f"202204{day:02d}" if day <= 30 else f"202205{day - 30:02d}"
    return [user, video, date, time_ms, click, like, 0, 0, 0, 0, long_view, play, 30_000, 1]


def write_kuairand(folder: Path, seed: int = 3) -> Path:
    """A small KuaiRand-shaped folder: 60 viewers, 40 videos by 8 creators, 14 days."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    n = 0
    for day in range(25, 39):
        for user in range(60):
            for _ in range(2):
                video = rng.randrange(40)
                # Viewers like creators of their own parity; video 0 is a hit with everyone.
                liked = video == 0 or (video % 8) % 2 == user % 2
                rating = rng.choice([4, 5]) if liked else rng.choice([1, 2, 3])
                rows.append(
                    _row(user + (1000 if day >= 35 and user < 5 else 0), video, day, rating, n)
                )
                n += 1
    with (folder / "log_standard_test.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    with (folder / "video_features_basic_test.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["video_id", "author_id", "upload_dt", "video_duration", "tag"])
        for video in range(40):
            writer.writerow([video, 100 + video % 8, "2022-04-10", 30_000.0, f"{video % 5},{9}"])
    return folder


def test_graded_ndcg_by_hand() -> None:
    # Gains 0, 3 ranked against the ideal 3, 0: (3 / log2 3) / 3.
    assert metrics.graded_ndcg([0, 3]) == pytest.approx(1 / math.log2(3))
    assert metrics.graded_ndcg([3, 0]) == 1.0
    assert metrics.graded_ndcg([0, 0]) == 0.0
    assert metrics.dcg([1, 1, 1]) == pytest.approx(1 + 1 / math.log2(3) + 0.5)


def test_catalogue_metrics_by_hand() -> None:
    ranked = [7, 3, 9]
    assert metrics.binary_ndcg(ranked, {3, 5}) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )
    assert metrics.recall(ranked, {3, 5}) == 0.5
    assert metrics.recall(ranked, set()) == 0.0
    assert metrics.coverage([[1, 2], [2, 3]], 10) == 0.3
    assert metrics.novelty([1, 2], {1: 0.5, 2: 0.25}) == pytest.approx(1.5)
    features = {
        1: metrics.features_of(10, [1]),
        2: metrics.features_of(10, [2]),
        3: metrics.features_of(11, [3]),
    }
    # 1-2 share the creator: Jaccard 1/3, distance 2/3; the other pairs are 1 apart.
    assert metrics.intra_list_diversity([1, 2, 3], features) == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert metrics.intra_list_diversity([1], features) == 0.0


def test_bootstrap_intervals_hold_the_mean() -> None:
    values = [0.0, 1.0] * 50
    draws = resamples(len(values), 300, seed=1)
    low, high = mean_ci(values, draws)
    assert low < 0.5 < high
    assert high - low < 0.3
    assert mean_ci([0.7] * 10, draws[:, :10] % 10) == (pytest.approx(0.7), pytest.approx(0.7))
    low, high = gain_ci([1.0] * 100, [0.5] * 100, draws)
    assert low == pytest.approx(1.0)
    assert high == pytest.approx(1.0)


def test_blend_and_diversify() -> None:
    exported = train.fit([(1, 10, 5.0), (1, 11, 1.0), (2, 10, 4.0), (2, 12, 2.0)], "baseline")
    exported.extras = train.item_extras(exported, [(10, 0.0), (10, 0.0), (11, 86_400.0)], 86_400.0)
    assert exported.extras["popularity"].max() == pytest.approx(1.0)
    rows = exported.item_rows([10, 11, 12])
    taste = rank.tastes([(7, [3], 5.0), (8, [4], 1.0)])
    assert taste.creators == {7: 2.5, 8: -1.5}
    creators = np.array([8, 7, 9], dtype=np.int64)
    tags = np.array([4, 3, -1], dtype=np.int64)
    only_taste = rank.Blend(model=0.0, creator=1.0)
    scores = rank.blend_scores(
        exported, rank.viewer(exported, 1), rows, creators, tags, taste, only_taste
    )
    assert scores.tolist() == pytest.approx([math.tanh(-0.75), math.tanh(1.25), 0.0])
    popular = rank.blend_scores(
        exported,
        rank.viewer(exported, 1),
        rows,
        creators,
        tags,
        taste,
        rank.Blend(0.0, popularity=1.0),
    )
    assert popular[0] == pytest.approx(1.0)
    picked = rank.diversify(
        np.array([5.0, 4.0, 3.0, 2.0]), np.array([1, 1, 1, 2]), 3, per_creator=2
    )
    assert picked.tolist() == [0, 1, 3]


def test_extras_survive_save_and_files_without_them_load(tmp_path: Path) -> None:
    exported = train.fit([(1, 10, 5.0), (2, 11, 1.0)], "baseline")
    plain = models.load(models.save(exported, tmp_path / "plain"))
    assert plain.extras == {}
    exported.extras = {"trending": np.array([0.5, 1.0], dtype=np.float32)}
    again = models.load(models.save(exported, tmp_path / "rich"))
    assert again.extras["trending"].tolist() == [0.5, 1.0]


def test_missing_column_and_garbage_row_name_the_file_and_row(tmp_path: Path) -> None:
    folder = write_kuairand(tmp_path / "k")
    log = folder / "log_standard_test.csv"
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[0].replace("play_time_ms", "played"), *lines[1:]]) + "\n")
    with pytest.raises(LogError, match=r"log_standard_test.csv: row 1 .*play_time_ms"):
        read_kuairand(folder)
    log.write_text(
        "\n".join([lines[0], lines[1], "1,2,soon,x,1,0,0,0,0,0,1,5,6,1", *lines[3:]]) + "\n"
    )
    with pytest.raises(LogError, match=r"log_standard_test.csv: row 3: .*fix or delete that row"):
        read_kuairand(folder)
    with pytest.raises(LogError, match="no log_standard"):
        read_kuairand(tmp_path)


def test_generic_csv_and_json_lines(tmp_path: Path) -> None:
    csv_log = tmp_path / "log.csv"
    csv_log.write_text(
        "user_id,video_id,timestamp,play_time_ms,duration_ms,is_like,author_id,tags\n"
        "1,10,1651363200,20000,30000,0,7,3|4\n"
        "1,11,1651363260,500,30000,1,8,\n"
    )
    log = read_generic(csv_log)
    assert [e.video_id for e in log.events] == [10, 11]
    assert log.videos[10].tags == (3, 4)
    assert str(log.events[0].day) == "2022-05-01"
    jsonl = tmp_path / "log.jsonl"
    jsonl.write_text('{"user_id": 1, "video_id": 2, "date": "2022-05-01", "is_click": 1}\n')
    assert read_generic(jsonl).events[0].signals.valid_play is True
    jsonl.write_text('{"user_id": 1, "video_id": 2, "date": "2022-05-01", "is_click": 1}\n{oops\n')
    with pytest.raises(LogError, match=r"log.jsonl: row 2"):
        read_generic(jsonl)
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,video_id,play_time_ms\n1,2,3\n")
    with pytest.raises(LogError, match="timestamp or date"):
        read_generic(bad)
    bad.write_text("user_id,video_id,date,is_click\n1,2,2022-05-01,7\n")
    with pytest.raises(LogError, match=r"bad.csv: row 2: is_click must be 0 or 1"):
        read_generic(bad)


def test_split_keeps_first_interactions(tmp_path: Path) -> None:
    log = read_kuairand(write_kuairand(tmp_path / "k"))
    split = temporal_split(log)
    assert [str(d) for d in split.test_days] == ["2022-05-05", "2022-05-08"]
    train_pairs = {(r.user_id, r.video_id) for r in split.train}
    assert len(train_pairs) == len(split.train)
    assert all((r.user_id, r.video_id) not in train_pairs for rs in split.test.values() for r in rs)
    assert split.cold_users == [1000, 1001, 1002, 1003, 1004]


def test_full_run_rescores_to_its_metrics(tmp_path: Path) -> None:
    folder = write_kuairand(tmp_path / "k")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        eval_command, ["--kuairand", str(folder), "--out", str(out), "--bootstrap", "20"]
    )
    assert result.exit_code == 0, result.output
    assert "protocol A" in result.output
    summary = json.loads((out / "metrics.json").read_text())
    results = summary["results"]
    assert set(results) == {"A", "B"}
    assert set(results["A"]) == {"warm", "cold"}
    methods = {"random", "popularity", "trending", "surprise-baseline", "surprise-svd", "nichevid"}
    assert set(results["B"]["warm"]) == methods
    nichevid = results["B"]["warm"]["nichevid"]
    assert (
        nichevid["ndcg@10"]["ci95"][0]
        <= nichevid["ndcg@10"]["mean"]
        <= nichevid["ndcg@10"]["ci95"][1]
    )
    # Taste for a creator's parity is learnable: the served blend beats random order.
    assert nichevid["normalised_gain"]["mean"] > 0
    assert summary["sequential_replay"]["users"] > 0
    lines = [json.loads(line) for line in (out / "rankings.jsonl").read_text().splitlines()]
    assert {line["protocol"] for line in lines} == {"A", "B"}
    assert all(len(line["ranked"]) <= 10 for line in lines if line["protocol"] == "A")
    # Anyone can re-score the rankings to the same figures.
    log = read_kuairand(folder)
    split = temporal_split(log)
    ctx = build_context(split, log.videos)
    cat = report.Catalogue(len(ctx.items), ctx.features, ctx.share)
    assert report.rescore(out, split, cat, 20, 0) == results


def test_command_refuses_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(eval_command, ["--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "exactly one of --kuairand" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,video_id,date,is_click\n1,2,2022-05-01,1\n1,x,2022-05-01,1\n")
    result = runner.invoke(eval_command, ["--log", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "bad.csv: row 3" in result.output
