"""A first visit to the feed stays under 150 KB before the first video bytes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import DESKTOP, PHONE

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.firstvisit import BUDGET_BYTES, first_visit, table  # noqa: E402


@pytest.fixture(scope="module")
def demo_server(live_server: Any) -> Any:
    result = live_server.cli("demo", "--seconds", "2")
    assert result.returncode == 0, result.stderr
    return live_server


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_first_visit_fits_the_budget(demo_server: Any, browser: Any, viewport: Any) -> None:
    transfers = await first_visit(browser, demo_server.url + "/", viewport)
    kinds = {t.kind for t in transfers}
    # The count covers the page, its styles and scripts and the posters (else it means little).
    assert {"document", "stylesheet", "script", "image"} <= kinds, table(transfers)
    assert any("htmx" in t.url for t in transfers)
    total = sum(t.total for t in transfers)
    assert total < BUDGET_BYTES, f"{total} bytes:\n{table(transfers)}"
