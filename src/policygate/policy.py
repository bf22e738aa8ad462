"""Policies: parse, validate, resolve ``extends`` and ``params``, compile every CEL
expression once.

Two stages, as a compiler has them: :func:`parse` reads a document into a
:class:`PolicyDocument` (validated, every CEL text with its place, nothing
compiled; what lint checks), and :func:`compile` turns that into a
:class:`Policy` (``Loader.compile`` within one load, with its ``extends``
chain resolved through :meth:`Loader.extended`, which lint follows too).

A loaded :class:`Policy` is self-contained: its parents' rules are merged in,
its params are final, and every expression is a compiled program that the
evaluator runs without looking at text again.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import cel
from .documents import DEFAULT_LIMITS, Document, Limits, load_file, load_paths, load_text
from .errors import (
    CELCompileError,
    ErrorGroup,
    JsonPath,
    LoadError,
    Location,
    NothingEvaluatedError,
    PolicyError,
    PolicygateError,
    UndeclaredVariableError,
    UsageError,
)
from .message import Placeholder, TemplateSyntaxError, split_template
from .validation import ShippedValidator, make_validator, validate_document

API_VERSION = "policygate/v1"
KINDS = (
    "Policy",
    "AccessPolicy",
    "ModelRecord",
    "Waiver",
    "RiskRegister",
    "ControlCatalog",
    "PolicyTest",
    "Approvers",
    "Attestation",
)
SEVERITIES = ("info", "warning", "error")
#: The policy name of the engine's own results (a model nothing was evaluated for, a
#: risk register's findings): reserved, so that no policy's rule reads as one of them.
ENGINE_RULE_POLICY = "policygate"
POLICY_VARIABLES = ("model", "params", "now", "inputs", "risks")
"""The variables of every expression of a policy (SPEC §3); ``risks`` (§12) is the
model's rated risks, and a rule that reads it is evaluated after the others."""
ITEM_VARIABLES = ("item", "key", "index")
"""Bound besides, in the ``check`` and ``message`` of a rule with ``for_each``."""
ACCESS_VARIABLES = (*POLICY_VARIABLES, "request")
"""The variables of an access policy's expressions (SPEC §8): ``request`` besides."""
POLICY_KINDS = ("Policy", "AccessPolicy")
ACTIONS = (
    "create-model", "update-model", "rename-model", "delete-model", "create-version",
    "update-version", "delete-version", "set-alias", "delete-alias", "transition-stage",
    "set-tag", "delete-tag",
)  # fmt: skip
"""The registry actions an access rule may judge (SPEC §8)."""
TYPE_NAMES = frozenset(
    {"bool", "int", "uint", "double", "string", "bytes", "list", "map", "null_type", "type",
     "dyn", "google"}  # fmt: skip
)
"""CEL's type identifiers (``type(x) == double``): names, never variables."""
SHIPPED_MODEL_SCHEMA = "policygate:ModelRecord"


@dataclass(frozen=True)
class Expression:
    """A compiled CEL expression and where it stands in its file."""

    text: str
    program: cel.Program = field(repr=False, compare=False)
    location: Location


@dataclass(frozen=True)
class Message:
    template: str
    parts: tuple[str | Placeholder, ...]
    programs: tuple[cel.Program, ...] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Rule:
    id: str
    check: Expression
    title: str = ""
    description: str = ""
    category: str = "other"
    severity: str = "error"
    when: Expression | None = None
    for_each: Expression | None = None
    message: Message | None = None
    controls: tuple[str, ...] = ()
    remediation: str = ""
    location: Location | None = None
    actions: tuple[str, ...] = ()
    """An access rule's registry actions (SPEC §8); empty: every action."""
    enforce_from: _dt.datetime | None = None
    """Staged enforcement: before this instant a failure is reported as a warning."""

    def judges(self, action: str) -> bool:
        """Whether this rule judges a request of ``action``."""
        return not self.actions or action in self.actions

    @property
    def reads_risks(self) -> bool:
        """Whether an expression of the rule reads ``risks`` (SPEC §12): such a rule
        is evaluated after the others, on the ratings their evidence gave."""
        found = [e.program for e in (self.check, self.when, self.for_each) if e is not None]
        found.extend(self.message.programs if self.message is not None else ())
        return any("risks" in cel.free_variables(program) for program in found)


