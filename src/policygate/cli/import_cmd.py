"""``policygate import FORMAT SOURCE`` (or ``FORMAT:SOURCE``, as ``check`` takes it):
write the canonical ModelRecord of a source as YAML."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..documents import to_yaml
from ..errors import UsageError
from ..files import write_atomic
from ..importers import SourceFormat, import_records, split_source
from ..importers.interface import overlay_from_assignments
from .common import handle_errors, output_option, run_options

FORMATS = [f.value for f in SourceFormat]


@click.command(name="import")
@click.argument("fmt", metavar="FORMAT")
@click.argument("source", metavar="SOURCE", required=False)
@output_option("Write the record here instead of stdout.")
@run_options("set", help={"set": "Set a field the source cannot hold (e.g. spec.risk_tier=high); "
                                  "VALUE is read as YAML."})  # fmt: skip
@handle_errors
def import_command(
    fmt: str, source: str | None, output: str | None, assignments: Sequence[str]
) -> None:
    """Import SOURCE (a model card, an MLflow model version, a BOM...) as a ModelRecord.

    \b
    policygate import hf models/bert/README.md -o bert.yaml
    policygate import hf:models/bert/README.md        # the source as check takes it
    policygate import mlflow models:/credit-default/3 --set spec.risk_tier=high
    policygate import cyclonedx bom.json
    policygate import mct model_card.json

    A source holding several models (a BOM, models:/NAME) gives one YAML
    document each.
    """
    if source is None:
        split = split_source(fmt)
        if split is None:
            raise UsageError(
                f"{fmt!r} is not a source: give FORMAT SOURCE or FORMAT:SOURCE "
                f"(FORMAT one of {', '.join(FORMATS)})"
            )
        fmt, source = split[0].value, split[1]
    elif fmt not in FORMATS:
        raise UsageError(f"unknown source format {fmt!r} (one of {', '.join(FORMATS)})")
    records = import_records(fmt, source, overlay_from_assignments(assignments))
    text = "---\n".join(to_yaml(record) for record in records)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
