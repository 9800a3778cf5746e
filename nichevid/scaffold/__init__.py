"""``nichevid plugin new NAME``: a ready-to-test plugin package for plugin authors.

The generated package has an entry point in the ``nichevid`` group, a hook module with
a route, a page slot and a settings section, a template, and tests that use the
``nichevid.testing`` fixtures. Its tests pass as generated.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

import click

TEMPLATE_DIR = Path(__file__).parent / "files"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class ScaffoldError(Exception):
    """The plugin cannot be generated; the message says why."""


def package_name(name: str) -> str:
    """``gifts`` -> ``nichevid_gifts``; a name already prefixed is kept."""
    return name if name.startswith("nichevid_") else f"nichevid_{name}"


def generate(name: str, target: Path) -> Path:
    """Write the plugin package ``nichevid_<name>`` under ``target`` and return its folder.

    Raises:
        ScaffoldError: For an invalid name or an existing, non-empty folder.
    """
    if not NAME_RE.match(name):
        raise ScaffoldError(
            f"invalid plugin name {name!r}: use 2-41 lowercase letters, digits or underscores, "
            "starting with a letter (e.g. 'gifts')"
        )
    package = package_name(name)
    root = target / package
    if root.exists() and any(root.iterdir()):
        raise ScaffoldError(f"{root} already exists and is not empty: choose another name or place")
    short = package.removeprefix("nichevid_")
    values = {
        "package": package,
        "short": short,
        "dist": package.replace("_", "-"),
        "title": short.replace("_", " ").title(),
        "camel": short.replace("_", " ").title().replace(" ", ""),
        "slug": short.replace("_", "-"),
    }
    for source in sorted(TEMPLATE_DIR.rglob("*")):
        if source.is_dir():
            continue
        relative = source.relative_to(TEMPLATE_DIR).as_posix().replace("PACKAGE", package)
        relative = relative.removesuffix(".tmpl")
        destination = root / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(Template(source.read_text("utf-8")).substitute(values), "utf-8")
    return root


@click.group("plugin")
def plugin_group() -> None:
    """Tools for plugin authors."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the package folder.",
)
def new(name: str, directory: Path) -> None:
    """Create a plugin package NAME with hooks, a template and passing tests."""
    try:
        root = generate(name, directory)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    package = root.name
    click.echo(f"created {root}")
    click.echo(f"  cd {root} && pip install -e . && pytest")
    click.echo(f'  then enable it in nichevid.toml: [plugins] enabled = ["{package}"]')
