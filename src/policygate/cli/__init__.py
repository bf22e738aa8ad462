"""The thin command-line layer: parse options, call the library, print, exit.

Each command lives in its own module and is imported only when it runs, so
``policygate check`` pays for nothing else. A new command is one module and one
line in ``COMMANDS``.
"""

from __future__ import annotations

import importlib

import click

from .. import __version__

COMMANDS: dict[str, str] = {
    "approve": "policygate.cli.approve:approve",
    "authorize": "policygate.cli.authorize:authorize",
    "catalog": "policygate.cli.catalog:catalog",
    "audit": "policygate.cli.audit:audit_command",
    "check": "policygate.cli.check:check",
    "config": "policygate.cli.config_cmd:config",
    "classify": "policygate.cli.classify:classify_command",
    "diff": "policygate.cli.diff:diff",
    "docs": "policygate.cli.docs_cmd:docs",
    "eval": "policygate.cli.eval_cmd:eval_command",
    "explain": "policygate.cli.explain:explain",
    "graph": "policygate.cli.graph:graph",
    "import": "policygate.cli.import_cmd:import_command",
    "init": "policygate.cli.init:init",
    "keygen": "policygate.cli.keygen:keygen",
    "lint": "policygate.cli.lint:lint",
    "log": "policygate.cli.log:log",
    "promote": "policygate.cli.promote:promote",
    "serve": "policygate.cli.serve:serve",
    "test": "policygate.cli.test:test",
}


class _LazyGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``--no-config`` is the group's, and may also follow the command's name."""
        end = args.index("--") if "--" in args else len(args)
        if "--no-config" in args[:end]:
            args = ["--no-config", *(a for a in args[:end] if a != "--no-config"), *args[end:]]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policygate")
@click.option("--no-config", is_flag=True, envvar="POLICYGATE_NO_CONFIG",
              help="Ignore policygate.yaml and [tool.policygate] (docs/configuration.md); "
              "POLICYGATE_NO_CONFIG=1 does too")
@click.pass_context
def main(ctx: click.Context, no_config: bool) -> None:
    """policygate: policy-as-code for ML model governance."""
    if not no_config:
        from .common import apply_config

        apply_config(ctx)
