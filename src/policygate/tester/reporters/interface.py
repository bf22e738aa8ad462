"""One interface for every test reporter: a pure ``render(run, **options) -> str``.

``coverage=True`` adds the coverage section; ``verbose=True`` lists passing
tests too. Reporters never run anything and never write: the CLI writes.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..runner import TestRun


class Reporter(Protocol):
    def __call__(self, run: TestRun, *, coverage: bool = False, **options: Any) -> str: ...