@dataclass(frozen=True)
class ModelSchema:
    """The JSON Schema a policy requires of model documents."""

    reference: str
    validator: Any = field(repr=False, compare=False)
    location: Location | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    rules: tuple[Rule, ...]
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    title: str = ""
    version: str = ""
    description: str = ""
    applies_to: Expression | None = None
    model_schema: ModelSchema | None = None
    abstract: bool = False
    source: str = ""
    location: Location | None = None
    digest: str = ""
    kind: str = "Policy"
    """``Policy`` (promotion) or ``AccessPolicy`` (registry requests, SPEC §8)."""

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def with_params(self, overrides: Mapping[str, Any]) -> Policy:
        """The same policy with declared params overridden (unknown names ignored here)."""
        mine = {k: v for k, v in overrides.items() if k in self.params}
        if not mine:
            return self
        merged = dict(self.params)
        merged.update(mine)
        return replace(self, params=MappingProxyType(merged))


# --------------------------------------------------------------------------- parsed


@dataclass(frozen=True)
class Source:
    """A string of a policy as written, not compiled yet: a CEL expression, a message
    template, an ``extends`` or ``model_schema`` reference. ``path`` is its JSON
    path in the document, ``location`` where its value starts in the file."""

    text: str
    path: JsonPath
    location: Location


@dataclass(frozen=True)
class RuleDocument:
    """One rule as written: its CEL texts with their places, not compiled yet.

    Parsed from whatever shape the rule has (lint reads what parses of a rule the
    schema refuses); a field of the wrong type is ``None`` here and a schema
    error of its :class:`PolicyDocument`.
    """

    index: int
    id: str | None
    location: Location
    id_location: Location
    check: Source | None
    when: Source | None
    for_each: Source | None
    message: Source | None
    controls: tuple[tuple[Any, Location], ...]
    """Each control id as written (any type) and where it is."""
    remediation: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def path(self) -> JsonPath:
        return ("spec", "rules", self.index)

    @property
    def label(self) -> str:
        """The rule's id, or ``#index`` for a rule without one."""
        return self.id if self.id is not None else f"#{self.index}"


@dataclass(frozen=True)
class PolicyDocument:
    """A Policy or AccessPolicy document parsed and validated, not compiled: the
    one step ``lint`` and the loader share (:func:`parse`, then :func:`compile`).

    ``errors`` are the document's schema errors: :func:`compile` refuses a
    document that has any, while ``lint`` still checks what parses.
    """

    document: Document = field(repr=False, compare=False)
    kind: str
    name: str | None
    name_location: Location
    errors: tuple[PolicygateError, ...]
    params: Mapping[str, Any]
    extends: tuple[Source, ...]
    applies_to: Source | None
    model_schema: Source | None
    abstract: bool
    rules: tuple[RuleDocument, ...]

    @property
    def source(self) -> str:
        return self.document.source

    @property
    def key(self) -> str:
        """The document's identity in a load: its absolute path and index in the file."""
        return f"{_abspath(self.document.source)}#{self.document.index}"

    def location(self, path: JsonPath = ()) -> Location:
        return self.document.location(path)


def parse(document: Document) -> PolicyDocument:
    """A Policy or AccessPolicy document as written, with its schema errors (never
    raised here: see :class:`PolicyDocument`) and every string's place."""
    kind = document_kind(document) or "Policy"
    errors = tuple(validate_document(document, kind))
    data = _mapping(document.data)
    metadata, spec = _mapping(data.get("metadata")), _mapping(data.get("spec"))

    def source(path: JsonPath, value: Any) -> Source | None:
        return Source(value, path, document.location(path)) if isinstance(value, str) else None

    rules = []
    raw_rules = spec.get("rules")
    for index, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
        if not isinstance(raw, dict):
            continue
        base: JsonPath = ("spec", "rules", index)
        controls = raw.get("controls")
        rules.append(
            RuleDocument(
                index=index,
                id=raw["id"] if isinstance(raw.get("id"), str) else None,
                location=document.location(base),
                id_location=document.location((*base, "id")),
                check=source((*base, "check"), raw.get("check")),
                when=source((*base, "when"), raw.get("when")),
                for_each=source((*base, "for_each"), raw.get("for_each")),
                message=source((*base, "message"), raw.get("message")),
                controls=tuple(
                    (control, document.location((*base, "controls", position)))
                    for position, control in enumerate(
                        controls if isinstance(controls, list) else []
                    )
                ),
                remediation=raw["remediation"] if isinstance(raw.get("remediation"), str) else None,
                raw=raw,
            )
        )
    extends = spec.get("extends")
    references = [
        source(("spec", "extends", index), ref)
        for index, ref in enumerate(extends if isinstance(extends, list) else [])
    ]
    name = metadata.get("name")
    return PolicyDocument(
        document=document,
        kind=kind,
        name=name if isinstance(name, str) else None,
        name_location=document.location(("metadata", "name")),
        errors=errors,
        params=MappingProxyType(dict(_mapping(spec.get("params")))),
        extends=tuple(ref for ref in references if ref is not None),
        applies_to=source(("spec", "applies_to"), spec.get("applies_to")),
        model_schema=source(("spec", "model_schema"), spec.get("model_schema")),
        abstract=spec.get("abstract") is True,
        rules=tuple(rules),
    )


