"""``policygate graph``: query the model → risk → control → rule graph.

Every subcommand reads the same inputs as ``check`` (models, policies, risk
registers, catalogs, waivers) and asks :mod:`policygate.graph.queries` one
question. Exit codes: 0 done, 1 ``gaps`` found gaps, 2 usage or load error.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import click

from ..documents import DEFAULT_LIMITS
from ..errors import UsageError
from ..files import write_atomic
from ..graph import queries
from ..graph.build import RiskGraph, evaluated_graph
from ..graph.export import EXPORTERS, export
from ..graph.register import load_risk_registers
from ..graph.render import coverage_text, gaps_text, impact_text, to_json
from ..report import Report
from .common import format_option, handle_errors, load, output_option, run_options, run_spec

_INPUT_OPTIONS: list[Callable[[Any], Any]] = [
    click.argument("models", nargs=-1, metavar="[MODEL]..."),
    run_options("policies", "risk_registers", "catalogs", "waivers", "inputs", "params", "now",
                help={"policies": "Policy file or directory (repeatable): its rules give "
                                  "evidence.",
                      "risk_registers": "Risk register (kind: RiskRegister), repeatable."}),
    output_option("Write here instead of stdout."),
]  # fmt: skip


def _inputs(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_INPUT_OPTIONS):
        func = option(func)
    return func


def _load(need_register: str | None = None, **given: Any) -> tuple[RiskGraph, Report]:
    """The graph and the report of the run the options give. The risk registers are
    loaded on their own: a record's risk that no register defines is a gap here."""
    spec = run_spec(given, models=tuple(given["models"]))
    if need_register and not spec.risk_registers:
        raise UsageError(f"graph {need_register} needs --risk-register")
    run = load(dataclasses.replace(spec, risk_registers=()))
    limits = run.limits.load if run.limits is not None else DEFAULT_LIMITS
    registers = spec.risk_registers
    register = load_risk_registers(registers, limits=limits) if registers else None
    return evaluated_graph(list(run.records), list(run.policies), register,
                           extra_catalogs=run.catalogs, now=run.now, waivers=run.waivers,
                           inputs=run.inputs)  # fmt: skip


def _write(text: str, output: str | None) -> None:
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


_FORMAT = format_option(["text", "json"], "Output format.")


@click.group()
def graph() -> None:
    """Query the graph of models, risks, controls, rules and datasets."""


@graph.command(short_help="Risks without controls, controls without evidence.")
@_inputs
@_FORMAT
@handle_errors
def gaps(output: str | None, fmt: str, **inputs: Any) -> None:
    """Risks with no control, controls no rule evidences, models with risks outside the register.

    Exits 1 when there is a gap.
    """
    risk_graph, _ = _load(**inputs, need_register="gaps")
    found = queries.gaps(risk_graph)
    _write(to_json(found) if fmt == "json" else gaps_text(found), output)
    sys.exit(0 if found.empty else 1)


@graph.command(short_help="Everything a change to NODE reaches.")
@click.argument("node")
@_inputs
@_FORMAT
@handle_errors
def impact(node: str, output: str | None, fmt: str, **inputs: Any) -> None:
    """Everything a change to NODE reaches (kind:id, or an id that names one node).

    A rule or control reaches up to the risks and models that rely on it; a
    dataset reaches down to the models trained on it, their risks and the
    controls those call for; a risk reaches both its models and its controls.
    """
    risk_graph, _ = _load(**inputs)
    found = queries.impact(risk_graph, node)
    _write(to_json(found) if fmt == "json" else impact_text(found), output)


@graph.command(short_help="Evidence for each control of a framework.")
@click.option("--framework", required=True, metavar="NAME", help="eu-ai-act, iso-42001, ...")
@_inputs
@_FORMAT
@handle_errors
def coverage(framework: str, output: str | None, fmt: str, **inputs: Any) -> None:
    """Per control of a framework: the risks that call for it, the rules that
    evidence it, and the models for which it is satisfied, violated, waived or unverified."""
    risk_graph, report = _load(**inputs, need_register="coverage")
    found = queries.coverage(risk_graph, report, framework)
    _write(to_json(found) if fmt == "json" else coverage_text(found), output)


@graph.command(name="export", short_help="The graph as DOT, Mermaid, GraphML or JSON.")
@click.option("-f", "--format", "fmt", required=True, type=click.Choice(list(EXPORTERS)),
              help="Export format.")  # fmt: skip
@_inputs
@handle_errors
def export_command(fmt: str, output: str | None, **inputs: Any) -> None:
    """The graph as Graphviz DOT, Mermaid, GraphML or JSON (controls in use only)."""
    risk_graph, _ = _load(**inputs)
    _write(export(risk_graph, fmt), output)
