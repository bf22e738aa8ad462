"""``policygate init [DIR]``: scaffold a starter policy, its tests and a sample model."""

from __future__ import annotations

import click

from ..scaffold import scaffold
from .common import handle_errors


@click.command()
@click.argument("directory", default=".", metavar="[DIR]")
@click.option("--force", is_flag=True, help="Overwrite the starter files if they exist.")
@handle_errors
def init(directory: str, force: bool) -> None:
    """Write policies/, policies/tests/ and models/ starter files under DIR."""
    for path in scaffold(directory, force=force):
        click.echo(f"created {path}")
    prefix = "" if directory in (".", "") else f"cd {directory} && "
    click.echo(f"next: {prefix}policygate lint policies/ && policygate test policies/ --coverage")
