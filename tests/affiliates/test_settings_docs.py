"""Every ``[plugin.affiliates]`` setting is documented in the operator guide with its default."""

from __future__ import annotations

import re
from pathlib import Path

from nichevid_affiliates.settings import AffiliateSettings

ROOT = Path(__file__).parents[2]


def test_every_affiliates_setting_is_documented_with_its_default() -> None:
    text = (ROOT / "docs" / "operator.md").read_text(encoding="utf-8")
    found = dict(re.findall(r"^- `plugin\.affiliates\.(\w+)` \(default ([^)]*?)[,:)]", text, re.M))
    assert set(found) == set(AffiliateSettings.__struct_fields__)
    defaults = AffiliateSettings()
    for name in AffiliateSettings.__struct_fields__:
        value = getattr(defaults, name)
        if isinstance(value, (bool, int)) or (isinstance(value, str) and value):
            expected = str(value).lower() if isinstance(value, bool) else str(value)
            assert found[name] == f"`{expected}`", name
        else:
            assert not value
            assert found[name].startswith("empty"), name


def test_the_guide_documents_the_postback_contract() -> None:
    guide = (ROOT / "docs" / "affiliates.md").read_text(encoding="utf-8")
    for needed in ("POST /affiliates/postback", "X-Affiliate-Signature", "openssl dgst -sha256"):
        assert needed in guide
