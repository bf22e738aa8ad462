"""Static checks of policy files: everything ``check`` would refuse, and what it would
accept but a reviewer would not.

Each Policy document is compiled as ``check`` compiles it, and its load errors
become problems; then its raw text is read again for what compiling cannot
see: fields the model schema lacks, params nobody declares, unknown controls,
constant conditions, rules without controls or remediation. The second pass
works on whatever parses, so a policy with a syntax error still gets every
other finding in the same run.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import cel
from ..cel.analysis import MACROS
from ..cel.budget import DEFAULT_BUDGET
from ..cel.lang.library import FUNCTIONS as ENGINE_FUNCTIONS
from ..documents import DEFAULT_LIMITS, Document, Limits, expand_paths, load_file
from ..errors import (
    ErrorGroup,
    Location,
    PolicygateError,
    UsageError,
)
from ..graph.catalogs import ControlCatalog, all_catalogs
from ..message import Placeholder, TemplateSyntaxError, split_template
from ..policy import (
    ITEM_VARIABLES,
    POLICY_KINDS,
    SHIPPED_MODEL_SCHEMA,
    compile_policy_document,
    document_kind,
    inner_locator,
    variables_of,
)
from ..validation import shipped_schema
from .fields import FieldProblem, SchemaFields, did_you_mean, render_path
from .fields import Path as FieldPath
from .problem import CHECKS, Cost, Level, LintResult, Problem

# Every function the engine defines (CEL's standard library, the strings extension,
# optionals, policygate's days()) and the macros, as authors write them.
CEL_FUNCTIONS = frozenset(ENGINE_FUNCTIONS) | MACROS | {"has", "optMap", "optFlatMap"}



def lint_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    catalogs: Sequence[ControlCatalog] = (),
    model_schema: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    costs: bool = False,
) -> LintResult:
    """Lint every Policy document under ``paths`` (and the policies they extend).

    ``model_schema`` is the JSON Schema to check field references against for
    policies that declare none (default: the shipped ModelRecord schema).
    Raises :class:`UsageError` when no Policy document is found. ``costs``: the
    result lists every expression's static worst case (``lint --cost``).
    """
    linter = _Linter(catalogs, model_schema, limits)
    result = linter.run([os.fspath(p) for p in paths])
    if costs:
        ordered = sorted(linter.costs, key=lambda c: (c.location.path, c.location.line or 0,
                                                      c.location.column or 0))  # fmt: skip
        result = replace(result, costs=tuple(ordered))
    return result


@dataclass
class _Expression:
    """One CEL text in a document, and what its variables stand for."""

    document: Document
    json_path: tuple[str | int, ...]
    text: str
    offset: int  # where ``text`` starts in the string at json_path (message placeholders)
    variables: tuple[str, ...]
    analysis: cel.analysis.Analysis
    item_paths: tuple[FieldPath, ...] | None = None  # what `item` stands for, below model
    context: _PolicyContext | None = None


@dataclass
class _PolicyContext:
    document: Document
    params: set[str]
    abstract: bool
    fields: SchemaFields | None


class _Linter:
    def __init__(
        self,
        catalogs: Sequence[ControlCatalog],
        model_schema: str | os.PathLike[str] | None,
        limits: Limits,
    ) -> None:
        self.backend = cel.get_backend()
        self.limits = limits
        self.controls = sorted({c for catalog in all_catalogs(catalogs) for c in catalog.ids()})
        self.default_schema = self._default_schema(model_schema)
        self.problems: dict[tuple[Location, str, str], Problem] = {}
        self.costs: list[Cost] = []
        self._lines: dict[str, list[str]] = {}
        self._files: dict[str, list[Document]] = {}
        # Each expression's string aligned with the file once, however many findings.
        self._locators: dict[tuple[str, int, tuple[str | int, ...]], Callable[[int], Location]] = {}

    # -- the run ---------------------------------------------------------------

    def run(self, paths: list[str]) -> LintResult:
        files = expand_paths(paths)
        queue: list[Document] = []
        for name in files:
            queue.extend(self._documents(name))
        names: dict[str, Location] = {}
        given = {os.path.abspath(name) for name in files}
        linted: set[tuple[str, int]] = set()
        expressions: list[_Expression] = []
        found = 0
        while queue:
            document = queue.pop(0)
            key = (os.path.abspath(document.source), document.index)
            if key in linted:
                continue
            linted.add(key)
            found += 1
            if key[0] in given:
                self._unique_name(document, names)
            expressions.extend(self._document(document))
            queue.extend(self._parents(document))
        if not found:
            raise UsageError(f"no policy found in {', '.join(paths)}")
        self._fields(expressions)
        problems = sorted(self.problems.values(), key=Problem.sort_key)
        return LintResult(tuple(problems), tuple(files), found)

    def _documents(self, name: str) -> list[Document]:
        """The Policy documents of a file; a file that does not load is a problem."""
        try:
            documents = load_file(name, self.limits)
        except PolicygateError as error:
            self._error(error, "load")
            return []
        policies = []
        for document in documents:
            try:
                kind = document_kind(document)
            except PolicygateError as error:
                self._error(error, "schema")
                continue
            if kind in POLICY_KINDS:
                policies.append(document)
        return policies

    def _report(
        self, location: Location, code: str, message: str, level: Level | None = None
    ) -> None:
        chosen = level or CHECKS[code].level
        self.problems.setdefault(
            (location, code, message), Problem(location, chosen, code, message)
        )

    def _error(self, error: PolicygateError, code: str) -> None:
        errors = error.errors if isinstance(error, ErrorGroup) else [error]
        for single in errors:
            text = str(single)
            location = single.location or Location("<unknown>")
            prefix = f"{location}: "
            message = text[len(prefix) :] if text.startswith(prefix) else single.message
            self._report(location, code, message)

    # -- one document ------------------------------------------------------------

    def _document(self, document: Document) -> list[_Expression]:
        schema_ok = self._compile(document)
        data = document.data if isinstance(document.data, dict) else {}
        spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
        assert isinstance(spec, dict)
        chain = self._chain(document)
        params: set[str] = set()
        for ancestor in chain:
            ancestor_spec = _mapping(_mapping(ancestor.data).get("spec"))
            params.update(str(k) for k in _mapping(ancestor_spec.get("params")))
        context = _PolicyContext(
            document=document,
            params=params,
            abstract=spec.get("abstract") is True,
            fields=self._schema_for(chain),
        )
        expressions: list[_Expression] = []
        applies_to = spec.get("applies_to")
        if isinstance(applies_to, str):
            outer = variables_of(_kind(document) or "Policy")
            expressions.extend(self._expressions(context, ("spec", "applies_to"), outer))
        rules = spec.get("rules") if isinstance(spec.get("rules"), list) else []
        assert isinstance(rules, list)
        for index, rule in enumerate(rules):
            if isinstance(rule, dict):
                expressions.extend(self._rule(context, index, rule))
        if schema_ok:
            self._duplicates_across_chain(document)
        return expressions

    def _compile(self, document: Document) -> bool:
        """Load errors, as ``check`` reports them. False when the schema refused the document."""
        try:
            compile_policy_document(document, limits=self.limits)
        except PolicygateError as error:
            errors = error.errors if isinstance(error, ErrorGroup) else [error]
            schema_ok = True
            for single in errors:
                code = _load_code(single)
                if code == "schema" and single.location and single.location.path == document.source:
                    schema_ok = False
                if single.code == "unknown-function":
                    continue  # the unknown-function check names it, with a did-you-mean
                self._error(single, code)
            return schema_ok
        return True

    def _rule(self, context: _PolicyContext, index: int, rule: dict[str, Any]) -> list[_Expression]:
        base: tuple[str | int, ...] = ("spec", "rules", index)
        document = context.document
        id_location = document.location((*base, "id"))
        raw_id = rule.get("id")
        rule_id = raw_id if isinstance(raw_id, str) else f"#{index}"
        expressions: list[_Expression] = []
        kind = _kind(document) or "Policy"
        for name in ("when", "for_each"):
            if isinstance(rule.get(name), str):
                expressions.extend(self._expressions(context, (*base, name), variables_of(kind)))
        item_paths: tuple[FieldPath, ...] | None = None
        for_each = [e for e in expressions if e.json_path[-1] == "for_each"]
        if for_each:
            collections = for_each[0].analysis.collections
            if collections and all(c.variable == "model" for c in collections):
                item_paths = tuple((*c.path, None) for c in collections)
        variables = variables_of(kind) + (ITEM_VARIABLES if "for_each" in rule else ())
        if isinstance(rule.get("check"), str):
            expressions.extend(self._expressions(context, (*base, "check"), variables))
        if isinstance(rule.get("message"), str):
            expressions.extend(self._placeholders(context, (*base, "message"), variables))
        for expression in expressions:
            expression.item_paths = item_paths
        self._controls(document, base, rule, rule_id)
        if not rule.get("controls") and kind == "Policy":  # an access rule judges a request
            self._report(
                id_location,
                "missing-controls",
                f"rule {rule_id!r} names no controls it gives evidence for",
            )
        if not (isinstance(rule.get("remediation"), str) and rule["remediation"].strip()):
            self._report(id_location, "missing-remediation", f"rule {rule_id!r} has no remediation")
        return expressions

    def _controls(
        self, document: Document, base: tuple[str | int, ...], rule: dict[str, Any], rule_id: str
    ) -> None:
        controls = rule.get("controls")
        if not isinstance(controls, list):
            return
        for position, control in enumerate(controls):
            if not isinstance(control, str) or control in self.controls:
                continue
            hint = did_you_mean(control, self.controls)
            suffix = f"; did you mean {hint!r}?" if hint else ""
            self._report(
                document.location((*base, "controls", position)),
                "unknown-control",
                f"unknown control id {control!r} in rule {rule_id!r}{suffix}",
            )

    # -- expressions ---------------------------------------------------------------

    def _expressions(
        self, context: _PolicyContext, path: tuple[str | int, ...], variables: tuple[str, ...]
    ) -> list[_Expression]:
        text = _get(context.document.data, path)
        try:
            analysis = cel.analyze(text)
        except cel.CELSyntaxError:
            return []  # compiling reported it
        expression = _Expression(
            context.document, path, text, 0, variables, analysis, context=context
        )
        self._variables(expression)
        self._functions(expression)
        self._cost(expression)
        if path[-1] in ("when", "applies_to", "check"):
            self._constant(expression)
        return [expression]

    def _placeholders(
        self, context: _PolicyContext, path: tuple[str | int, ...], variables: tuple[str, ...]
    ) -> list[_Expression]:
        try:
            parts = split_template(_get(context.document.data, path))
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
            expression = _Expression(
                context.document, path, part.text, part.offset, variables, analysis, context=context
            )
            self._variables(expression)
            self._functions(expression)
            self._cost(expression)
            found.append(expression)
        return found

    def _at(self, expression: _Expression, offset: int) -> Location:
        document = expression.document
        key = (document.source, document.index, expression.json_path)
        locate = self._locators.get(key)
        if locate is None:
            locate = inner_locator(document, expression.json_path, self._file_lines(document))
            self._locators[key] = locate
        return locate(expression.offset + offset)

    def _variables(self, expression: _Expression) -> None:
        context = expression.context
        assert context is not None
        for reference in expression.analysis.references:
            name = reference.variable
            if name not in expression.variables:
                continue  # a load error (UndeclaredVariableError), reported as unknown-variable
            if name == "params" and reference.path and isinstance(reference.path[0], str):
                param = reference.path[0]
                if param in context.params:
                    continue
                hint = did_you_mean(param, context.params)
                known = ", ".join(sorted(context.params)) or "none"
                message = f"unknown param {param!r}" + (
                    f"; did you mean {hint!r}?" if hint else f" (declared: {known})"
                )
                level = None
                if context.abstract:
                    message += "; every policy extending this one must declare it"
                    level = Level.WARNING
                self._report(
                    self._at(expression, reference.key_starts[0]), "unknown-param", message, level
                )

    def _functions(self, expression: _Expression) -> None:
        for name in sorted(expression.analysis.functions - CEL_FUNCTIONS):
            call = re.search(rf"\b{re.escape(name)}\s*\(", expression.text)
            offset = call.start() if call else 0
            hint = did_you_mean(name, CEL_FUNCTIONS)
            suffix = f"; did you mean {hint!r}?" if hint else ""
            self._report(
                self._at(expression, offset),
                "unknown-function",
                f"unknown function {name!r}{suffix}",
            )

    def _cost(self, expression: _Expression) -> None:
        """The static worst case (over the rule budget: always an error), and int
        literals in arithmetic with a document's doubles (always an error)."""
        try:
            worst = cel.analysis.worst_case(expression.text)
            ints = cel.analysis.int_arithmetic(expression.text)
        except cel.CELSyntaxError:
            return
        location = self._at(expression, 0)
        self.costs.append(Cost(location, expression.text, worst))
        budget = DEFAULT_BUDGET.cost
        if worst is not None and worst > budget:
            self._report(
                location,
                "cost-over-budget",
                f"the worst case is {worst:,} units, over the rule budget of {budget:,}:"
                " the expression always errors",
            )
        for offset, literal in ints:
            self._report(
                self._at(expression, offset),
                "int-arithmetic",
                f"the int literal {literal} meets a document number (a double) in"
                f" arithmetic, which is an error in CEL; write {literal}.0",
            )

    def _constant(self, expression: _Expression) -> None:
        if not expression.analysis.constant:
            return
        what = str(expression.json_path[-1])
        try:
            program = self.backend.compile(expression.text)
            activation = self.backend.activation(
                model={}, params={}, now=_dt.datetime.now(_dt.UTC), inputs={}
            )
            value = self.backend.to_python(program.evaluate(activation))
        except (cel.CELSyntaxError, cel.CELEvaluationError) as error:
            message = f"{what} does not depend on the model and cannot be evaluated: {error}"
        else:
            message = _constant_message(what, value)
        self._report(self._at(expression, 0), "constant-condition", message)

    # -- fields of the model -------------------------------------------------------

    def _fields(self, expressions: list[_Expression]) -> None:
        """Check every model field read; keys other rules read count as known."""
        reads: list[tuple[_Expression, Any, FieldPath, int]] = []
        seen: dict[FieldPath, set[str]] = {}
        for expression in expressions:
            for reference in expression.analysis.references:
                for path, skip in self._model_paths(expression, reference):
                    reads.append((expression, reference, path, skip))
                    for index, key in enumerate(path):
                        if isinstance(key, str):
                            seen.setdefault(path[:index], set()).add(key)
        checked: dict[tuple[int, FieldPath], FieldProblem | None] = {}  # same schema, same path
        for expression, reference, path, skip in reads:
            context = expression.context
            if context is None or context.fields is None:
                continue
            schema_path = (id(context.fields), path)
            if schema_path not in checked:
                checked[schema_path] = context.fields.check(path, seen)
            problem = checked[schema_path]
            if problem is None or problem.index < skip:
                continue
            key_index = problem.index - skip
            offset = (
                reference.key_starts[key_index]
                if key_index < len(reference.key_starts)
                else reference.start
            )
            written = expression.text[reference.start : reference.end]
            message = f"{written}: {problem.message}"
            self._report(self._at(expression, offset), "unknown-field", message, problem.level)
        self._request_fields(expressions)

    def _request_fields(self, expressions: list[_Expression]) -> None:
        """Every ``request`` field an access rule reads, against the request's shape
        (schemas/access-request.schema.json): a misspelt one would error and deny."""
        fields: SchemaFields | None = None
        for expression in expressions:
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
                self._report(self._at(expression, offset), "unknown-field",
                             f"{written}: {problem.message}", problem.level)  # fmt: skip

    def _model_paths(
        self, expression: _Expression, reference: cel.analysis.Reference
    ) -> Iterator[tuple[FieldPath, int]]:
        """The model paths a reference reads, each with how many leading keys come
        from elsewhere (the for_each collection that ``item`` stands for)."""
        if reference.variable == "model":
            yield reference.path, 0
        elif (
            reference.variable == "item"
            and expression.item_paths
            and "item" in expression.variables
        ):
            for prefix in expression.item_paths:
                yield (*prefix, *reference.path), len(prefix)

    # -- extends ---------------------------------------------------------------------

    def _parents(self, document: Document) -> list[Document]:
        spec = _mapping(_mapping(document.data).get("spec"))
        extends = spec.get("extends")
        if not isinstance(extends, list):
            return []
        parents = []
        for ref in extends:
            if not isinstance(ref, str):
                continue
            path = _base(document) / ref
            try:
                found = self._file(str(path))
            except PolicygateError:
                continue  # compiling reported it
            policies = [d for d in found if _kind(d) == _kind(document)]
            if len(policies) == 1:
                parents.append(policies[0])
        return parents

    def _file(self, name: str) -> list[Document]:
        key = os.path.abspath(name)
        if key not in self._files:
            self._files[key] = load_file(name, self.limits)
        return self._files[key]

    def _chain(self, document: Document) -> list[Document]:
        """The document and every policy it extends, parents first, each once."""
        order: list[Document] = []
        seen: set[tuple[str, int]] = set()

        def visit(current: Document) -> None:
            key = (os.path.abspath(current.source), current.index)
            if key in seen:
                return
            seen.add(key)
            for parent in self._parents(current):
                visit(parent)
            order.append(current)

        visit(document)
        return order

    def _duplicates_across_chain(self, document: Document) -> None:
        """Two parents defining the same rule id: the later silently wins."""
        owners: dict[str, tuple[str, Location]] = {}
        for position, parent in enumerate(self._parents(document)):
            for ancestor in self._chain(parent):
                rules = _mapping(_mapping(ancestor.data).get("spec")).get("rules")
                for index, rule in enumerate(rules if isinstance(rules, list) else []):
                    rule_id = _mapping(rule).get("id")
                    if not isinstance(rule_id, str):
                        continue
                    where = ancestor.location(("spec", "rules", index, "id"))
                    first = owners.get(rule_id)
                    if first is not None and first[1] != where and first[0] != str(position):
                        self._report(
                            document.location(("spec", "extends", position)),
                            "duplicate-id",
                            f"rule id {rule_id!r} is defined by two policies this one extends"
                            f" ({first[1]} and {where}); the later replaces the earlier",
                            Level.WARNING,
                        )
                    owners.setdefault(rule_id, (str(position), where))

    def _unique_name(self, document: Document, names: dict[str, Location]) -> None:
        name = _mapping(_mapping(document.data).get("metadata")).get("name")
        if not isinstance(name, str):
            return
        where = document.location(("metadata", "name"))
        if name in names:
            self._report(
                where,
                "duplicate-id",
                f"duplicate policy name {name!r} (first defined at {names[name]})",
            )
        else:
            names[name] = where

    # -- model schema ------------------------------------------------------------------

    def _default_schema(self, reference: str | os.PathLike[str] | None) -> SchemaFields:
        if reference is None:
            return SchemaFields(
                shipped_schema("ModelRecord"),
                "the ModelRecord schema",
                declared_level=Level.WARNING,
            )
        name = os.fspath(reference)
        documents = load_file(name, self.limits)
        if len(documents) != 1 or not isinstance(documents[0].data, dict):
            raise UsageError(f"--model-schema {name}: expected one JSON Schema object")
        return SchemaFields(documents[0].data, f"model schema {name}", declared_level=Level.WARNING)

    def _schema_for(self, chain: list[Document]) -> SchemaFields | None:
        """The model schema the nearest policy of the chain declares, else the default."""
        for document in reversed(chain):
            reference = _mapping(_mapping(document.data).get("spec")).get("model_schema")
            if not isinstance(reference, str):
                continue
            if reference == SHIPPED_MODEL_SCHEMA:
                return SchemaFields(
                    shipped_schema("ModelRecord"),
                    "the ModelRecord schema",
                    declared_level=Level.WARNING,
                )
            try:
                found = self._file(str(_base(document) / reference))
            except PolicygateError:
                return None  # compiling reported it
            if len(found) != 1 or not isinstance(found[0].data, dict):
                return None
            return SchemaFields(
                found[0].data, f"model schema {reference}", declared_level=Level.WARNING
            )
        return self.default_schema

    def _file_lines(self, document: Document) -> list[str]:
        source = document.source
        if source not in self._lines:
            try:
                text = Path(source).read_text("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._lines[source] = text.splitlines()
        return self._lines[source]


# The lint check each load error's code is reported under; any other code is ``load``.
LOAD_CHECKS = {
    "schema-invalid": "schema",
    "undeclared-variable": "unknown-variable",
    "cel-syntax": "cel-syntax",
    "cel-type": "cel-syntax",
    "expression-too-large": "cel-syntax",
    "message-syntax": "message-syntax",
    "duplicate-rule-id": "duplicate-id",
    "extends-unreadable": "extends",
    "extends-cycle": "extends",
    "model-schema-invalid": "model-schema",
}


def _load_code(error: PolicygateError) -> str:
    return LOAD_CHECKS.get(error.code, "load")


def _constant_message(what: str, value: Any) -> str:
    if what == "check":
        if value is True:
            return "check is always true: the rule can never fail"
        if value is False:
            return "check is always false: the rule always fails"
        return f"check is constant and not a bool ({value!r}): the rule always errors"
    subject = "the policy" if what == "applies_to" else "the rule"
    if value is True:
        return f"{what} is always true: {subject} always applies; remove {what}"
    if value is False:
        return f"{what} is always false: {subject} never applies"
    return f"{what} is constant and not a bool ({value!r}): {subject} always errors"


def _get(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _kind(document: Document) -> str | None:
    try:
        return document_kind(document)
    except PolicygateError:
        return None


def _base(document: Document) -> Path:
    if document.source in ("-", "<stdin>"):
        return Path.cwd()
    return Path(document.source).parent


__all__ = ["lint_paths", "render_path", "CEL_FUNCTIONS"]
