"""A member's date of birth: the form, its bad inputs, and who counts as an adult."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from nichevid.safety import prefs as prefs_module
from nichevid.safety import services as safety
from nichevid.safety.errors import SafetyError

from .test_comment_controls import save


def test_age_counts_whole_years() -> None:
    assert prefs_module.age_on(date(2008, 6, 15), date(2026, 6, 14)) == 17
    assert prefs_module.age_on(date(2008, 6, 15), date(2026, 6, 15)) == 18
    assert prefs_module.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert prefs_module.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


@pytest.mark.parametrize("typed", ["yesterday", "2026-02-30", "1899-12-31", "3000-01-01"])
def test_a_birth_date_that_is_no_date_is_refused(typed: str) -> None:
    with pytest.raises(SafetyError) as refused:
        prefs_module.parse_birth_date(typed, today=date(2026, 12, 4))
    assert refused.value.status == 400
    assert "year-month-day" in refused.value.message


async def test_the_form_keeps_the_date_and_adults_are_counted_by_it(
    nv_client: Any, make_user: Any
) -> None:
    ada, bob, cy = await make_user("ada"), await make_user("bob"), await make_user("cyd")
    today = datetime.now(UTC).date()
    eighteen = date(today.year - 18, today.month, min(today.day, 28))
    response = await save(nv_client, ada, birth_date=eighteen.isoformat())
    assert response.status_code == 303
    assert (await safety.prefs_of(ada)).birth_date == eighteen
    page = await nv_client.get("/settings/safety", headers={"accept": "text/html"})
    assert f'value="{eighteen.isoformat()}"' in page.text
    await safety.save_prefs(bob, safety.Prefs(birth_date=eighteen + timedelta(days=400)))
    ids = [ada.id, bob.id, cy.id]
    assert await prefs_module.adults_among(ids, 18) == {ada.id}
    assert await prefs_module.adults_among(ids, 16) == {ada.id, bob.id}
    # A bad date keeps the stored one and says what to write.
    refused = await save(nv_client, ada, birth_date="31/12/1990")
    assert refused.status_code == 400
    assert "year-month-day" in refused.text
    assert "31/12/1990" in refused.text
    assert (await safety.prefs_of(ada)).birth_date == eighteen
    # The export says what the member told; an empty field forgets the date.
    exported = await safety.export_member(ada)
    assert exported["choices"]["birth_date"] == eighteen.isoformat()
    assert (await save(nv_client, ada, birth_date="")).status_code == 303
    assert (await safety.prefs_of(ada)).birth_date is None