def compile(  # noqa: A001 - the stage's name, as cel-go and OPA call it
    parsed: PolicyDocument, *, limits: Limits = DEFAULT_LIMITS
) -> Policy:
    """A parsed policy compiled with its ``extends`` chain: every expression a program.

    Raises every load error of the document together (an :class:`ErrorGroup`
    when there are several).
    """
    return Loader(cel.get_backend(), limits).compile(parsed)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


# --------------------------------------------------------------------------- params


def parse_enforce_from(value: Any) -> _dt.datetime:
    """A rule's ``enforce_from``: a date (midnight UTC) or an RFC 3339 timestamp."""
    from .timestamps import parse_timestamp

    if isinstance(value, str) and len(value) == 10:
        value = value + "T00:00:00Z"
    if not isinstance(value, str):
        raise ValueError(f"expected a date (YYYY-MM-DD) or an RFC 3339 timestamp, not {value!r}")
    return parse_timestamp(value)


def parse_param(assignment: str) -> tuple[str, Any]:
    """``NAME=VALUE`` with VALUE read as YAML (``0.9``, ``true``, ``[a, b]``)."""
    name, sep, raw = assignment.partition("=")
    name = name.strip()
    if not sep or not name:
        raise UsageError(f"--param {assignment!r}: expected NAME=VALUE", code="param-syntax")
    if not name.isidentifier():
        raise UsageError(
            f"--param {assignment!r}: {name!r} is not a parameter name", code="param-syntax"
        )
    try:
        documents = load_text(raw, f"--param {name}")
    except LoadError as error:
        raise UsageError(
            f"--param {name}: value does not parse: {error.message}", code="param-syntax"
        ) from None
    if len(documents) > 1:
        raise UsageError(f"--param {name}: value holds several YAML documents", code="param-syntax")
    return name, documents[0].data if documents else None


def apply_params(policies: Sequence[Policy], overrides: Mapping[str, Any]) -> list[Policy]:
    """Override params in every policy that declares them; an unknown name is a usage error."""
    declared = {name for policy in policies for name in policy.params}
    unknown = sorted(set(overrides) - declared)
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        names = ", ".join(unknown)
        raise UsageError(
            f"unknown param {names} (the loaded policies declare: {known})", code="param-unknown"
        )
    for name, value in overrides.items():
        for policy in policies:
            if name in policy.params:
                _check_param_type(policy, name, policy.params[name], value)
    return [policy.with_params(overrides) for policy in policies]


_PARAM_KINDS = (("a bool", (bool,)), ("a number", (int, float)), ("a string", (str,)),
                ("a list", (list, tuple)), ("a map", (dict, Mapping)))  # fmt: skip


def _param_kind(value: Any) -> str | None:
    """What kind of value ``value`` is, as a parameter's type (a bool is no number)."""
    for kind, types in _PARAM_KINDS:
        if isinstance(value, types):
            return kind
    return None


def _check_param_type(policy: Policy, name: str, default: Any, value: Any) -> None:
    """A ``--param`` must be of its default's kind (SPEC §5): ``min_auc=abc`` would
    otherwise fail every model with an error instead of stopping the run."""
    expected = _param_kind(default)
    if expected is None or _param_kind(value) == expected:
        return
    shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else repr(value[:40])
    raise UsageError(
        f"--param {name}={shown} is not {expected}, as its default in policy "
        f"{policy.name!r} is ({default!r})",
        code="param-type",
    )


# --------------------------------------------------------------------------- loading


