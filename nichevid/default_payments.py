"""Default payment provider: the test provider, clearly marked, for the embedded default.

Registered ``trylast`` like every default, and only while
``plugin.payments.test_provider`` is on; an operator taking real money turns it off.
"""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl


@hookimpl(trylast=True)
def register_payment_providers(settings: Any) -> dict[str, Any] | None:
    from nichevid.payments.settings import payment_settings
    from nichevid.payments.test_provider import TestProvider

    if not payment_settings(settings).test_provider:
        return None
    return {"test": TestProvider(settings)}
