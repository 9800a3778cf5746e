"""The wheel carries everything an installed instance needs outside a checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("src") / "nichevid"
    # Build from a copy, so the build leaves nothing in the working tree.
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", ".venv", "var", "test-artifacts", "__pycache__"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return zipfile.ZipFile(next(out.glob("nichevid-*.whl")))


def test_wheel_has_themes_static_files_migrations_and_scaffold(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    data = next(
        n for n in names if n.endswith(".data/data/share/nichevid/themes/default/theme.toml")
    )
    data = data.removesuffix("theme.toml")
    assert f"{data}theme.toml" in names
    assert f"{data}static/theme.css" in names
    assert "nichevid/static/vendor/htmx-2.0.4.min.js" in names
    assert "nichevid/templates/base.html" in names
    assert "nichevid/scaffold/files/PACKAGE/plugin.py.tmpl" in names
    for app in ("core", "accounts", "media"):
        assert any(n.startswith(f"nichevid/{app}/piccolo_migrations/{app}_") for n in names), app


def test_wheel_declares_the_console_script_and_pytest_plugin(wheel: zipfile.ZipFile) -> None:
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    text = wheel.read(entry_points).decode()
    assert "nichevid = nichevid.cli:main" in text
    assert "[pytest11]" in text