def load_policies(
    paths: Sequence[str | os.PathLike[str]],
    *,
    params: Mapping[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kind: str = "Policy",
) -> list[Policy]:
    """Load every ``kind`` document under ``paths`` (files, directories, ``-``).

    ``kind`` is ``Policy`` (promotion policies, the default) or ``AccessPolicy``
    (SPEC §8); documents of the other kind are passed over, as every other kind
    is, so a directory may hold both. Abstract policies (``spec.abstract: true``)
    are loaded for ``extends`` but not returned. All load errors are collected
    and raised together, sorted by location.
    """
    if kind not in POLICY_KINDS:
        raise UsageError(f"kind must be one of {', '.join(POLICY_KINDS)}, got {kind!r}")
    loader = Loader(cel.get_backend(), limits)
    documents = load_paths([os.fspath(p) for p in paths], limits)
    policies: list[Policy] = []
    errors: list[PolicygateError] = []
    seen: dict[str, Location | None] = {}
    for document in documents:
        try:
            if document_kind(document) != kind:
                continue
            policy = loader.policy(document)
        except ErrorGroup as group:
            errors.extend(group.errors)
            continue
        except PolicygateError as error:
            errors.append(error)
            continue
        if policy.name in seen:
            errors.append(
                PolicyError(
                    f"duplicate policy name {policy.name!r} (first defined at {seen[policy.name]})",
                    document.location(("metadata", "name")),
                    code="duplicate-policy-name",
                )
            )
            continue
        seen[policy.name] = policy.location
        if not policy.abstract:
            policies.append(policy)
    if errors:
        # A broken parent is reached once on its own and once through each child.
        errors = list({str(error): error for error in errors}.values())
        raise ErrorGroup.of(errors)
    if not policies:
        where = ", ".join(os.fspath(p) for p in paths)
        what = "access policy" if kind == "AccessPolicy" else "policy"
        raise NothingEvaluatedError(f"no {what} found in {where}")
    if params:
        policies = apply_params(policies, params)
    return policies


def document_kind(document: Document) -> str | None:
    """The ``kind`` of a typed document, ``None`` for an untyped one.

    A document that claims ``apiVersion: policygate/v1`` with an unknown kind is
    an error, so a typo cannot make a policy silently disappear.
    """
    data = document.data
    if not isinstance(data, dict) or "kind" not in data and "apiVersion" not in data:
        return None
    api = data.get("apiVersion")
    kind = data.get("kind")
    if api != API_VERSION:
        if isinstance(kind, str) and kind in KINDS:
            raise LoadError(
                f"apiVersion must be {API_VERSION!r}, got {api!r}",
                document.location(("apiVersion",) if "apiVersion" in data else ()),
                code="unknown-kind",
            )
        return None
    if kind not in KINDS:
        raise LoadError(
            f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})",
            document.location(("kind",) if "kind" in data else ()),
            code="unknown-kind",
        )
    return str(kind)


