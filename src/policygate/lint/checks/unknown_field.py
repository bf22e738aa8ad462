"""``unknown-field``: a field of ``model`` (or of ``item``, when ``for_each``
iterates over a model path) that the model schema does not have, and a
``request`` field an access rule reads that the request does not have (a
misspelt one would error and deny). See :mod:`..fields` for when it speaks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ... import cel
from ...validation import shipped_schema
from ..context import Expression, LintRun
from ..fields import FieldProblem, SchemaFields
from ..fields import Path as FieldPath
from ..problem import Check, Level

CHECKS = (
    Check(
        "unknown-field",
        Level.WARNING,
        "An expression reads a field the model schema does not have.",
    ),
)


def run(lint: LintRun) -> None:
    """Check every model field read; keys other rules read count as known."""
    reads: list[tuple[Expression, Any, FieldPath, int]] = []
    seen: dict[FieldPath, set[str]] = {}
    for expression in lint.expressions:
        for reference in expression.analysis.references:
            for path, skip in _model_paths(expression, reference):
                reads.append((expression, reference, path, skip))
                for index, key in enumerate(path):
                    if isinstance(key, str):
                        seen.setdefault(path[:index], set()).add(key)
    checked: dict[tuple[int, FieldPath], FieldProblem | None] = {}  # same schema, same path
    # A loop variable reads its collection's path too (``tags.all(t, t == "x")``):
    # one unknown field where it is written is one problem.
    reported: set[tuple[int, int, str]] = set()
    for expression, reference, path, skip in reads:
        fields = expression.policy.fields
        if fields is None:
            continue
        schema_path = (id(fields), path)
        if schema_path not in checked:
            checked[schema_path] = fields.check(path, seen)
        problem = checked[schema_path]
        if problem is None or problem.index < skip:
            continue
        key_index = problem.index - skip
        offset = (
            reference.key_starts[key_index]
            if key_index < len(reference.key_starts)
            else reference.start
        )
        if (id(expression), offset, problem.message) in reported:
            continue
        reported.add((id(expression), offset, problem.message))
        written = expression.text[reference.start : reference.end]
        message = f"{written}: {problem.message}"
        lint.report(lint.at(expression, offset), "unknown-field", message, problem.level)
    _request_fields(lint)


def _request_fields(lint: LintRun) -> None:
    """Every ``request`` field an access rule reads, against the request's shape
    (schemas/access-request.schema.json)."""
    fields: SchemaFields | None = None
    for expression in lint.expressions:
        if "request" not in expression.variables:
            continue
        for reference in expression.analysis.references:
            if reference.variable != "request":
                continue
            if fields is None:
                schema = shipped_schema("AccessRequest")
                fields = SchemaFields(schema, "the request schema", variable="request",
                                      declared_level=Level.ERROR)  # fmt: skip
            problem = fields.check(reference.path)
            if problem is None:
                continue
            starts = reference.key_starts
            offset = starts[problem.index] if problem.index < len(starts) else reference.start
            written = expression.text[reference.start : reference.end]
            lint.report(lint.at(expression, offset), "unknown-field",
                        f"{written}: {problem.message}", problem.level)  # fmt: skip


def _model_paths(
    expression: Expression, reference: cel.analysis.Reference
) -> Iterator[tuple[FieldPath, int]]:
    """The model paths a reference reads, each with how many leading keys come
    from elsewhere (the for_each collection that ``item`` stands for)."""
    if reference.variable == "model":
        yield reference.path, 0
    elif reference.variable == "item" and expression.item_paths and "item" in expression.variables:
        for prefix in expression.item_paths:
            yield (*prefix, *reference.path), len(prefix)
