"""The browser code nichevid ships stays small: every script, gzipped, under 40 KB together."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from nichevid.app import PACKAGE_DIR, theme_chain
from nichevid.plugins import collect_mappings, make_plugin_manager

# All JavaScript a visitor could ever load (feed, upload page, comments...), gzipped.
BUDGET_BYTES = 40_000


def shipped_scripts(settings: Any) -> list[Path]:
    """Every .js file the app serves: core, theme chain and built-in plugin static folders."""
    pm = make_plugin_manager(settings)
    folders = [PACKAGE_DIR / "static", *(theme / "static" for theme in theme_chain(settings))]
    folders += [Path(folder) for folder in collect_mappings(pm.hook.register_static_dirs).values()]
    return sorted({path for folder in folders for path in folder.rglob("*.js")})


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def test_all_javascript_fits_the_budget(nv_settings: Any) -> None:
    scripts = shipped_scripts(nv_settings)
    names = {path.name for path in scripts}
    # The walk really finds the core, vendored and plugin scripts (else the sum means nothing).
    assert {"feed.js", "htmx-2.0.4.min.js", "tus-js-client-4.3.1.min.js", "comments.js"} <= names
    sizes = {str(path.relative_to(PACKAGE_DIR.parent)): gzipped_size(path) for path in scripts}
    total = sum(sizes.values())
    report = "\n".join(f"{size:>7} {name}" for name, size in sorted(sizes.items()))
    assert total < BUDGET_BYTES, f"JavaScript is {total} bytes gzipped:\n{report}"


def test_vendored_tus_client_is_the_modern_build() -> None:
    # The npm package's own dist file carries an ES5 runtime that doubles its size;
    # the shipped file is built from its ES module source (see docs/frontend.md).
    script = (PACKAGE_DIR / "static" / "vendor" / "tus-js-client-4.3.1.min.js").read_text()
    assert "regeneratorRuntime" not in script
    assert "var tus=" in script[:200]
