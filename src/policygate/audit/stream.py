"""Audit reports without holding the audit in memory.

Model reports are spooled to a temporary file as they arrive. The JSON report
is then streamed from the spool, byte for byte what ``check -f json`` writes
for the same models, so its memory stays flat however large the registry. The
other formats render a whole :class:`~policygate.report.Report` as a string
(that is their interface), so they load the spool back: fine for the size of a
pull request or an evidence pack, not for a registry of 100,000 versions.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import IO, Any

from ..errors import Location, UsageError
from ..report import ModelReport, Report
from .summary import AuditSummary


class ReportSpool:
    """Model reports pickled to a temporary file, read back in the order they came."""

    def __init__(self) -> None:
        # Closed by close() / the context manager: it lives as long as the audit.
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="policygate-audit-")  # noqa: SIM115
        self.count = 0

    def append(self, model: ModelReport) -> None:
        pickle.dump(model, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __iter__(self) -> Iterator[ModelReport]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._file)
        self._file.seek(0, os.SEEK_END)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ReportSpool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def json_chunks(
    header: Report, summary: AuditSummary, models: Iterator[ModelReport]
) -> Iterator[str]:
    """The JSON report (SPEC §6) in pieces: the header of ``header`` (a report without
    models) with the summary of the audit, then each model as it is read."""
    head: dict[str, Any] = header.to_dict()
    head["passed"] = summary.all_passed
    head["summary"] = summary.report_summary()
    if list(head)[-1] != "models":  # the splice below relies on models being last
        raise AssertionError("the JSON report no longer ends with its models")
    text = json.dumps(head, indent=2, ensure_ascii=False) + "\n"
    before, after = text.rsplit('"models": []', 1)
    yield before + '"models": ['
    first = True
    for model in models:
        body = json.dumps(model.to_dict(), indent=2, ensure_ascii=False)
        yield ("\n" if first else ",\n") + textwrap.indent(body, "    ")
        first = False
    yield ("]" if first else "\n  ]") + after


def full_report(header: Report, spool: ReportSpool) -> Report:
    """The whole report, loaded from the spool (for the formats that need one in memory)."""
    return replace(header, models=tuple(spool))


def write_streamed(path: str | None, chunks: Iterator[str], write: Callable[[str], Any]) -> None:
    """Write ``chunks`` to ``path`` atomically (temporary file, fsync, rename), or to ``write``."""
    if path is None:
        for chunk in chunks:
            write(chunk)
        return
    directory = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
        )
    except OSError as error:
        raise UsageError(f"cannot write: {error.strerror or error}", Location(path)) from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would create it
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
