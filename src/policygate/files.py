"""Writing report files so that a crash never leaves a partial file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import Location, UsageError


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it.

    A path that cannot be written is a :class:`UsageError` naming ``path`` (not
    the temporary file), so the CLI reports it like any other bad argument.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise _cannot_write(path, error) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            # mkstemp creates the file 0600; a report gets the mode a plain open() would give.
            os.chmod(tmp, _mode_for(target))
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise _cannot_write(path, error) from None
        raise


def _mode_for(target: Path) -> int:
    """The existing file's permissions, else what the umask leaves of 0o666."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _cannot_write(path: str | os.PathLike[str], error: OSError) -> UsageError:
    return UsageError(f"cannot write: {error.strerror or error}", Location(os.fspath(path)))
