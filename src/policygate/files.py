"""Writing report files so that a crash never leaves a partial file behind."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import Location, UsageError


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it.

    Only a file is replaced so. A ``path`` that is something else, such as
    ``/dev/null``, ``/dev/stdout`` or a named pipe, is written to as a shell's
    ``>`` writes to it: renaming over it would put a file in its place (for
    everyone on the machine, as root). A symbolic link to a file has the file it
    names replaced, the link kept. A path that cannot be written is a
    :class:`UsageError` naming ``path`` (not the temporary file), so the CLI
    reports it like any other bad argument.
    """
    target = Path(path)
    try:
        mode: int | None = os.stat(target).st_mode  # (through a link)
    except OSError:
        mode = None  # not there (yet): made here, or the error is the write's
    if mode is not None and not stat.S_ISREG(mode):
        _write_through(path, text)
        return
    if target.is_symlink():
        target = Path(os.path.realpath(target))
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


def _write_through(path: str | os.PathLike[str], text: str) -> None:
    """``text`` written into what ``path`` names (a device, a pipe), not replacing it."""
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as error:
        raise _cannot_write(path, error) from None


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
