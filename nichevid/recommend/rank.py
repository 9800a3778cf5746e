"""Scores from an exported model with numpy: one matrix product per viewer, never ``predict()``.

A viewer is a bias and a factor vector: the model's own row for a viewer it was
trained on, the zero vector for a newcomer, and either one moved by what the
viewer did in this session (:func:`fold_in`: a ridge regression of their new
ratings against the fixed item factors, pulled towards where they started).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nichevid.recommend.model import ExportedModel

# How strongly a folded-in viewer stays near their trained bias and vector.
FOLD_IN_REGULARISATION = 1.0


@dataclass(frozen=True, slots=True)
class Viewer:
    """A viewer as the ranker sees them."""

    bias: float
    vector: npt.NDArray[np.float32]


def viewer(model: ExportedModel, user_id: int | None) -> Viewer:
    """The trained viewer, or a neutral one (zero bias and vector) for a newcomer."""
    row = model.user_row(user_id) if user_id is not None else None
    if row is None:
        return Viewer(0.0, np.zeros(model.factors, dtype=np.float32))
    return Viewer(float(model.user_bias[row]), model.user_factors[row])


def score_rows(
    model: ExportedModel, who: Viewer, rows: npt.NDArray[np.intp]
) -> npt.NDArray[np.float32]:
    """Predicted ratings of ``who`` for item rows (``-1``: an item the model never saw).

    Unknown items score as the global mean plus the viewer's bias: neither promoted
    nor buried, which leaves them to the exploration slots.
    """
    known = rows >= 0
    safe = np.where(known, rows, 0)
    item_part = model.item_bias[safe]
    if model.factors:
        item_part = item_part + model.item_factors[safe] @ who.vector
    result = np.float32(model.global_mean + who.bias) + np.where(known, item_part, np.float32(0))
    return result.astype(np.float32, copy=False)


def fold_in(
    model: ExportedModel,
    start: Viewer,
    feedback: Sequence[tuple[int, float]],
    regularisation: float = FOLD_IN_REGULARISATION,
) -> Viewer:
    """``start`` moved towards new ratings ``[(item_row, rating), ...]`` with items held fixed.

    Solves ``min sum (r - mu - b_i - b - q_i . p)^2 + reg * (|p - p0|^2 + (b - b0)^2)``
    in closed form; items the model never saw are ignored.
    """
    pairs = [(row, value) for row, value in feedback if row >= 0]
    if not pairs:
        return start
    rows = np.fromiter((r for r, _ in pairs), dtype=np.intp, count=len(pairs))
    targets = np.fromiter((v for _, v in pairs), dtype=np.float64, count=len(pairs))
    targets -= model.global_mean + model.item_bias[rows].astype(np.float64)
    design = np.hstack([np.ones((len(pairs), 1)), model.item_factors[rows].astype(np.float64)])
    prior = np.concatenate([[start.bias], start.vector.astype(np.float64)])
    size = design.shape[1]
    lhs = design.T @ design + regularisation * np.eye(size)
    rhs = design.T @ targets + regularisation * prior
    solved = np.linalg.solve(lhs, rhs)
    return Viewer(float(solved[0]), solved[1:].astype(np.float32))
