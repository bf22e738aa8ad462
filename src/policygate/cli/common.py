"""What every command shares: one way to report an error and exit 2, never a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from ..errors import PolicygateError

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


def evaluation_options(func: F) -> F:
    """``--waivers``, ``--input``, ``--param`` and ``--now``, as ``check`` has them, for
    the commands that evaluate like it (explain, diff)."""
    options = [
        click.option("--waivers", multiple=True, metavar="PATH", help="Waiver file or directory."),
        click.option("--input", "inputs", multiple=True, metavar="NAME=PATH",
                     help="Extra document available to rules as inputs.NAME."),  # fmt: skip
        click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
                     help="Override a policy parameter; VALUE is read as YAML."),  # fmt: skip
        click.option("--now", metavar="RFC3339",
                     help="Evaluate as of this time (default: now, UTC)."),  # fmt: skip
    ]
    for option in reversed(options):
        func = option(func)
    return func