class Loader:
    """One load: parses each policy document once (:meth:`parse`), resolves its
    ``extends`` (:meth:`extended`) and compiles it (:meth:`compile`), caching
    files, parsed documents and programs. ``lint`` walks the same steps."""

    def __init__(self, backend: cel.Backend, limits: Limits) -> None:
        self.backend = backend
        self.limits = limits
        self._programs: dict[str, cel.Program] = {}
        self._resolved: dict[str, Policy] = {}
        self._parsed: dict[str, PolicyDocument] = {}
        self._files: dict[str, list[Document]] = {}
        self._raw_lines: dict[str, list[str]] = {}

    # -- documents -------------------------------------------------------------

    def policy(self, document: Document) -> Policy:
        """:meth:`parse` then :meth:`compile`."""
        return self.compile(self.parse(document))

    def parse(self, document: Document) -> PolicyDocument:
        key = f"{_abspath(document.source)}#{document.index}"
        found = self._parsed.get(key)
        if found is None or found.document is not document:
            found = self._parsed[key] = parse(document)
        return found

    def extended(self, parsed: PolicyDocument, ref: Source) -> PolicyDocument:
        """The policy an ``extends`` entry names, parsed; a :class:`PolicyError`
        (``extends-unreadable``) when its file does not load or does not hold
        exactly one policy of the same kind."""
        base = Path.cwd() if parsed.source in ("-", "<stdin>") else Path(parsed.source).parent
        path = base / ref.text
        try:
            found = [d for d in self.file(path) if document_kind(d) == parsed.kind]
        except LoadError as error:
            raise PolicyError(
                f"extends {ref.text!r}: {error}", ref.location, code="extends-unreadable"
            ) from None
        if len(found) != 1:
            raise PolicyError(
                f"extends {ref.text!r}: expected exactly one {parsed.kind} in {path},"
                f" found {len(found)}",
                ref.location,
                code="extends-unreadable",
            )
        return self.parse(found[0])

    def file(self, path: str | os.PathLike[str]) -> list[Document]:
        """The documents of a file, read once per load."""
        key = os.path.abspath(path)
        if key not in self._files:
            self._files[key] = load_file(path, self.limits)
        return self._files[key]

    def compile(self, parsed: PolicyDocument, chain: tuple[str, ...] = ()) -> Policy:
        """The policy with its parents' rules and params merged in and every
        expression compiled; raises all of its load errors together."""
        if parsed.errors:
            raise ErrorGroup.of(parsed.errors)
        document, kind, key = parsed.document, parsed.kind, parsed.key
        if key in self._resolved:
            return self._resolved[key]

        errors: list[PolicygateError] = []
        parents: list[Policy] = []
        for ref in parsed.extends:
            try:
                extended = self.extended(parsed, ref)
                if extended.key in (*chain, key):
                    cycle = " -> ".join(k.split("#")[0] for k in (*chain, key, extended.key))
                    raise PolicyError(f"extends cycle: {cycle}", ref.location, code="extends-cycle")
                parents.append(self.compile(extended, (*chain, key)))
            except ErrorGroup as group:  # report them with this policy's own errors
                errors.extend(group.errors)
            except PolicygateError as error:
                errors.append(error)

        params: dict[str, Any] = {}
        for parent in parents:
            params.update(parent.params)
        params.update(parsed.params)

        rules: dict[str, Rule] = {}
        for parent in parents:
            for rule in parent.rules:
                rules[rule.id] = rule
        own_ids: dict[str, Location] = {}
        for written in parsed.rules:
            assert written.id is not None  # the schema requires it
            if written.id in own_ids:
                errors.append(
                    PolicyError(
                        f"duplicate rule id {written.id!r}"
                        f" (first at line {own_ids[written.id].line})",
                        written.id_location,
                        code="duplicate-rule-id",
                    )
                )
                continue
            own_ids[written.id] = written.id_location
            try:
                rules[written.id] = self._rule(parsed, written)
            except ErrorGroup as group:
                errors.extend(group.errors)
            except PolicygateError as error:
                errors.append(error)

        applies_to = None
        if parsed.applies_to is not None:
            try:
                applies_to = self._expression(document, parsed.applies_to.path, variables_of(kind))
            except PolicygateError as error:
                errors.append(error)
        elif parents:
            applies_to = next((p.applies_to for p in reversed(parents) if p.applies_to), None)
        if applies_to is not None and "risks" in cel.free_variables(applies_to.program):
            reader = "is of a policy whose applies_to reads risks"
            errors.extend(
                risks_rule_with_controls(rule.id, rule.location or document.location(), reader)
                for rule in rules.values()
                if rule.controls
            )

        model_schema = None
        if parsed.model_schema is not None:
            try:
                model_schema = self._model_schema(document, parsed.model_schema.text)
            except PolicygateError as error:
                errors.append(error)
        elif parents:
            model_schema = next(
                (p.model_schema for p in reversed(parents) if p.model_schema), None
            )

        if document.data["metadata"]["name"] == ENGINE_RULE_POLICY:
            errors.append(
                PolicyError(
                    f"policy name {ENGINE_RULE_POLICY!r} is reserved: the engine's own results "
                    f"(such as {ENGINE_RULE_POLICY}/applicability) are named so; rename the policy",
                    document.location(("metadata", "name")),
                    code="reserved-policy-name",
                )
            )
        if errors:
            raise ErrorGroup.of(errors)

        data = document.data
        metadata = data["metadata"]
        digest_input = {
            "document": data,
            "parents": [p.digest for p in parents],
            "model_schema": model_schema.reference if model_schema else None,
        }
        policy = Policy(
            name=metadata["name"],
            title=metadata.get("title", ""),
            version=metadata.get("version", ""),
            description=metadata.get("description", ""),
            params=MappingProxyType(params),
            applies_to=applies_to,
            model_schema=model_schema,
            rules=tuple(rules.values()),
            abstract=parsed.abstract,
            source=document.source,
            location=document.location(),
            digest="sha256:" + hashlib.sha256(canonical_json(digest_input)).hexdigest(),
            kind=kind,
        )
        self._resolved[key] = policy
        return policy

    def _rule(self, parsed: PolicyDocument, written: RuleDocument) -> Rule:
        document, raw, base = parsed.document, written.raw, written.path
        errors: list[PolicygateError] = []

        outer = variables_of(parsed.kind)
        variables = outer + (ITEM_VARIABLES if written.for_each is not None else ())

        def expr(source: Source | None, names: tuple[str, ...]) -> Expression | None:
            if source is None:
                return None
            try:
                return self._expression(document, source.path, names)
            except PolicygateError as error:
                errors.append(error)
                return None

        check = expr(written.check, variables)
        when = expr(written.when, outer)
        for_each = expr(written.for_each, outer)
        message = None
        if written.message is not None:
            try:
                message = self._message(document, written.message.path, variables)
            except PolicygateError as error:
                errors.append(error)
        actions: tuple[str, ...] = ()
        if "actions" in raw:
            try:
                actions = self._actions(document, base, raw)
            except ErrorGroup as group:
                errors.extend(group.errors)
            except PolicygateError as error:
                errors.append(error)
        enforce_from = None
        if "enforce_from" in raw:
            try:
                enforce_from = parse_enforce_from(raw["enforce_from"])
            except ValueError as error:
                errors.append(PolicyError(f"enforce_from: {error}",
                                          document.location((*base, "enforce_from")),
                                          code="enforce-from-invalid"))  # fmt: skip
        if errors or check is None:
            raise ErrorGroup.of(errors)
        rule = Rule(
            id=raw["id"],
            check=check,
            title=raw.get("title", ""),
            description=raw.get("description", ""),
            category=raw.get("category", "other"),
            severity=raw.get("severity", "error"),
            when=when,
            for_each=for_each,
            message=message,
            controls=tuple(raw.get("controls") or ()),
            remediation=raw.get("remediation", ""),
            location=document.location(base),
            actions=actions,
            enforce_from=enforce_from,
        )
        if rule.controls and rule.reads_risks:
            raise risks_rule_with_controls(rule.id, document.location((*base, "controls")))
        return rule

    @staticmethod
    def _actions(
        document: Document, base: tuple[str | int, ...], raw: Mapping[str, Any]
    ) -> tuple[str, ...]:
        """An access rule's ``actions``; an unknown one is a load error at its place."""
        errors: list[PolicygateError] = []
        for position, action in enumerate(raw["actions"]):
            if action not in ACTIONS:
                where = document.location((*base, "actions", position))
                errors.append(PolicyError(unknown_action_message(action), where,
                                          code="unknown-action"))  # fmt: skip
        if errors:
            raise ErrorGroup.of(errors)
        return tuple(raw["actions"])

    # -- CEL -------------------------------------------------------------------

    def _compile(self, text: str) -> cel.Program:
        program = self._programs.get(text)
        if program is None:
            program = self.backend.compile(text)
            self._programs[text] = program
        return program

    def _expression(
        self,
        document: Document,
        path: tuple[str | int, ...],
        variables: tuple[str, ...] = POLICY_VARIABLES,
    ) -> Expression:
        text = _get(document.data, path)
        location = document.location(path)
        try:
            program = self._compile(text)
        except cel.CELSyntaxError as error:
            at = self._inner_location(document, path, _offset(text, error.line, error.column))
            message = f"CEL {error.message} in {path[-1]}"
            raise CELCompileError(message, at, code=error.code) from None
        self._declared(document, path, text, 0, variables)
        return Expression(text, program, location)

    def _declared(
        self,
        document: Document,
        path: tuple[str | int, ...],
        text: str,
        offset: int,
        variables: tuple[str, ...],
    ) -> None:
        """Refuse a reference to a variable the expression does not have (SPEC §3): a
        typo (``modle``) or ``item`` outside ``for_each`` would otherwise be an
        evaluation error that a ``!`` or ``||`` turns into a pass."""
        program = self._compile(text)
        unknown = cel.free_variables(program) - set(variables) - TYPE_NAMES
        if not unknown:
            return
        # Only now the syntax analysis, for where the first one is written.
        for reference in cel.analyze(text).references:
            if reference.variable in unknown:
                at = self._inner_location(document, path, offset + reference.start)
                raise UndeclaredVariableError(undeclared_message(reference.variable, variables), at)
        name = sorted(unknown)[0]
        at = self._inner_location(document, path, offset)
        raise UndeclaredVariableError(undeclared_message(name, variables), at)

    def _message(
        self,
        document: Document,
        path: tuple[str | int, ...],
        variables: tuple[str, ...] = POLICY_VARIABLES,
    ) -> Message:
        template = _get(document.data, path)
        try:
            parts = split_template(template)
        except TemplateSyntaxError as error:
            at = self._inner_location(document, path, error.offset)
            raise PolicyError(f"message: {error}", at, code="message-syntax") from None
        programs = []
        for part in parts:
            if isinstance(part, Placeholder):
                try:
                    programs.append(self._compile(part.text))
                except cel.CELSyntaxError as error:
                    offset = part.offset + _offset(part.text, error.line, error.column)
                    at = self._inner_location(document, path, offset)
                    code = "unknown-function" if error.code == "unknown-function" else None
                    raise CELCompileError(
                        f"CEL {error.message} in message placeholder {{{part.text}}}",
                        at,
                        code=code or "message-syntax",
                    ) from None
                self._declared(document, path, part.text, part.offset, variables)
        return Message(template, tuple(parts), tuple(programs))

    def _inner_location(
        self, document: Document, path: tuple[str | int, ...], offset: int
    ) -> Location:
        """Where character ``offset`` of the string at ``path`` is written in the file.

        Follows the scalar's YAML style (plain, quoted with escapes, literal or
        folded block, folded over several lines); falls back to the start of the
        value when the file cannot be read back (standard input, say).
        """
        return inner_location(document, path, offset, self._lines(document.source))

    def _lines(self, source: str) -> list[str]:
        if source not in self._raw_lines:
            try:
                text = Path(source).read_text("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._raw_lines[source] = text.splitlines()
        return self._raw_lines[source]

    # -- model schema ----------------------------------------------------------

    def _model_schema(self, document: Document, reference: str) -> ModelSchema:
        where = document.location(("spec", "model_schema"))
        if reference == SHIPPED_MODEL_SCHEMA:
            return ModelSchema(reference, ShippedValidator("ModelRecord"), where)
        base = Path.cwd() if document.source in ("-", "<stdin>") else Path(document.source).parent
        path = base / reference
        try:
            docs = load_file(path, self.limits)
        except LoadError as error:
            raise PolicyError(
                f"model_schema {reference!r}: {error}", where, code="model-schema-invalid"
            ) from None
        if len(docs) != 1 or not isinstance(docs[0].data, dict):
            raise PolicyError(f"model_schema {reference!r}: expected one JSON Schema object",
                              where, code="model-schema-invalid")  # fmt: skip
        import jsonschema  # only for a policy that brings its own model schema

        try:  # a $ref may lead beside or below the schema or the policy, never to the network
            validator = make_validator(
                docs[0].data, directories=(path.parent, base), limits=self.limits
            )
        except jsonschema.SchemaError as error:
            raise PolicyError(
                f"model_schema {reference!r} is not a valid JSON Schema: {error.message}", where,
                code="model-schema-invalid",
            ) from None
        except LoadError as error:
            raise PolicyError(
                f"model_schema {reference!r}: {error}", where, code="model-schema-invalid"
            ) from None
        return ModelSchema(str(path), validator, where)


def inner_location(
    document: Document, path: tuple[str | int, ...], offset: int, lines: Sequence[str]
) -> Location:
    """Where character ``offset`` of the string at ``path`` is written, given the
    file's ``lines``; the start of the value when they cannot be aligned."""
    return inner_locator(document, path, lines)(offset)


def inner_locator(
    document: Document, path: tuple[str | int, ...], lines: Sequence[str]
) -> Callable[[int], Location]:
    """:func:`inner_location` of every offset of one string, aligned once (``lint``
    asks for several places in each expression)."""
    start = document.location(path)
    if start.line is None or start.column is None:
        return lambda offset: start
    value = _get(document.data, path)
    begin = _verbatim(lines, start.line, start.column, value)  # the usual case: no list
    positions = scalar_positions(lines, start.line, start.column, value) if begin is None else None
    size = len(value) if begin is not None else len(positions or ())
    if not size:
        return lambda offset: start

    def position(index: int) -> tuple[int, int]:  # what scalar_positions()[index] is
        if positions is not None:
            return positions[index]
        assert begin is not None and start.line is not None
        return start.line, begin + 1 + range(size)[index]

    def locate(offset: int) -> Location:
        if offset < size:
            return Location(start.path, *position(offset))
        line, column = position(-1)  # the end of the expression
        return Location(start.path, line, column + 1)

    return locate


def risks_rule_with_controls(
    rule_id: str, where: Location, reader: str = "reads risks"
) -> PolicyError:
    """A rule that reads ``risks`` may give no evidence for a control: its result
    would change the ratings it reads (SPEC §12)."""
    return PolicyError(
        f"rule {rule_id!r} {reader} and names controls: a rule that reads the risk "
        "ratings gives no evidence for the controls they are rated from; move the "
        "controls to a rule that does not read risks",
        where,
        code="risks-rule-controls",
    )


def variables_of(kind: str) -> tuple[str, ...]:
    """The variables of a ``kind`` document's expressions (``request`` in access policies)."""
    return ACCESS_VARIABLES if kind == "AccessPolicy" else POLICY_VARIABLES


def unknown_action_message(action: Any) -> str:
    """What loading a policy and authorizing a request say of an unknown action."""
    import difflib  # only to word an error

    close = difflib.get_close_matches(str(action), ACTIONS, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(ACTIONS)})"
    return f"unknown action {action!r}{hint}"


