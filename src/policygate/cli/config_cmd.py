"""``policygate config show``: the effective settings and where each came from (SPEC §11)."""

from __future__ import annotations

import json
import os

import click

from ..config import Config, load_config
from .common import CONFIG, format_option, handle_errors


@click.group()
def config() -> None:
    """The configuration file (policygate.yaml or [tool.policygate] in pyproject.toml)."""


@config.command()
@format_option(["text", "json"], "Output format.")
@click.pass_context
@handle_errors
def show(ctx: click.Context, fmt: str) -> None:
    """Print the effective settings and where each came from (the file's line, or default)."""
    root = ctx.find_root()
    settings: Config | None = root.meta.get(CONFIG)
    ignored = settings is None
    if settings is None:  # --no-config: what would apply, and that it is ignored
        settings = Config()
    if fmt == "json":
        body = {
            "file": settings.path,
            "ignored": ignored and load_config(os.getcwd()).path is not None,
            "settings": [{"key": k, "value": v, "source": s} for k, v, s in settings.settings()],
        }
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    if ignored:
        click.echo("# --no-config (or POLICYGATE_NO_CONFIG): no configuration file is read")
    elif settings.path is None:
        click.echo(f"# no policygate.yaml or [tool.policygate] here or above {os.getcwd()}")
    else:
        click.echo(f"# {settings.path}")
    rows = settings.settings()
    width = max(len(key) for key, _, _ in rows)
    for key, value, source in rows:
        shown = json.dumps(value, ensure_ascii=False)
        click.echo(f"{key:<{width}}  {shown}  ({source})")
