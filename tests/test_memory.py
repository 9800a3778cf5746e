"""The served process keeps what it started with out of full garbage collections."""

import gc
from pathlib import Path
from typing import Any

import pytest

from nichevid.app import app_from_env, create_app
from nichevid.core.memory import freeze_startup


def test_only_the_served_app_freezes_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nv_settings: Any
) -> None:
    monkeypatch.setenv("NICHEVID_DATA_DIR", str(tmp_path))
    assert freeze_startup in app_from_env().on_startup
    # Apps built any other way (tests, tools) never freeze: they would leak what they drop.
    assert freeze_startup not in create_app(nv_settings).on_startup


async def test_freezing_collects_first_then_keeps_the_living_out_of_full_collections() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    gc.collect()
    Cycle()  # garbage only the cyclic collector can free
    kept = [Cycle()]
    try:
        await freeze_startup()
        assert gc.get_freeze_count() > 0
        assert not any(isinstance(found, Cycle) for found in gc.get_objects())
        assert kept[0].me is kept[0]
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
    assert sum(isinstance(found, Cycle) for found in gc.get_objects()) == 1
