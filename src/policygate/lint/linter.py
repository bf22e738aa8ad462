"""Static checks of policy files: everything ``check`` would refuse, and what it would
accept but a reviewer would not.

The linter walks the same steps as the loader: each Policy document is parsed
(:func:`policygate.policy.parse`, with its place in the file for every string)
and compiled as ``check`` compiles it, its load errors kept; its ``extends``
chain is followed through the loader's own resolution. Then every check module
of :mod:`.checks` looks at the run for what compiling cannot see: fields the
model schema lacks, params nobody declares, unknown controls, constant
conditions, rules without controls or remediation. The checks work on whatever
parses, so a policy with a syntax error still gets every other finding in the
same run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .. import cel
from ..documents import DEFAULT_LIMITS, Document, Limits, expand_paths, load_file
from ..errors import ErrorGroup, PolicygateError, UsageError
from ..graph.catalogs import ControlCatalog, all_catalogs
from ..message import Placeholder, TemplateSyntaxError, split_template
from ..policy import (
    ITEM_VARIABLES,
    POLICY_KINDS,
    SHIPPED_MODEL_SCHEMA,
    Loader,
    PolicyDocument,
    RuleDocument,
    Source,
    document_kind,
    variables_of,
)
from ..validation import shipped_schema
from .checks import CHECKS, LOAD_ERRORS, MODULES
from .checks.unknown_function import CEL_FUNCTIONS
from .checks.unknown_rating import RatingScales, register_scales
from .context import Expression, LintedPolicy, LintRun
from .fields import Path as FieldPath
from .fields import SchemaFields, render_path
from .problem import Level, LintResult, Problem


def lint_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    catalogs: Sequence[ControlCatalog] = (),
    model_schema: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    costs: bool = False,
    risk_registers: Sequence[str | os.PathLike[str]] = (),
) -> LintResult:
    """Lint every Policy document under ``paths`` (and the policies they extend).

    ``model_schema`` is the JSON Schema to check field references against for
    policies that declare none (default: the shipped ModelRecord schema).
    Raises :class:`UsageError` when no Policy document is found. ``costs``: the
    result lists every expression's static worst case (``lint --cost``).
    ``risk_registers``: the registers whose rating scales ``unknown-rating``
    checks labels against (default: the default matrix's, as warnings); one that
    does not load raises its load error.
    """
    linter = _Linter(catalogs, model_schema, limits)
    if risk_registers:
        linter.rating_scales = register_scales(risk_registers, limits)
    result, lint = linter.run([os.fspath(p) for p in paths])
    if costs:
        ordered = sorted(lint.costs, key=lambda c: (c.location.path, c.location.line or 0,
                                                    c.location.column or 0))  # fmt: skip
        result = replace(result, costs=tuple(ordered))
    return result


class _Linter:
    """Builds the :class:`LintRun` (parse, compile, follow extends), then runs the checks."""

    def __init__(
        self,
        catalogs: Sequence[ControlCatalog],
        model_schema: str | os.PathLike[str] | None,
        limits: Limits,
    ) -> None:
        self.limits = limits
        self.loader = Loader(cel.get_backend(), limits)
        self.controls = sorted({c for catalog in all_catalogs(catalogs) for c in catalog.ids()})
        self.default_schema = self._default_schema(model_schema)
        self.rating_scales: RatingScales | None = None

    def run(self, paths: list[str]) -> tuple[LintResult, LintRun]:
        lint = LintRun(checks=CHECKS, error_checks=LOAD_ERRORS, controls=self.controls,
                       rating_scales=self.rating_scales)  # fmt: skip
        files = expand_paths(paths)
        queue: list[tuple[Document, bool]] = []
        for name in files:
            queue.extend((document, True) for document in self._documents(lint, name))
        given = {os.path.abspath(name) for name in files}
        linted: set[str] = set()
        while queue:
            document, _ = queue.pop(0)
            parsed = self.loader.parse(document)
            if parsed.key in linted:
                continue
            linted.add(parsed.key)
            policy = self._policy(lint, parsed, os.path.abspath(document.source) in given)
            lint.policies.append(policy)
            lint.expressions.extend(self._expressions(policy))
            queue.extend((parent.document, False) for _, parent in policy.parents)
        if not lint.policies:
            raise UsageError(f"no policy found in {', '.join(paths)}")
        for module in MODULES:
            module.run(lint)
        problems = sorted(lint.problems.values(), key=Problem.sort_key)
        return LintResult(tuple(problems), tuple(files), len(lint.policies)), lint

    def _documents(self, lint: LintRun, name: str) -> list[Document]:
        """The Policy documents of a file; a file that does not load is a problem."""
        try:
            documents = load_file(name, self.limits)
        except PolicygateError as error:
            lint.file_errors.extend(_each(error))
            return []
        policies = []
        for document in documents:
            try:
                kind = document_kind(document)
            except PolicygateError as error:
                lint.file_errors.extend(_each(error))
                continue
            if kind in POLICY_KINDS:
                policies.append(document)
        return policies

    # -- one policy --------------------------------------------------------------

    def _policy(self, lint: LintRun, parsed: PolicyDocument, given: bool) -> LintedPolicy:
        errors: list[PolicygateError] = []
        try:
            self.loader.compile(parsed)
        except PolicygateError as error:
            errors = _each(error)
        schema_ok = not any(
            LOAD_ERRORS.get(e.code) == "schema" and e.location and e.location.path == parsed.source
            for e in errors
        )
        chain = self._chain(parsed)
        lint.chains[parsed.key] = chain
        params = {str(name) for ancestor in chain for name in ancestor.params}
        return LintedPolicy(
            parsed=parsed,
            parents=self._parents(parsed),
            params=params,
            fields=self._schema_for(chain),
            load_errors=errors,
            schema_ok=schema_ok,
            given=given,
        )

    def _parents(self, parsed: PolicyDocument) -> list[tuple[Source, PolicyDocument]]:
        """The policies ``extends`` names that load (compiling reports the others)."""
        found = []
        for ref in parsed.extends:
            try:
                found.append((ref, self.loader.extended(parsed, ref)))
            except PolicygateError:
                continue
        return found

    def _chain(self, parsed: PolicyDocument) -> list[PolicyDocument]:
        """The policy and every policy it extends, parents first, each once."""
        order: list[PolicyDocument] = []
        seen: set[str] = set()

        def visit(current: PolicyDocument) -> None:
            if current.key in seen:
                return
            seen.add(current.key)
            for _, parent in self._parents(current):
                visit(parent)
            order.append(current)

        visit(parsed)
        return order

    # -- expressions ---------------------------------------------------------------

    def _expressions(self, policy: LintedPolicy) -> list[Expression]:
        parsed = policy.parsed
        found: list[Expression] = []
        if parsed.applies_to is not None:
            found.extend(self._expression(policy, parsed.applies_to, variables_of(parsed.kind)))
        for rule in parsed.rules:
            found.extend(self._rule(policy, rule))
        return found

    def _rule(self, policy: LintedPolicy, rule: RuleDocument) -> list[Expression]:
        outer = variables_of(policy.parsed.kind)
        found: list[Expression] = []
        for source in (rule.when, rule.for_each):
            if source is not None:
                found.extend(self._expression(policy, source, outer, rule))
        item_paths: tuple[FieldPath, ...] | None = None
        for_each = [e for e in found if e.place == "for_each"]
        if for_each:
            collections = for_each[0].analysis.collections
            if collections and all(c.variable == "model" for c in collections):
                item_paths = tuple((*c.path, None) for c in collections)
        variables = outer + (ITEM_VARIABLES if "for_each" in rule.raw else ())
        if rule.check is not None:
            found.extend(self._expression(policy, rule.check, variables, rule))
        if rule.message is not None:
            found.extend(self._placeholders(policy, rule.message, variables, rule))
        for expression in found:
            expression.item_paths = item_paths
        return found

    @staticmethod
    def _expression(
        policy: LintedPolicy,
        source: Source,
        variables: tuple[str, ...],
        rule: RuleDocument | None = None,
    ) -> list[Expression]:
        try:
            analysis = cel.analyze(source.text)
        except cel.CELSyntaxError:
            return []  # compiling reported it
        return [Expression(policy, source.path, source.text, 0, variables, analysis, rule)]

    @staticmethod
    def _placeholders(
        policy: LintedPolicy, source: Source, variables: tuple[str, ...], rule: RuleDocument
    ) -> list[Expression]:
        try:
            parts = split_template(source.text)
        except TemplateSyntaxError:
            return []
        found = []
        for part in parts:
            if not isinstance(part, Placeholder):
                continue
            try:
                analysis = cel.analyze(part.text)
            except cel.CELSyntaxError:
                continue
            found.append(
                Expression(policy, source.path, part.text, part.offset, variables, analysis, rule)
            )
        return found

    # -- model schema ------------------------------------------------------------------

    def _default_schema(self, reference: str | os.PathLike[str] | None) -> SchemaFields:
        if reference is None:
            return _shipped_fields()
        name = os.fspath(reference)
        documents = load_file(name, self.limits)
        if len(documents) != 1 or not isinstance(documents[0].data, dict):
            raise UsageError(f"--model-schema {name}: expected one JSON Schema object")
        return SchemaFields(documents[0].data, f"model schema {name}", declared_level=Level.WARNING)

    def _schema_for(self, chain: list[PolicyDocument]) -> SchemaFields | None:
        """The model schema the nearest policy of the chain declares, else the default."""
        for parsed in reversed(chain):
            if parsed.model_schema is None:
                continue
            reference = parsed.model_schema.text
            if reference == SHIPPED_MODEL_SCHEMA:
                return _shipped_fields()
            try:
                found = self.loader.file(_base(parsed) / reference)
            except PolicygateError:
                return None  # compiling reported it
            if len(found) != 1 or not isinstance(found[0].data, dict):
                return None
            return SchemaFields(
                found[0].data, f"model schema {reference}", declared_level=Level.WARNING
            )
        return self.default_schema


def _shipped_fields() -> SchemaFields:
    return SchemaFields(
        shipped_schema("ModelRecord"), "the ModelRecord schema", declared_level=Level.WARNING
    )


def _each(error: PolicygateError) -> list[PolicygateError]:
    return list(error.errors) if isinstance(error, ErrorGroup) else [error]


def _base(parsed: PolicyDocument) -> Path:
    if parsed.source in ("-", "<stdin>"):
        return Path.cwd()
    return Path(parsed.source).parent


__all__ = ["lint_paths", "render_path", "CEL_FUNCTIONS"]
