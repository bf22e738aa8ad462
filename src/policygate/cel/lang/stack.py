"""Room on Python's stack for a tree as deep as CEL's limits allow.

The parser, the checker, the compiler and the evaluation of a deep expression
recurse once (or a few times) per level of the tree; the parser bounds that
depth, and this context manager makes sure the interpreter's recursion limit
leaves room for it, so that a deep but legal expression never ends in a
``RecursionError``. The limit is raised only when needed and put back after.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


def _current_depth() -> int:
    frame = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth


@contextmanager
def stack_room(frames: int) -> Iterator[None]:
    """Run the body with at least ``frames`` more frames allowed than are in use now."""
    old = sys.getrecursionlimit()
    need = _current_depth() + frames + 50
    if need <= old:
        yield
        return
    sys.setrecursionlimit(need)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
