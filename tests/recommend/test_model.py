"""Training exports biases and factors; files swap atomically; bad files are refused."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from nichevid.recommend import model as models
from nichevid.recommend import rank, train


def _triples(seed: int = 1, n: int = 4_000) -> list[tuple[int, int, float]]:
    rng = random.Random(seed)
    # Users 0..24 love even videos and skip odd ones; users 25..49 the other way round.
    out = []
    for _ in range(n):
        user, item = rng.randrange(50), rng.randrange(200)
        out.append((user, item, 5.0 if (item + user // 25) % 2 == 0 else 1.0))
    return out


@pytest.mark.parametrize("algorithm", ["baseline", "svd", "nmf", "svdpp"])
def test_fit_exports_what_surprise_predicts(algorithm: str) -> None:
    params = {"n_epochs": 5} if algorithm != "baseline" else {}
    triples = _triples(n=1_500)
    steps: list[str] = []
    exported = train.fit(triples, algorithm, params, progress=lambda s, f: steps.append(s))
    assert exported.meta["algorithm"] == algorithm
    assert exported.meta["ratings"] == len({(u, i) for u, i, _ in triples})
    assert any(step.startswith("fitting") for step in steps)
    assert steps[-1] == "exporting"
    if algorithm in ("svd", "nmf"):
        assert any(step.startswith("epoch 5/5") for step in steps)
    # Numpy scores agree with Surprise's own predictions (before clipping to the scale).
    algo = train.make_algorithm(algorithm, params)
    trainset = train.trainset(triples)
    algo.fit(trainset)
    user, item = triples[0][0], triples[0][1]
    again = train.export(algo, trainset, {"version": "x"})
    expected = algo.predict(user, item, clip=False).est
    got = rank.score_rows(again, rank.viewer(again, user), again.item_rows([item]))[0]
    assert got == pytest.approx(expected, abs=1e-3)


def test_fit_refuses_nothing_and_unknown_algorithms() -> None:
    with pytest.raises(train.TrainingError, match="no ratings"):
        train.fit([], "svd")
    with pytest.raises(train.TrainingError, match="choose one of"):
        train.fit(_triples(), "deep-magic")
    with pytest.raises(train.TrainingError, match="Bad parameters"):
        train.fit(_triples(), "svd", {"n_layers": 3})


def test_save_load_and_hot_swap(tmp_path: Path) -> None:
    holder = models.ModelHolder(tmp_path)
    assert holder.refresh() is False
    assert holder.model is None
    first = train.fit(_triples(1), "baseline")
    models.save(first, tmp_path)
    assert holder.refresh() is True
    assert holder.model is not None
    assert holder.model.version == first.version
    assert holder.refresh() is False
    old = holder.model
    second = train.fit(_triples(2), "svd", {"n_epochs": 2, "n_factors": 4})
    models.save(second, tmp_path)
    assert holder.refresh() is True
    assert holder.model.version == second.version
    assert holder.model.factors == 4
    # A request that started with the old model still holds a whole one.
    assert old.version == first.version
    assert len(old.item_bias) == len(old.item_ids)
    assert np.allclose(holder.model.item_factors, second.item_factors)
    assert not list(tmp_path.glob(".model-*")), "no temporary files are left behind"


def test_a_broken_model_file_keeps_the_loaded_one(tmp_path: Path) -> None:
    holder = models.ModelHolder(tmp_path)
    good = train.fit(_triples(), "baseline")
    models.save(good, tmp_path)
    holder.refresh()
    (tmp_path / "model-broken.npz").write_bytes(b"not a zip")
    (tmp_path / models.POINTER).write_text('{"file": "model-broken.npz"}')
    assert holder.refresh() is False
    assert holder.model is not None
    assert holder.model.version == good.version
    assert "nichevid recommend train" in holder.error
    (tmp_path / models.POINTER).write_text('{"file": "../../etc/passwd"}')
    with pytest.raises(models.ModelFileError, match="names no model file"):
        models.current_file(tmp_path)


def test_prune_keeps_the_newest_and_the_current(tmp_path: Path) -> None:
    versions = []
    for seed in range(5):
        exported = train.fit(_triples(seed, 300), "baseline")
        models.save(exported, tmp_path)
        versions.append(exported.version)
    gone = models.prune(tmp_path, keep=2)
    assert len(gone) == 3
    assert models.current_file(tmp_path) == tmp_path / f"model-{versions[-1]}.npz"
    assert models.current_file(tmp_path).exists()


def test_fold_in_moves_scores_towards_feedback() -> None:
    triples = _triples()
    exported = train.fit(triples, "svd", {"n_factors": 8, "n_epochs": 30, "random_state": 1})
    newcomer = rank.viewer(exported, None)
    rows = exported.item_rows(list(range(200)))
    before = rank.score_rows(exported, newcomer, rows)
    liked = [(int(rows[i]), 5.0) for i in range(0, 20, 2)]
    skipped = [(int(rows[i]), 1.0) for i in range(1, 20, 2)]
    after_view = rank.fold_in(exported, newcomer, liked + skipped)
    after = rank.score_rows(exported, after_view, rows)
    gap_before = before[20::2].mean() - before[21::2].mean()
    gap_after = after[20::2].mean() - after[21::2].mean()
    # A newcomer has no taste yet; after ten likes and ten skips, videos they never
    # rated move apart the way their taste says.
    assert abs(gap_before) < 0.5
    assert gap_after > gap_before + 1.0
    # Unknown videos are ignored, not an error.
    assert rank.fold_in(exported, newcomer, [(-1, 5.0)]) is newcomer


def test_fold_in_solves_the_ridge_regression_it_states() -> None:
    exported = train.fit(_triples(), "svd", {"n_factors": 6, "n_epochs": 10, "random_state": 2})
    start = rank.viewer(exported, 3)
    feedback = [
        (int(r), float(v))
        for r, v in zip(exported.item_rows([1, 2, 3, 5]), (5, 1, 4, 2), strict=True)
    ]
    moved = rank.fold_in(exported, start, feedback, regularisation=0.7)
    # The primal normal equations, solved directly.
    rows = np.array([r for r, _ in feedback])
    y = np.array([v for _, v in feedback]) - exported.global_mean - exported.item_bias[rows]
    x = np.hstack([np.ones((len(rows), 1)), exported.item_factors[rows]])
    w0 = np.concatenate([[start.bias], start.vector])
    w = np.linalg.solve(x.T @ x + 0.7 * np.eye(x.shape[1]), x.T @ y + 0.7 * w0)
    assert moved.bias == pytest.approx(w[0], abs=1e-4)
    assert np.allclose(moved.vector, w[1:], atol=1e-4)


def _graded(exported: models.ExportedModel, seed: int) -> models.ExportedModel:
    samples = [(u, v, r, 1, 12) for u, v, r in _triples(seed)]
    exported.extras.update(train.graded_extras(exported, samples, epochs=2))
    return exported


def test_every_per_member_extra_is_known_to_forget_users() -> None:
    exported = _graded(train.fit(_triples(1), "svd", {"n_epochs": 2, "n_factors": 4}), 1)
    per_member = {
        name
        for name, values in exported.extras.items()
        if values.ndim
        and values.shape[0] == len(exported.user_ids)
        and values.shape[0] != len(exported.item_ids)
    }
    assert per_member
    assert per_member <= set(models.USER_EXTRAS)


def test_forget_users_removes_a_member_from_every_kept_model(tmp_path: Path) -> None:
    older = _graded(train.fit(_triples(1), "baseline"), 1)
    models.save(older, tmp_path)
    current = _graded(train.fit(_triples(2), "svd", {"n_epochs": 2, "n_factors": 4}), 2)
    models.save(current, tmp_path)
    holder = models.ModelHolder(tmp_path)
    holder.refresh()
    gone, kept = int(current.user_ids[0]), int(current.user_ids[1])
    items = current.item_ids[:5].tolist()
    kept_row = current.user_row(kept)
    assert kept_row is not None
    before = current.user_factors[kept_row] @ current.item_factors[current.item_rows(items)].T

    assert models.forget_users(tmp_path, [gone]) == 2
    files = sorted(tmp_path.glob("model-*.npz"))
    assert len(files) == 2
    for path in files:
        loaded = models.load(path)
        assert loaded.user_row(gone) is None
        assert loaded.user_row(kept) is not None
        assert loaded.extras["graded_user"].shape[0] == len(loaded.user_ids)
    # The served model moved to a new version without the member; web processes swap.
    assert holder.refresh() is True
    assert holder.model is not None
    assert holder.model.version == f"{current.version}.e1"
    assert holder.model.user_row(gone) is None
    row = holder.model.user_row(kept)
    assert row is not None
    after = (
        holder.model.user_factors[row] @ holder.model.item_factors[holder.model.item_rows(items)].T
    )
    assert np.allclose(before, after), "everybody else scores as before"
    # Nothing to do the second time; an unknown member changes nothing.
    assert models.forget_users(tmp_path, [gone]) == 0
    assert models.forget_users(tmp_path, [10**9]) == 0
    assert models.forget_users(tmp_path / "none", [gone]) == 0


def test_forget_users_deletes_a_model_file_it_cannot_read(tmp_path: Path) -> None:
    models.save(train.fit(_triples(1), "baseline"), tmp_path)
    broken = tmp_path / "model-broken.npz"
    broken.write_bytes(b"not a model")
    assert models.forget_users(tmp_path, [1]) >= 1
    assert not broken.exists()