def undeclared_message(name: str, variables: Sequence[str]) -> str:
    """What ``check`` and ``lint`` say of a reference to ``name``."""
    if name in ITEM_VARIABLES:
        return f"{name!r} is only bound inside a rule with for_each"
    import difflib  # only to word an error

    close = difflib.get_close_matches(name, variables, n=1, cutoff=0.6)
    if close:
        return f"undeclared variable {name!r}; did you mean {close[0]!r}?"
    return f"undeclared variable {name!r} (known: {', '.join(variables)})"


def _get(data: Any, path: Iterable[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


def _offset(text: str, line: int, column: int) -> int:
    """The index in ``text`` of 1-based ``line``/``column`` (as a CEL parser reports them)."""
    lines = text.split("\n")
    before = sum(len(part) + 1 for part in lines[: max(line, 1) - 1])
    return before + max(column, 1) - 1


_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
    "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
    "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}

# (text it stands for, 1-based line, 1-based column, raw whitespace that folding may drop)
_Unit = tuple[str, int, int, bool]


def scalar_positions(
    lines: Sequence[str], line: int, column: int, value: str
) -> list[tuple[int, int]] | None:
    """The 1-based (line, column) in the file of every character of a YAML string.

    ``lines`` is the file's text, ``line``/``column`` where the scalar starts (its
    quote or block indicator). Rather than re-implement YAML's folding rules, the
    characters the source stands for are aligned with the loaded ``value``: raw
    whitespace and line breaks may be dropped or folded into a space, anything
    else must match. ``None`` when they cannot be aligned.
    """
    if not 0 < line <= len(lines):
        return None
    begin = _verbatim(lines, line, column, value)
    if begin is not None:
        return [(line, begin + 1 + i) for i in range(len(value))]
    return _aligned(lines, line, column, value)


def _aligned(
    lines: Sequence[str], line: int, column: int, value: str
) -> list[tuple[int, int]] | None:
    """:func:`scalar_positions` the long way: the source walked character by character."""
    if not 0 < line <= len(lines):
        return None
    opener = lines[line - 1][column - 1 : column]
    if opener in ("|", ">"):
        units = _raw_units(lines, line, 0)  # the content starts on the next line
    elif opener == "'":
        units = _single_quoted_units(lines, line - 1, column)
    elif opener == '"':
        units = _double_quoted_units(lines, line - 1, column)
    else:
        units = _raw_units(lines, line - 1, column - 1)
    positions: list[tuple[int, int]] = []
    for char in value:
        for text, at_line, at_column, raw_space in units:
            if text == char or (raw_space and char == " " and text == "\n"):
                positions.append((at_line, at_column))
                break
            if not raw_space:
                return None
        else:
            return None
    return positions


def _verbatim(lines: Sequence[str], line: int, column: int, value: str) -> int | None:
    """The usual case, found without the walk of :func:`scalar_positions`: the string
    written as it is on its line (nothing escaped, quoted or folded), where the walk
    would find each character in turn. The 0-based index where it starts, if so."""
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    opener = text[column - 1 : column]
    if opener in ("|", ">"):
        return None
    begin = column if opener in ("'", '"') else column - 1
    special = {"'": "'", '"': '"\\'}.get(opener, "")
    if text[begin : begin + len(value)] != value or any(char in value for char in special):
        return None
    return begin


def _raw_units(lines: Sequence[str], row: int, column: int) -> Iterator[_Unit]:
    """Every character from 0-based ``row``/``column`` on, each line ending in a break."""
    for index in range(row, len(lines)):
        text = lines[index]
        for position in range(column if index == row else 0, len(text)):
            char = text[position]
            yield char, index + 1, position + 1, char in " \t"
        yield "\n", index + 1, len(text) + 1, True


def _single_quoted_units(lines: Sequence[str], row: int, column: int) -> Iterator[_Unit]:
    units = _raw_units(lines, row, column)  # column: just after the opening quote
    for unit in units:
        if unit[0] == "'":
            following = next(units, None)
            if following is None or following[0] != "'":
                return  # the closing quote
            yield "'", unit[1], unit[2], False
        else:
            yield unit


def _double_quoted_units(lines: Sequence[str], row: int, column: int) -> Iterator[_Unit]:
    units = _raw_units(lines, row, column)
    for unit in units:
        text, at_line, at_column, _ = unit
        if text == '"':
            return
        if text != "\\":
            yield unit
            continue
        escaped = next(units, None)
        if escaped is None:
            return
        if escaped[0] == "\n" and escaped[3]:
            continue  # an escaped line break joins the lines
        if escaped[0] in _HEX_ESCAPES:
            digits = "".join(next(units, ("",))[0] for _ in range(_HEX_ESCAPES[escaped[0]]))
            try:
                yield chr(int(digits, 16)), at_line, at_column, False
            except ValueError:
                return
        else:
            yield _ESCAPES.get(escaped[0], escaped[0]), at_line, at_column, False


def _abspath(source: str) -> str:
    return source if source in ("-", "<stdin>") else os.path.abspath(source)


def canonical_json(data: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces, UTF-8) for digests."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
