"""``policygate classify MODEL... -p POLICY``: the EU AI Act risk tier each model's
declared use calls for, and why (the classification pack, policies/eu-ai-act-classification.yaml).

Exit 0 every model is classified and its declared tier is not lower than the
derived one, 1 a model is not (no declared use, a lower declared tier, a use
the Act does not name), 2 a usage or load error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..classify import classify, render_json, render_text
from ..errors import NothingEvaluatedError
from ..models import load_models
from ..policy import load_policies
from .common import format_option, handle_errors, run_options, with_record_defaults


@click.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@run_options("policies", "set", "now", required=("policies",), help={
    "policies": "Policy file or directory holding the eu-ai-act-classification pack "
                "(repeatable).",
    "set": "Supply a record field the source lacks (PATH=VALUE, repeatable)."})  # fmt: skip
@format_option(["text", "json"], "Output format.")
@handle_errors
def classify_command(
    models: Sequence[str],
    policies: Sequence[str],
    assignments: Sequence[str],
    now: str | None,
    fmt: str,
) -> None:
    """Derive the EU AI Act risk tier of each MODEL from its spec.use."""
    loaded = load_policies(policies)
    records = with_record_defaults(load_models(list(models)), assignments)
    if not records:
        raise NothingEvaluatedError(f"no model found in {', '.join(models)}")
    classifications = classify(records, loaded, now=now)
    render = render_json if fmt == "json" else render_text
    click.echo(render(classifications), nl=False)
    sys.exit(0 if all(c.consistent for c in classifications) else 1)
