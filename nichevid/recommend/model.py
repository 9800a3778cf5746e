"""The exported model: what training writes and what web processes load and swap.

A model file is one ``.npz`` (numpy arrays, no pickles) holding the global mean,
user and item biases, user and item factors, the id maps that tie rows to
database ids, and a JSON ``meta`` entry (version, algorithm, training window and
figures). Files are written next to their final name and renamed into place, so
a reader sees the old model or the new one, never half of one. ``current.json``
names the file in use; :class:`ModelHolder` reloads when it changes.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

POINTER = "current.json"
FORMAT = 1
EXTRA_PREFIX = "extra_"
# Extras with one row per entry of ``user_ids``: forgetting a member removes their row.
USER_EXTRAS = ("graded_user",)

FloatArray = npt.NDArray[np.float32]
IdArray = npt.NDArray[np.int64]


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says what to do."""


@dataclass
class ExportedModel:
    """Biases and factors of a fitted model, indexed through ``user_ids`` and ``item_ids``.

    ``score(u, i) = global_mean + user_bias[u] + item_bias[i] + user_factors[u] @ item_factors[i]``;
    models without factors have ``factors == 0`` (arrays of shape ``(n, 0)``).
    ``extras`` holds optional named arrays (for example per-item ``popularity`` and
    ``trending``, see :func:`nichevid.recommend.train.item_extras`); files store
    them as ``extra_<name>`` and files without any still load.
    """

    global_mean: float
    user_ids: IdArray
    item_ids: IdArray
    user_bias: FloatArray
    item_bias: FloatArray
    user_factors: FloatArray
    item_factors: FloatArray
    meta: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    _user_index: dict[int, int] = field(default_factory=dict, repr=False)
    _item_index: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._user_index = {int(u): n for n, u in enumerate(self.user_ids.tolist())}
        self._item_index = {int(i): n for n, i in enumerate(self.item_ids.tolist())}

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    @property
    def factors(self) -> int:
        return int(self.item_factors.shape[1])

    def user_row(self, user_id: int) -> int | None:
        """The row of a database user id, or ``None`` when the model never saw them."""
        return self._user_index.get(user_id)

    def item_rows(self, item_ids: list[int]) -> npt.NDArray[np.intp]:
        """Rows of database video ids; ``-1`` for videos the model never saw."""
        index = self._item_index
        return np.fromiter((index.get(i, -1) for i in item_ids), dtype=np.intp, count=len(item_ids))


def save(model: ExportedModel, directory: Path) -> Path:
    """Write ``model`` atomically under ``directory`` and point ``current.json`` at it."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"model-{model.version}.npz"
    _write(model, directory / name)
    write_pointer(directory, {"file": name, "version": model.version})
    return directory / name


def _write(model: ExportedModel, path: Path) -> None:
    """Write ``model`` to ``path`` atomically (a reader sees the old file or the new one)."""
    directory = path.parent
    meta = {**model.meta, "format": FORMAT}
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".model-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as out:
            arrays: dict[str, npt.NDArray[Any]] = {
                "global_mean": np.array([model.global_mean], dtype=np.float64),
                "user_ids": model.user_ids.astype(np.int64),
                "item_ids": model.item_ids.astype(np.int64),
                "user_bias": model.user_bias.astype(np.float32),
                "item_bias": model.item_bias.astype(np.float32),
                "user_factors": model.user_factors.astype(np.float32),
                "item_factors": model.item_factors.astype(np.float32),
                "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            }
            arrays.update({f"{EXTRA_PREFIX}{k}": v for k, v in model.extras.items()})
            np.savez(out, **arrays)  # type: ignore[arg-type]
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def without_users(model: ExportedModel, user_ids: Collection[int]) -> ExportedModel | None:
    """A copy of ``model`` without the rows of ``user_ids``; ``None`` when it has none."""
    rows = [row for row in map(model.user_row, user_ids) if row is not None]
    if not rows:
        return None
    keep = np.ones(len(model.user_ids), dtype=bool)
    keep[rows] = False
    return ExportedModel(
        global_mean=model.global_mean,
        user_ids=model.user_ids[keep],
        item_ids=model.item_ids,
        user_bias=model.user_bias[keep],
        item_bias=model.item_bias,
        user_factors=model.user_factors[keep],
        item_factors=model.item_factors,
        meta=dict(model.meta),
        extras={
            name: values[keep] if name in USER_EXTRAS else values
            for name, values in model.extras.items()
        },
    )


def forget_users(directory: Path, user_ids: Collection[int]) -> int:
    """Remove ``user_ids`` from every model file in ``directory``; how many files changed.

    An erased member's biases and factors are data about them, so no kept file may
    hold them. The current model is saved under a new version (``<version>.e<n>``)
    and ``current.json`` moves to it, so web processes swap to it on their next
    refresh; older files are rewritten in place. A file that cannot be read is
    deleted (it would not be served anyway, and could hold the member).
    """
    if not directory.is_dir():
        return 0
    try:
        current = current_file(directory)
    except ModelFileError:
        current = None
    changed = 0
    for path in sorted(directory.glob("model-*.npz")):
        try:
            smaller = without_users(load(path), user_ids)
        except ModelFileError:
            path.unlink(missing_ok=True)
            changed += 1
            continue
        if smaller is None:
            continue
        changed += 1
        if path != current:
            _write(smaller, path)
            continue
        erasures = int(smaller.meta.get("erasures", 0)) + 1
        base = str(smaller.meta.get("trained_version", smaller.version))
        smaller.meta.update(erasures=erasures, trained_version=base, version=f"{base}.e{erasures}")
        save(smaller, directory)
        path.unlink(missing_ok=True)
    return changed


def write_pointer(directory: Path, pointer: dict[str, Any]) -> None:
    """Point ``current.json`` at a model file of ``directory``, atomically."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".current-", suffix=".json")
    with os.fdopen(fd, "w") as out:
        json.dump(pointer, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, directory / POINTER)


