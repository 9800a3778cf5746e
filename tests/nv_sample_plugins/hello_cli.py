"""A plugin adding a command to the ``nichevid`` command line."""

from __future__ import annotations

from typing import Any

import click

from nichevid.plugins import hookimpl


@click.command("hello-plugin")
@click.argument("name")
def hello(name: str) -> None:
    """Greet NAME (added by a plugin)."""
    click.echo(f"hello {name} from a plugin")


@hookimpl
def register_cli_commands() -> list[Any]:
    return [hello]
