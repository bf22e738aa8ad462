"""The thin command-line layer: parse options, call the library, print, exit.

Reports go to stdout (or ``-o``), messages to stderr. Exit codes come from the
report (SPEC §5): 0 passed, 1 failed, 2 usage or load error / nothing evaluated.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

import click

from . import __version__
from .api import load_inputs
from .errors import PolicygateError, UsageError
from .evaluate import evaluate
from .files import write_atomic
from .formats import OutputFormat, render
from .models import load_models
from .policy import load_policies, parse_param
from .report import FAIL_ON, Report
from .waivers import load_waivers

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USAGE = 2


def _fail(message: str) -> None:
    click.echo(f"policygate: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def handle_errors(func: F) -> F:
    """Turn every error into one clear message on stderr and exit 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicygateError as error:
            _fail(str(error))
        except (OSError, RecursionError, MemoryError) as error:
            _fail(f"{type(error).__name__}: {error}")
        except click.exceptions.Exit:
            raise
        except Exception as error:  # fail closed, no traceback; POLICYGATE_DEBUG shows it
            if os.environ.get("POLICYGATE_DEBUG"):
                raise
            _fail(
                f"internal error ({type(error).__name__}: {error}); "
                "set POLICYGATE_DEBUG=1 for details"
            )

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policygate")
def main() -> None:
    """policygate: policy-as-code for ML model governance."""


def _report_option(value: str) -> tuple[str, str]:
    fmt, sep, path = value.partition("=")
    if not sep or not fmt or not path:
        raise UsageError(f"--report {value!r}: expected FORMAT=PATH")
    if fmt not in {f.value for f in OutputFormat}:
        known = ", ".join(f.value for f in OutputFormat)
        raise UsageError(f"--report {value!r}: unknown format {fmt!r} (known: {known})")
    return fmt, path


@main.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@click.option("-p", "--policy", "policies", multiple=True, required=True, metavar="POLICY",
              help="Policy file or directory (repeatable).")
@click.option("--waivers", multiple=True, metavar="PATH", help="Waiver file or directory.")
@click.option("--input", "inputs", multiple=True, metavar="NAME=PATH",
              help="Extra document available to rules as inputs.NAME.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Override a policy parameter; VALUE is read as YAML.")
@click.option("--now", metavar="RFC3339", help="Evaluate as of this time (default: now, UTC).")
@click.option("-f", "--format", "fmt", default="text", show_default=True,
              type=click.Choice([f.value for f in OutputFormat]), help="Report format.")
@click.option("-o", "--output", metavar="FILE", help="Write the report here instead of stdout.")
@click.option("--report", "extra_reports", multiple=True, metavar="FORMAT=PATH",
              help="Also write a report in FORMAT to PATH (repeatable).")
@click.option("--fail-on", default="error", show_default=True, type=click.Choice(FAIL_ON),
              help="Lowest severity whose fail or error fails the gate.")
@click.option("--engine", metavar="NAME", help="CEL engine (default: cel-python).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when the gate passes.")
@click.option("-v", "--verbose", is_flag=True, help="List passing and skipped results too.")
@click.option("--color/--no-color", default=None,
              help="Colour the text report (default: on a tty).")  # fmt: skip
@handle_errors
def check(
    models: Sequence[str],
    policies: Sequence[str],
    waivers: Sequence[str],
    inputs: Sequence[str],
    params: Sequence[str],
    now: str | None,
    fmt: str,
    output: str | None,
    extra_reports: Sequence[str],
    fail_on: str,
    engine: str | None,
    quiet: bool,
    verbose: bool,
    color: bool | None,
) -> None:
    """Evaluate MODEL files or directories against policies; exit 0 pass, 1 fail, 2 error."""
    reports = [_report_option(value) for value in extra_reports]
    overrides = dict(parse_param(p) for p in params)
    loaded_policies = load_policies(policies, params=overrides, engine=engine)
    loaded_waivers = load_waivers(waivers) if waivers else []
    input_data = load_inputs(inputs)
    records = load_models(models)
    report = evaluate(
        records, loaded_policies, now=now, waivers=loaded_waivers, inputs=input_data,
        fail_on=fail_on,
    )  # fmt: skip
    _emit(report, fmt, output, reports, quiet=quiet, verbose=verbose, color=color)
    if report.nothing_evaluated:
        click.echo(f"policygate: error: nothing evaluated: {report.nothing_evaluated_reason()}",
                   err=True)  # fmt: skip
    sys.exit(report.exit_code())


def _emit(
    report: Report,
    fmt: str,
    output: str | None,
    reports: Sequence[tuple[str, str]],
    *,
    quiet: bool,
    verbose: bool,
    color: bool | None,
) -> None:
    for extra_fmt, path in reports:
        write_atomic(path, render(report, extra_fmt, verbose=verbose))
    if output:
        write_atomic(output, render(report, fmt, verbose=verbose))
        return
    if quiet and report.passed:
        return
    if color is None:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    # color= stops click from stripping the escapes when stdout is not a tty (--color).
    click.echo(render(report, fmt, color=color, verbose=verbose), nl=False, color=color)


if __name__ == "__main__":  # pragma: no cover
    main()
