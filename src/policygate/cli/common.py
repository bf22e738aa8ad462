"""What every command shares: one way to report an error and exit 2, never a traceback,
and the option declarations (and their parsing) that several commands have in common."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import ErrorGroup, PolicygateError, UsageError
from ..run import FAIL_ON

if TYPE_CHECKING:
    from ..run import Run, RunSpec

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USAGE = 2


def _fail(message: str | PolicygateError) -> None:
    """The message on stderr, written inert (:mod:`..formats.inert`): it names files
    and fields from records, and a name holding a line break must not print a line
    of its own (``::stop-commands::`` makes GitHub's runner ignore the annotations
    after it). A group of errors is one line each."""
    from ..formats.inert import inert

    if isinstance(message, ErrorGroup):
        text = "\n".join(inert(line) for line in message.lines())
    else:
        text = inert(message)
    click.echo(f"policygate: error: {text}", err=True)
    sys.exit(EXIT_USAGE)


def handle_errors(func: F) -> F:
    """Turn every error into one clear message on stderr and exit 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicygateError as error:
            _fail(error)
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
        _fail(error)
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


def run_options(
    *names: str,
    exclude: Sequence[str] = (),
    help: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
    choices: Mapping[str, Sequence[str]] | None = None,
) -> Callable[[F], F]:
    """The click options of :class:`policygate.run.RunSpec`'s fields: ``names`` (default:
    every field but ``exclude``), each as the spec declares it, ``help`` and
    ``choices`` overriding it for one command. Read them back with :func:`run_spec`."""
    from ..run import RunSpec

    options = [(n, o) for n, o in RunSpec.options() if (n in names if names else n not in exclude)]
    decorators = []
    for name, option in options:
        kwargs: dict[str, Any] = {"help": (help or {}).get(name, option.help)}
        if option.flag:
            kwargs["is_flag"] = True
        else:
            kwargs.update(metavar=option.metavar, multiple=option.multiple)
        allowed = (choices or {}).get(name, option.choices)
        if allowed is not None:
            default = RunSpec.__dataclass_fields__[name].default
            kwargs.update(type=click.Choice(list(allowed)), default=default, show_default=True)
            kwargs.pop("metavar")
        if option.by_name:
            kwargs["callback"] = _by_name
        if name in required:
            kwargs["required"] = True
        decorators.append(click.option(*option.flags, option.dest or name, **kwargs))
    return _compose(*decorators)


def not_taken(excluded: Mapping[str, str]) -> str:
    """A command's help epilog: the evaluation inputs it leaves out, and why."""
    from ..run import RunSpec

    flags = {name: option.flags[-1] for name, option in RunSpec.options()}
    by_reason: dict[str, list[str]] = {}
    for name, reason in excluded.items():
        by_reason.setdefault(reason, []).append(flags[name])
    return "Evaluation inputs not taken (docs/library.md): " + "; ".join(
        f"{', '.join(names)}: {reason}" for reason, names in by_reason.items()) + "."  # fmt: skip


def run_spec(given: Mapping[str, Any], **fields: Any) -> RunSpec:
    """The :class:`~policygate.run.RunSpec` of a command's options (what
    :func:`run_options` declared) and ``fields`` (its MODEL arguments...)."""
    from ..run import RunSpec

    return RunSpec.from_options(given, **fields)


def load(spec: RunSpec, **options: Any) -> Run:
    """:func:`policygate.run.load_run` as a command runs it: the ``POLICYGATE_*`` limits
    from the environment, and each warning of the run on stderr."""
    from ..formats.inert import inert
    from ..run import load_run

    run = load_run(spec, environ=os.environ, **options)
    for warning in run.warnings:  # one line each: a record's name in it is inert
        click.echo(f"policygate: warning: {inert(warning)}", err=True)
    return run


def _compose(*options: Callable[[Any], Any]) -> Callable[[F], F]:
    """One decorator applying ``options`` in order, as if stacked top to bottom."""

    def decorator(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorator


def format_option(choices: Sequence[str], help: str, *, default: str = "text") -> Callable[[F], F]:
    """``-f/--format``, into ``fmt``."""
    return click.option("-f", "--format", "fmt", default=default, show_default=True,
                        type=click.Choice(choices), help=help)  # fmt: skip


def output_option(help: str) -> Callable[[F], F]:
    """``-o/--output FILE``."""
    return click.option("-o", "--output", metavar="FILE", help=help)


def fail_on_option(
    help: str, *, choices: Sequence[str] | None = None, default: str = "error"
) -> Callable[[F], F]:
    """``--fail-on`` (``lint``'s, whose levels are its findings', gives ``choices``)."""
    return click.option("--fail-on", default=default, show_default=True,
                        type=click.Choice(list(choices or FAIL_ON)), help=help)  # fmt: skip


def report_option(help: str) -> Callable[[F], F]:
    """``--report FORMAT=PATH`` (repeatable), into ``extra_reports``; parse each value
    with :func:`parse_report_option`."""
    return click.option("--report", "extra_reports", multiple=True, metavar="FORMAT=PATH",
                        help=help)  # fmt: skip


def write_outputs(
    text: Callable[[str], str],
    fmt: str,
    output: str | None,
    reports: Sequence[tuple[str, str]] = (),
) -> None:
    """``text(fmt)`` on stdout (or in ``-o``), and in each ``--report FORMAT=PATH`` file."""
    if reports or output:
        from ..files import write_atomic  # (tempfile & co.: only when writing files)

        for extra_fmt, path in reports:
            write_atomic(path, text(extra_fmt))
        if output:
            write_atomic(output, text(fmt))
            return
    click.echo(text(fmt), nl=False)


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
