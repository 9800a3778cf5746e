"""``nichevid plugin new`` generates a plugin whose own tests pass as generated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from nichevid.cli import main


def test_generated_plugin_passes_its_own_tests(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plugin", "new", "tip_jar", "-d", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "nichevid_tip_jar"
    assert (root / "pyproject.toml").read_text().count(
        'nichevid_tip_jar = "nichevid_tip_jar.plugin"'
    ) == 1
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("NICHEVID_LOAD_PLUGINS", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


def test_invalid_name_is_refused_with_a_reason(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plugin", "new", "Bad-Name!", "-d", str(tmp_path)])
    assert result.exit_code != 0
    assert "invalid plugin name" in result.output
    assert not any(tmp_path.iterdir())


def test_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "nichevid_tip_jar"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["plugin", "new", "tip_jar", "-d", str(tmp_path)])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert (existing / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in existing.iterdir()) == ["keep.txt"]
