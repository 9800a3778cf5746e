"""Operators' statistics with charts, and a member's moderation data exported and deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.core.charts import hbars
from nichevid.testing.factories import ready_video
from nichevid_moderation import actions, appeals, audit, reports, stats
from nichevid_moderation.privacy import delete_for, export_for
from nichevid_moderation.tables import Actor, Appeal, AuditEntry, Report, Restriction

from .conftest import browser


async def _busy_day(resources: Any, people: dict[str, Any]) -> tuple[Any, Any]:
    spam = await ready_video(people["cara"], caption="spam")
    hate = await ready_video(people["cara"], caption="hate")
    calm = await ready_video(people["cara"], caption="calm")
    for who in ("ann", "bob"):
        await reports.file_report(
            resources, reporter=people[who], address="x", kind="video", ref=spam.slug,
            category="spam",
        )  # fmt: skip
    await reports.file_report(
        resources, reporter=people["ann"], address="x", kind="video", ref=hate.slug,
        category="hate",
    )  # fmt: skip
    await reports.file_report(
        resources, reporter=people["ann"], address="x", kind="video", ref=calm.slug,
        category="spam",
    )  # fmt: skip
    removal = await actions.act(
        resources, people["mod"], kind="video", ref=spam.slug, action="remove", reason="Spam."
    )
    await actions.act(
        resources, people["mod"], kind="video", ref=hate.slug, action="remove", reason="Hate."
    )
    appeal = await appeals.file_appeal(resources, people["cara"], removal.id, "Not spam.")
    await appeals.decide(resources, people["mia"], appeal.id, "upheld", "Right.")
    return removal, appeal


async def test_figures(nv_resources: Any, people: dict[str, Any]) -> None:
    await _busy_day(nv_resources, people)
    found = await stats.figures(30)
    assert (found.reports_in, found.handled) == (4, 3)
    assert found.median_hours is not None
    assert found.median_hours < 1
    assert found.removals_by_reason == {"spam": 1, "hate": 1}
    assert (found.appeals, found.appeals_upheld, found.appeals_rejected) == (1, 1, 0)
    assert len(found.daily) == 30
    assert found.daily[-1][1:] == (4, 3)
    later = await stats.figures(7, now=datetime.now(UTC) + timedelta(days=10))
    assert (later.reports_in, later.handled, later.median_hours) == (0, 0, None)


def test_charts_are_escaped_svg() -> None:
    chart = hbars({"<b>spam</b>": 3, "hate": 1}, "Removals <by> reason")
    assert chart.startswith("<svg")
    assert "<b>" not in chart
    assert "&lt;b&gt;spam&lt;/b&gt;" in chart
    assert 'aria-label="Removals &lt;by&gt; reason"' in chart
    day = datetime.now(UTC).date()
    daily = stats.daily_chart([(day, 2, 1)], "Per day", ("In", "Done"))
    assert daily.count("<rect") == 4  # two bars and two legend keys


async def test_the_stats_page_is_for_admins(
    nv_client: Any, nv_resources: Any, people: dict[str, Any]
) -> None:
    await _busy_day(nv_resources, people)
    async with browser(nv_client, "root", 50040) as root:
        page = await root.get("/moderation/stats?days=7")
        assert page.status_code == 200
        assert '<dd data-stat="reports_in">4</dd>' in page.text
        assert '<dd data-stat="appeals_upheld">1</dd>' in page.text
        assert page.text.count('<svg class="nv-chart"') == 2
        assert "Hate speech" in page.text
        assert (await root.get("/moderation/stats?days=abc")).status_code == 200


async def test_export_and_delete_leave_only_pseudonymous_entries(
    nv_resources: Any, people: dict[str, Any]
) -> None:
    await _busy_day(nv_resources, people)
    await actions.act(
        nv_resources, people["mod"], kind="account", ref="cara", action="suspend",
        reason="Pause.", days=2,
    )  # fmt: skip
    cara, ann = people["cara"].id, people["ann"].id
    data = await export_for(cara)
    assert [a["status"] for a in data["appeals"]] == ["upheld"]
    assert {e["action"] for e in data["moderation_log"]} >= {"remove", "appeal", "suspend"}
    assert data["account_measures"][0]["kind"] == "suspend"
    sent = await export_for(ann)
    assert len(sent["reports_sent"]) == 3
    entries_before = await AuditEntry.count()
    alias = audit.pseudonym(nv_resources.settings, cara)
    await delete_for(cara)
    await delete_for(ann)
    assert await Appeal.count() == 0
    assert await Report.count().where(Report.reporter == ann) == 0
    assert await Report.count().where(Report.owner == cara) == 0
    assert await Restriction.count().where(Restriction.target_id == cara) == 0
    assert await Actor.count().where(Actor.pseudonym == alias) == 0
    # The log keeps every entry, naming the account by a pseudonym nobody can resolve.
    assert await AuditEntry.count() == entries_before
    shown = await audit.lines(subject=alias)
    assert shown
    assert all(line.subject.startswith("deleted account") for line in shown)
    assert await export_for(cara) == {
        "reports_sent": [],
        "appeals": [],
        "moderation_log": [],
        "account_measures": [],
    }


def test_every_moderation_setting_is_documented_with_its_default() -> None:
    import re
    from pathlib import Path

    import msgspec

    from nichevid_moderation.settings import ModerationSettings

    text = (Path(__file__).parents[2] / "docs" / "operator.md").read_text(encoding="utf-8")
    found = re.findall(r"^- `plugin\.moderation\.(\w+)` \(default `([^`]*)`", text, re.M)
    documented = dict(found)
    defaults = msgspec.to_builtins(ModerationSettings())
    assert set(documented) == set(defaults)
    for name, value in defaults.items():
        shown = documented[name]
        if isinstance(value, bool):
            assert shown == str(value).lower(), name
        elif isinstance(value, list):
            assert shown == "[]", name
        else:
            assert shown == str(value), name
