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
    "catalog": "policygate.cli.catalog:catalog",
    "audit": "policygate.cli.audit:audit_command",
    "check": "policygate.cli.check:check",
    "classify": "policygate.cli.classify:classify_command",
    "diff": "policygate.cli.diff:diff",
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
def main() -> None:
    """policygate: policy-as-code for ML model governance."""
