"""Hostile YAML sizes: texts built to make loading slow or large.

Random bytes seldom make a text that is *large* in the right way; these
builders do, from a few numbers: big strings aliased many times, deep nesting
(flow, block, mixed), many documents, base-60 scalars, huge numbers (decimal,
hex, octal, exponents), billion laughs of any width and depth, long keys,
merge chains. Whatever they build, the loader must either load it or refuse it
with a ``LoadError``, within a CPU-time bound, and never anything else.

:func:`load_hostile` is the fuzz target (``python fuzz/run.py hostile``): it
reads the numbers from the fuzzer's bytes. tests/security/test_hostile_sizes.py
draws them with hypothesis and loads at the default limits.
"""

from __future__ import annotations

import time
from typing import Any

from policygate.documents import DEFAULT_LIMITS, Limits, load_text
from policygate.errors import LoadError

KINDS = (
    "aliased-string",
    "deep-flow",
    "deep-block",
    "deep-mixed",
    "documents",
    "base-60",
    "decimal",
    "hex",
    "octal",
    "exponent",
    "laughs",
    "long-key",
    "merge-chain",
)

CPU_SECONDS = 2.0  # what SECURITY.md promises for every refusal, at the default limits


def build(kind: str, size: int, count: int) -> str:
    """A hostile text of ``kind``; ``size`` and ``count`` scale it (a few MB at most)."""
    if kind == "aliased-string":
        return f"s: &s {'x' * size}\nl: [" + ", ".join(["*s"] * count) + "]\n"
    if kind == "deep-flow":
        return "[" * size + "]" * size
    if kind == "deep-block":
        return "- " * size + "x\n"
    if kind == "deep-mixed":
        return "a:\n  - " + "{b: [" * size + "]}" * size + "\n"
    if kind == "documents":
        return ("---\n" + "k: " + "v" * (size % 64) + "\n") * count
    if kind == "base-60":
        return "t: " + ":".join(["59"] * size) + "\n"
    if kind == "decimal":
        return "n: " + "9" * size + "\n"
    if kind == "hex":
        return "n: 0x" + "f" * size + "\n"
    if kind == "octal":
        return "n: 0o" + "7" * size + "\n"
    if kind == "exponent":
        return f"n: 1{'0' * (size % 1000)}e{size}\nm: -.{'5' * size}e-{count}\n"
    if kind == "laughs":
        width = 2 + count % 30
        levels = 2 + size % 12
        lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
        for level in range(1, levels):
            refs = ", ".join([f"*a{level - 1}"] * width)
            lines.append(f"a{level}: &a{level} [{refs}]")
        return "\n".join(lines) + "\n"
    if kind == "long-key":
        return "k" * size + ": 1\n"
    if kind == "merge-chain":
        levels = 2 + count % 80
        lines = ["m0: &m0 {" + ", ".join(f"k{i}: {i}" for i in range(1 + size % 300)) + "}"]
        for level in range(1, levels):
            sources = ", ".join(f"*m{j}" for j in range(level))
            lines.append(f"m{level}: &m{level} {{<<: [{sources}], own{level}: 1}}")
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown kind {kind!r}")


def load_bounded(text: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Load ``text``: ``"loaded"`` or ``"refused"``, or ``AssertionError`` for anything
    else (another exception, or more than :data:`CPU_SECONDS` of CPU time)."""
    started = time.process_time()
    try:
        documents = load_text(text, "hostile.yaml", limits)
        outcome = "loaded"
        # What was loaded is within the limits once expanded (aliases share objects
        # here, so this walk is cheap, but every consumer downstream copies them).
        nodes = chars = 0
        pending: list[Any] = [document.data for document in documents]
        while pending:
            value = pending.pop()
            nodes += 1
            if isinstance(value, dict):
                chars += sum(len(key) for key in value)
                nodes += len(value)
                pending.extend(value.values())
            elif isinstance(value, list):
                pending.extend(value)
            elif isinstance(value, str):
                chars += len(value)
            assert nodes <= limits.max_nodes, f"more than {limits.max_nodes} nodes loaded"
        assert chars <= limits.max_expanded_chars, f"{chars} characters loaded"
    except LoadError as error:
        assert error.location is not None and error.location.path == "hostile.yaml", error
        outcome = "refused"
    seconds = time.process_time() - started
    assert seconds < CPU_SECONDS, f"{outcome} in {seconds:.2f} s of CPU"
    return outcome


def load_hostile(data: bytes) -> None:
    """Fuzz target: the first byte picks the kind, the next ones its size and count."""
    if len(data) < 5:
        return
    kind = KINDS[data[0] % len(KINDS)]
    size = int.from_bytes(data[1:4], "big") % 2_000_000
    count = int.from_bytes(data[4:6], "big") % 10_000
    if kind.startswith("deep"):
        size %= 20_000
    load_bounded(build(kind, size, count))
