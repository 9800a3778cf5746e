"""Watch-history retention: events older than the setting go, in batches; 0 keeps all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nichevid.feed.tables import WatchEvent
from nichevid.privacy.retention import delete_old_watch_events, retention_job
from nichevid.testing.factories import ready_video


async def _events(owner: Any, ages_in_days: list[float]) -> None:
    video = await ready_video(owner)
    now = datetime.now(UTC)
    await WatchEvent.insert(
        *[
            WatchEvent(video=video.id, session_id=f"s{i}", created_at=now - timedelta(days=age))
            for i, age in enumerate(ages_in_days)
        ]
    )


@pytest.mark.parametrize(
    "nv_settings", [{"watch_history_days": 30, "retention_batch": 2}], indirect=True
)
async def test_old_watch_events_are_deleted_in_batches(
    nv_client: Any, nv_resources: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = await make_user("ada")
    await _events(ada, [1, 10, 29, 31, 40, 90, 400])
    statements: list[int] = []
    delete = WatchEvent.delete

    def counting(*args: Any, **kwargs: Any) -> Any:
        statements.append(1)
        return delete(*args, **kwargs)

    monkeypatch.setattr(WatchEvent, "delete", counting)
    assert await delete_old_watch_events(nv_resources) == 4
    assert len(statements) == 2  # four old events, two per statement
    left = await WatchEvent.select(WatchEvent.created_at).run()
    cutoff = datetime.now(UTC) - timedelta(days=30)
    assert len(left) == 3
    assert all(row["created_at"] > cutoff for row in left)
    assert await retention_job(nv_resources.job_context()) == "0 watch event(s) deleted"


async def test_zero_days_keeps_the_whole_history(
    nv_client: Any, nv_resources: Any, make_user: Any
) -> None:
    ada = await make_user("ada")
    await _events(ada, [1, 4000])
    assert await delete_old_watch_events(nv_resources) == 0
    assert await WatchEvent.count() == 2


def test_bad_retention_settings_stop_start_up(nv_settings_factory: Any) -> None:
    from nichevid.app import create_app
    from nichevid.settings import ConfigError

    for bad in ({"watch_history_days": -1}, {"retention_batch": 0}, {"export_link_hours": 0}):
        settings = nv_settings_factory(plugin={"privacy": bad})
        with pytest.raises(ConfigError) as caught:
            create_app(settings)
        assert f"plugin.privacy.{next(iter(bad))}" in str(caught.value)


def test_every_privacy_setting_is_documented_in_the_operator_guide() -> None:
    import re
    from pathlib import Path

    import msgspec

    from nichevid.privacy.settings import PrivacySettings

    text = (Path(__file__).parents[2] / "docs" / "operator.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^- `plugin\.privacy\.(\w+)` \(default `([^`]+)`", text, re.M))
    defaults = msgspec.to_builtins(PrivacySettings())
    assert documented == {name: str(value).lower() for name, value in defaults.items()}
