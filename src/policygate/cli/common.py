"""What every command shares: one way to report an error and exit 2, never a traceback,
and the option declarations (and their parsing) that several commands have in common."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

import click

from ..errors import PolicygateError, UsageError

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


CONFIG = "policygate.config"
"""Where :func:`apply_config` keeps the configuration in the root context's ``meta``."""


def apply_config(ctx: click.Context) -> None:
    """The configuration file's settings (SPEC §11) as the defaults of the invoked
    command's options (click's ``default_map``), so that every command reads them
    the same way and an option given on the command line overrides them."""
    from ..config import load_config, option_defaults

    if ctx.invoked_subcommand is None:
        return
    try:
        config = load_config(os.getcwd())
    except PolicygateError as error:
        _fail(str(error))
    except OSError as error:  # as handle_errors says it
        _fail(f"{type(error).__name__}: {error}")
    ctx.meta[CONFIG] = config
    if config.path is None:
        return
    assert isinstance(ctx.command, click.Group)
    command = ctx.command.get_command(ctx, ctx.invoked_subcommand)
    if command is None:
        return

    def defaults(command: click.Command, name: str) -> dict[str, Any]:
        if isinstance(command, click.Group):
            return {sub: defaults(command.commands[sub], sub) for sub in command.commands}
        options = {p.name: p for p in command.params if isinstance(p, click.Option) and p.name}
        found = option_defaults(config, list(options), name)
        for key, value in list(found.items()):
            if isinstance(value, list) and not options[key].multiple:
                if len(value) != 1:
                    _fail(f"{config.path}: {key} gives {len(value)} values and "
                          f"`{name}` takes one: give it on the command line")  # fmt: skip
                found[key] = value[0]
        return found

    ctx.default_map = {ctx.invoked_subcommand: defaults(command, ctx.invoked_subcommand)}


def _by_name(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``--param``, ``--set`` and ``--input`` given on the command line override the
    configuration's entries of the same name and keep its others."""
    from click.core import ParameterSource

    name = param.name or ""
    configured = (ctx.default_map or {}).get(name)
    if not configured or ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
        return value
    given = {item.partition("=")[0].strip() for item in value}
    return (*(item for item in configured if item.partition("=")[0].strip() not in given), *value)


POLICY_HELP = "Policy file or directory (repeatable)."
CATALOG_HELP = "Extra control catalog (kind: ControlCatalog) besides the shipped ones."


def _compose(*options: Callable[[Any], Any]) -> Callable[[F], F]:
    """One decorator applying ``options`` in order, as if stacked top to bottom."""

    def decorator(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorator


def policy_option(help: str = POLICY_HELP, *, required: bool = True) -> Callable[[F], F]:
    """``-p/--policy`` (repeatable), into ``policies``."""
    return click.option("-p", "--policy", "policies", multiple=True, required=required,
                        metavar="POLICY", help=help)  # fmt: skip


def catalog_option(help: str = CATALOG_HELP) -> Callable[[F], F]:
    """``--catalog`` (repeatable), into ``catalogs``."""
    return click.option("--catalog", "catalogs", multiple=True, metavar="PATH", help=help)


def policy_options(catalog_help: str = CATALOG_HELP) -> Callable[[F], F]:
    """``-p/--policy`` and ``--catalog``, as ``check`` and ``audit`` have them."""
    return _compose(policy_option(), catalog_option(catalog_help))


def waivers_option() -> Callable[[F], F]:
    return click.option("--waivers", multiple=True, metavar="PATH",
                        help="Waiver file or directory.")  # fmt: skip


def input_option() -> Callable[[F], F]:
    return click.option("--input", "inputs", multiple=True, metavar="NAME=PATH", callback=_by_name,
                        help="Extra document available to rules as inputs.NAME.")  # fmt: skip


def param_option() -> Callable[[F], F]:
    return click.option("--param", "params", multiple=True, metavar="NAME=VALUE", callback=_by_name,
                        help="Override a policy parameter; VALUE is read as YAML.")  # fmt: skip


def now_option() -> Callable[[F], F]:
    return click.option("--now", metavar="RFC3339",
                        help="Evaluate as of this time (default: now, UTC).")  # fmt: skip


def evaluation_options(func: F) -> F:
    """``--waivers``, ``--input``, ``--param``, ``--set`` and ``--now``, as ``check`` has
    them, for the commands that evaluate like it (explain, diff)."""
    options = (waivers_option(), input_option(), param_option(), set_option(), now_option())
    return _compose(*options)(func)


SET_HELP = (
    "Record default (repeatable): fill PATH where a record says nothing, e.g. "
    "spec.risk_tier=high; VALUE is read as YAML. A value the record gives is kept."
)


def set_option(help: str = SET_HELP) -> Callable[[F], F]:
    """``--set PATH=VALUE`` (repeatable), into ``assignments``."""
    return click.option("--set", "assignments", multiple=True, metavar="PATH=VALUE", help=help,
                        callback=_by_name)  # fmt: skip


def with_record_defaults(records: Sequence[Any], assignments: Sequence[str]) -> list[Any]:
    """``records`` with ``--set`` applied (:func:`policygate.models.apply_set`); each
    default that a record contradicts is kept out and named in a warning on stderr."""
    from ..models import apply_set, parse_set, set_conflicts

    settings = parse_set(assignments)
    if not settings:
        return list(records)
    for record in records:
        for conflict in set_conflicts(record, settings):
            click.echo(f"policygate: warning: {record.ref}: --set {conflict}", err=True)
    return [apply_set(record, settings) for record in records]


def limit_option() -> Callable[[F], F]:
    """``--limit NAME=VALUE`` (repeatable), into ``limit_values``."""
    from ..limits import describe as describe_limits

    return click.option("--limit", "limit_values", multiple=True, metavar="NAME=VALUE",
                        help=f"Change a limit (repeatable; also POLICYGATE_* variables, see "
                             f"SECURITY.md): {describe_limits()}.")  # fmt: skip


def format_option(choices: Sequence[str], help: str, *, default: str = "text") -> Callable[[F], F]:
    """``-f/--format``, into ``fmt``."""
    return click.option("-f", "--format", "fmt", default=default, show_default=True,
                        type=click.Choice(choices), help=help)  # fmt: skip


def output_option(help: str) -> Callable[[F], F]:
    """``-o/--output FILE``."""
    return click.option("-o", "--output", metavar="FILE", help=help)


def fail_on_option(
    help: str, *, choices: Sequence[str], default: str = "error"
) -> Callable[[F], F]:
    """``--fail-on``."""
    return click.option("--fail-on", default=default, show_default=True,
                        type=click.Choice(choices), help=help)  # fmt: skip


def report_option(help: str) -> Callable[[F], F]:
    """``--report FORMAT=PATH`` (repeatable), into ``extra_reports``; parse each value
    with :func:`parse_report_option`."""
    return click.option("--report", "extra_reports", multiple=True, metavar="FORMAT=PATH",
                        help=help)  # fmt: skip


def parse_report_option(value: str, formats: Sequence[str]) -> tuple[str, str]:
    """One ``--report FORMAT=PATH`` value, FORMAT one of ``formats``."""
    fmt, sep, path = value.partition("=")
    if not sep or not fmt or not path:
        raise UsageError(f"--report {value!r}: expected FORMAT=PATH")
    if fmt not in formats:
        raise UsageError(
            f"--report {value!r}: unknown format {fmt!r} (known: {', '.join(formats)})"
        )
    return fmt, path