def load(path: Path) -> ExportedModel:
    """Read one model file; :class:`ModelFileError` when it is not one this version reads."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(
            f"{path} is not a readable model file ({exc}); run `nichevid recommend train` again."
        ) from exc
    missing = {
        "global_mean", "user_ids", "item_ids", "user_bias", "item_bias",
        "user_factors", "item_factors", "meta",
    } - arrays.keys()  # fmt: skip
    if missing:
        raise ModelFileError(f"{path} lacks {', '.join(sorted(missing))}; train a new model.")
    meta = json.loads(arrays["meta"].tobytes().decode())
    if meta.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} has format {meta.get('format')!r}, this version reads {FORMAT}; train again."
        )
    model = ExportedModel(
        global_mean=float(arrays["global_mean"][0]),
        user_ids=arrays["user_ids"],
        item_ids=arrays["item_ids"],
        user_bias=arrays["user_bias"],
        item_bias=arrays["item_bias"],
        user_factors=arrays["user_factors"],
        item_factors=arrays["item_factors"],
        meta=meta,
        extras={
            key.removeprefix(EXTRA_PREFIX): value
            for key, value in arrays.items()
            if key.startswith(EXTRA_PREFIX)
        },
    )
    n_users, n_items = len(model.user_ids), len(model.item_ids)
    if (
        model.user_bias.shape != (n_users,)
        or model.item_bias.shape != (n_items,)
        or model.user_factors.shape[0] != n_users
        or model.item_factors.shape[0] != n_items
        or model.user_factors.shape[1] != model.item_factors.shape[1]
    ):
        raise ModelFileError(f"{path} has arrays of mismatched shapes; train a new model.")
    return model


def current_file(directory: Path) -> Path | None:
    """The model file ``current.json`` names, or ``None`` when there is none yet."""
    try:
        pointer = json.loads((directory / POINTER).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{directory / POINTER} is unreadable ({exc}); train again.") from exc
    name = pointer.get("file") if isinstance(pointer, dict) else None
    if not isinstance(name, str) or "/" in name or not name.endswith(".npz"):
        raise ModelFileError(f"{directory / POINTER} names no model file; train again.")
    return directory / name


def prune(directory: Path, keep: int = 3) -> list[Path]:
    """Delete all but the ``keep`` newest model files (never the current one)."""
    current = current_file(directory)
    files = sorted(directory.glob("model-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    gone = [p for p in files[keep:] if p != current]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


class ModelHolder:
    """The model a process serves with, swapped for a newer one without a restart.

    :meth:`refresh` is cheap when nothing changed (one small read); requests read
    :attr:`model`, which is replaced in one assignment, so a request that began
    with the old model finishes with it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.model: ExportedModel | None = None
        self.error: str = ""
        self._path: Path | None = None

    def refresh(self) -> bool:
        """Load the model ``current.json`` names if it changed; ``True`` when it swapped."""
        try:
            path = current_file(self.directory)
            if path is None or path == self._path:
                return False
            model = load(path)
        except ModelFileError as exc:
            # Keep serving the model already loaded; the error is shown to operators.
            self.error = str(exc)
            return False
        self.model, self.error, self._path = model, "", path
        return True
