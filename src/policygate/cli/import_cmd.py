"""``policygate import FORMAT SOURCE``: write the canonical ModelRecord of a source as YAML."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..documents import to_yaml
from ..files import write_atomic
from ..importers import SourceFormat, import_records
from ..importers.interface import overlay_from_assignments
from .common import handle_errors, output_option, set_option


@click.command(name="import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice([f.value for f in SourceFormat]))
@click.argument("source", metavar="SOURCE")
@output_option("Write the record here instead of stdout.")
@set_option("Set a field the source cannot hold (e.g. spec.risk_tier=high); VALUE is read as YAML.")
@handle_errors
def import_command(fmt: str, source: str, output: str | None, assignments: Sequence[str]) -> None:
    """Import SOURCE (a model card, an MLflow model version, a BOM...) as a ModelRecord.

    \b
    policygate import hf models/bert/README.md -o bert.yaml
    policygate import mlflow models:/credit-default/3 --set spec.risk_tier=high
    policygate import cyclonedx bom.json
    policygate import mct model_card.json

    A source holding several models (a BOM, models:/NAME) gives one YAML
    document each.
    """
    records = import_records(fmt, source, overlay_from_assignments(assignments))
    text = "---\n".join(to_yaml(record) for record in records)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
