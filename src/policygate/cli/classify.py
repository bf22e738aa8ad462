"""``policygate classify MODEL... -p POLICY``: the EU AI Act risk tier each model's
declared use calls for, and why (the classification pack, policies/eu-ai-act-classification.yaml).

Exit 0 every model is classified and its declared tier is not lower than the
derived one, 1 a model is not (no declared use, a lower declared tier, a use
the Act does not name), 2 a usage or load error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from ..classify import classify, render_json, render_text
from ..errors import NothingEvaluatedError
from .common import format_option, handle_errors, load, run_options, run_spec


@click.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@run_options("policies", "set", "now", required=("policies",), help={
    "policies": "Policy file or directory holding the eu-ai-act-classification pack "
                "(repeatable).",
    "set": "Supply a record field the source lacks (PATH=VALUE, repeatable)."})  # fmt: skip
@format_option(["text", "json"], "Output format.")
@handle_errors
def classify_command(models: Sequence[str], fmt: str, **given: Any) -> None:
    """Derive the EU AI Act risk tier of each MODEL from its spec.use."""
    run = load(run_spec(given, models=tuple(models)))
    if not run.records:
        raise NothingEvaluatedError(f"no model found in {', '.join(models)}")
    classifications = classify(run.records, run.policies, now=run.now)
    render = render_json if fmt == "json" else render_text
    click.echo(render(classifications), nl=False)
    sys.exit(0 if all(c.consistent for c in classifications) else 1)
