"""PolicyTest documents -> test suites, every mistake an error with file:line:col.

A test that names a rule no loaded policy has, a model that does not load or an
expectation with an unknown status is a load error, never a test that passes
because it checks nothing.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..access.decide import DECISION_RULES
from ..documents import DEFAULT_LIMITS, Document, Limits, expand_paths, load_file
from ..errors import (
    ErrorGroup,
    JsonPath,
    Location,
    NothingEvaluatedError,
    PolicyError,
    PolicygateError,
)
from ..lint.fields import did_you_mean
from ..models import ModelRecord, load_models, model_from_data
from ..policy import ENGINE_RULE_POLICY, Policy, document_kind, load_policies
from ..report import Status
from ..timestamps import parse_timestamp, utc_now
from ..validation import validate_document
from ..waivers import Waiver, duplicate_names, load_waivers, waiver_from_document

if TYPE_CHECKING:
    from ..graph.build import RiskGraph

_REF = re.compile(r"^(?:(?P<policy>[^/\[\]]+)/)?(?P<rule>[^/\[\]]+)(?:\[(?P<item>.*)\])?$")


@dataclass(frozen=True)
class RuleExpectation:
    """What one rule (or one element of a for_each rule) must give."""

    ref: str  # as written
    policy: str
    rule: str
    item: str | None
    status: Status | None
    message: re.Pattern[str] | None
    waiver: str | None
    location: Location

    @property
    def subject(self) -> str:
        item = f"[{self.item}]" if self.item is not None else ""
        return f"{self.policy}/{self.rule}{item}"


@dataclass(frozen=True)
class TestCase:
    name: str
    suite: str
    location: Location
    model: ModelRecord | None  # None: a request case that targets no version
    params: Mapping[str, Any]
    inputs: Mapping[str, Any]
    waivers: tuple[Waiver, ...]
    fail_on: str
    passed: bool | None
    rules: tuple[RuleExpectation, ...]
    now: str | None = None
    request: Mapping[str, Any] | None = None
    """A registry request: the case is judged by :func:`policygate.authorize`."""
    allowed: bool | None = None

    @property
    def subject(self) -> str:
        if self.model is not None:
            return self.model.ref
        assert self.request is not None
        return str(self.request.get("target", {}).get("model", "request"))


@dataclass(frozen=True)
class TestSuite:
    name: str
    source: str
    location: Location
    policies: tuple[Policy, ...]
    cases: tuple[TestCase, ...]
    # spec.risk_registers: the graph every case is evaluated with (SPEC §12), or None
    risk_graph: RiskGraph | None = None


def load_suites(
    paths: Sequence[str | os.PathLike[str]],
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> list[TestSuite]:
    """Every PolicyTest document under ``paths``; other kinds are skipped.

    Raises the errors of every file together; :class:`NothingEvaluatedError`
    when no test is found.
    """
    suites: list[TestSuite] = []
    errors: list[PolicygateError] = []
    files = expand_paths([os.fspath(p) for p in paths])
    for name in files:
        try:
            documents = load_file(name, limits)
        except PolicygateError as error:
            errors.append(error)
            continue
        for document in documents:
            try:
                if document_kind(document) != "PolicyTest":
                    continue
                suites.append(_Suite(document, limits).load())
            except ErrorGroup as group:
                errors.extend(group.errors)
            except PolicygateError as error:
                errors.append(error)
    if errors:
        raise ErrorGroup.of(errors)
    if not suites:
        where = ", ".join(os.fspath(p) for p in paths)
        raise NothingEvaluatedError(f"no test found in {where} (kind: PolicyTest)")
    return suites


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: a mapping merges key by key, ``null`` removes a key,
    anything else replaces the target."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def subdocument(document: Document, path: JsonPath) -> Document:
    """The value at ``path`` as a document of its own that keeps its places in the file."""
    size = len(path)
    data: Any = document.data
    for part in path:
        data = data[part]
    positions = {p[size:]: v for p, v in document.positions.items() if p[:size] == path}
    keys = {p[size:]: v for p, v in document.key_positions.items() if p[:size] == path}
    return Document(document.source, document.index, data, positions, keys)


class _Suite:
    def __init__(self, document: Document, limits: Limits) -> None:
        self.document = document
        self.limits = limits
        self.errors: list[PolicygateError] = []
        self.base = (
            Path.cwd() if document.source in ("-", "<stdin>") else Path(document.source).parent
        )

    def at(self, *path: str | int) -> Location:
        return self.document.location(path)

    def load(self) -> TestSuite:
        problems = validate_document(self.document, "PolicyTest")
        if problems:
            raise ErrorGroup.of(problems)
        data = self.document.data
        spec = data["spec"]
        policies = self._policies(spec["policies"])
        risk_graph = self._risk_graph(spec.get("risk_registers"), policies)
        self.policy_rules = self._rule_index(policies)
        cases: list[TestCase] = []
        seen: dict[str, Location] = {}
        for index, raw in enumerate(spec["tests"]):
            where = self.at("spec", "tests", index, "name")
            if raw["name"] in seen:
                self.errors.append(
                    PolicyError(
                        f"duplicate test name {raw['name']!r}"
                        f" (first at line {seen[raw['name']].line})",
                        where,
                    )
                )
                continue
            seen[raw["name"]] = where
            case = self._case(spec, index, raw, policies)
            if case is not None:
                cases.append(case)
        if self.errors:
            raise ErrorGroup.of(self.errors)
        return TestSuite(
            name=data["metadata"]["name"],
            source=self.document.source,
            location=self.at(),
            policies=tuple(policies),
            cases=tuple(cases),
            risk_graph=risk_graph,
        )

    # -- policies ----------------------------------------------------------------

    def _risk_graph(self, refs: list[str] | None, policies: list[Policy]) -> RiskGraph | None:
        """The graph of ``spec.risk_registers`` and the suite's policies, as ``check
        --risk-register`` builds it; its load errors join the suite's."""
        if not refs:
            return None
        from ..graph.build import load_risk_graph

        try:
            return load_risk_graph(
                [self.base / ref for ref in refs],
                [p for p in policies if p.kind == "Policy"],
                limits=self.limits,
            )
        except PolicygateError as error:
            if error.location is not None and error.location.line is None:
                where = self.at("spec", "risk_registers")
                self.errors.append(PolicyError(f"risk_registers: {error}", where))
            else:
                self.errors.extend(error.errors if isinstance(error, ErrorGroup) else [error])
            return None

    def _policies(self, refs: list[str]) -> list[Policy]:
        policies: list[Policy] = []
        for index, ref in enumerate(refs):
            where = self.at("spec", "policies", index)
            access = self._access_policies(ref, policies)
            try:
                policies.extend(
                    load_policies([self.base / ref], limits=self.limits)
                )
            except NothingEvaluatedError:
                if access:
                    continue
                self.errors.append(
                    PolicyError(f"policies {ref!r}: no (non-abstract) policy found", where)
                )
            except PolicygateError as error:
                if error.location is not None and error.location.line is None:
                    self.errors.append(PolicyError(f"policies {ref!r}: {error.message}", where))
                else:
                    self.errors.extend(error.errors if isinstance(error, ErrorGroup) else [error])
        if self.errors:
            raise ErrorGroup.of(self.errors)
        return policies

    def _access_policies(self, ref: str, policies: list[Policy]) -> bool:
        """Add the access policies ``ref`` holds to ``policies``; whether there were
        any (or errors, already recorded)."""
        try:
            found = load_policies([self.base / ref], limits=self.limits, kind="AccessPolicy")
        except NothingEvaluatedError:
            return False
        except PolicygateError as error:
            self.errors.extend(error.errors if isinstance(error, ErrorGroup) else [error])
            return True
        policies.extend(found)
        return True

    def _rule_index(self, policies: list[Policy]) -> dict[str, set[str]]:
        """Each policy's reportable rules, the engine's own included."""
        index: dict[str, set[str]] = {ENGINE_RULE_POLICY: {"applicability", *DECISION_RULES}}
        for policy in policies:
            rules = {rule.id for rule in policy.rules} | {"applies_to"}
            if policy.model_schema is not None:
                rules.add("schema")
            index[policy.name] = rules
        return index

    # -- one test ------------------------------------------------------------------

    def _case(
        self, spec: dict[str, Any], index: int, raw: dict[str, Any], policies: list[Policy]
    ) -> TestCase | None:
        path = ("spec", "tests", index)
        count = len(self.errors)
        no_model = "request" in raw and raw.get("model", spec.get("model")) is None
        model = None if no_model else self._model(spec, raw, path)
        now = self._now(spec, raw, path)
        params = self._params(spec, raw, path, policies)
        inputs = self._inputs(spec, raw, path)
        waivers = self._waivers(spec, raw, path)
        request = self._request(raw, path, policies, now)
        expectations = self._expectations(
            raw["expect"].get("rules") or {}, (*path, "expect", "rules")
        )
        if len(self.errors) > count or (model is None and request is None):
            return None
        return TestCase(
            name=raw["name"],
            suite=self.document.data["metadata"]["name"],
            location=self.at(*path, "name"),
            model=model,
            now=now,
            params=params,
            inputs=inputs,
            waivers=tuple(waivers),
            fail_on=raw.get("fail_on", spec.get("fail_on", "error")),
            passed=raw["expect"].get("passed"),
            rules=tuple(expectations),
            request=request,
            allowed=raw["expect"].get("allowed"),
        )

    def _request(
        self, raw: dict[str, Any], path: JsonPath, policies: list[Policy], now: str | None
    ) -> dict[str, Any] | None:
        """A case's ``request``, checked as :func:`policygate.authorize` checks one; a
        request case needs access policies, a model case promotion policies."""
        kinds = {policy.kind for policy in policies}
        expect = raw["expect"]
        if "request" not in raw:
            if "AccessPolicy" in kinds and "Policy" not in kinds:
                self.errors.append(PolicyError(
                    "the tested policies are access policies: the test gives a request",
                    self.at(*path, "name")))  # fmt: skip
            elif "allowed" in expect:
                self.errors.append(PolicyError(
                    "expect.allowed is for a test that gives a request (use passed)",
                    self.document.key_location((*path, "expect", "allowed"))))  # fmt: skip
            return None
        where = self.at(*path, "request")
        if "AccessPolicy" not in kinds:
            self.errors.append(PolicyError(
                "a test that gives a request needs access policies (kind: AccessPolicy)",
                where))  # fmt: skip
            return None
        if "passed" in expect:
            self.errors.append(PolicyError(
                "a test that gives a request expects allowed, not passed",
                self.document.key_location((*path, "expect", "passed"))))  # fmt: skip
            return None
        from ..access import normalize_request

        moment = parse_timestamp(now) if now else utc_now()
        try:  # the roles a test gives are the test's: no directory to take them from
            normalize_request(raw["request"], now=moment, trust_request_roles=True)
        except PolicygateError as error:
            self.errors.append(PolicyError(f"request: {error.message}", where))
            return None
        return dict(raw["request"])

    def _model(
        self, spec: dict[str, Any], raw: dict[str, Any], path: JsonPath
    ) -> ModelRecord | None:
        if "model" in raw:
            where: JsonPath = (*path, "model")
        elif "model" in spec:
            where = ("spec", "model")
        else:
            self.errors.append(
                PolicyError(
                    "the test gives no model, and spec.model is not set", self.at(*path, "name")
                )
            )
            return None
        value = raw.get("model", spec.get("model"))
        if isinstance(value, str):
            try:
                records = load_models([self.base / value], limits=self.limits)
            except PolicygateError as error:
                self.errors.append(PolicyError(f"model {value!r}: {error}", self.at(*where)))
                return None
            if len(records) != 1:
                self.errors.append(
                    PolicyError(
                        f"model {value!r}: expected exactly one model record, found {len(records)}",
                        self.at(*where),
                    )
                )
                return None
            record = records[0]
            document = record.document
            data, source = record.data, record.source
        else:
            document = subdocument(self.document, where)
            data, source = value, self.document.source
        if "patch" in raw:
            data = merge_patch(data, raw["patch"])
            document = (
                Document(
                    document.source,
                    document.index,
                    data,
                    document.positions,
                    document.key_positions,
                )
                if document
                else None
            )
        if not isinstance(data, Mapping):
            self.errors.append(PolicyError("a model record must be a mapping", self.at(*where)))
            return None
        if document is not None:
            try:
                kind = document_kind(document)
            except PolicygateError as error:
                self.errors.append(error)
                return None
            if kind == "ModelRecord":
                problems = validate_document(document, "ModelRecord")
                if problems:
                    self.errors.extend(problems)
                    return None
            elif kind is not None:
                self.errors.append(
                    PolicyError(f"model: expected a ModelRecord, found a {kind}", self.at(*where))
                )
                return None
        return model_from_data(data, source, document)

    def _now(self, spec: dict[str, Any], raw: dict[str, Any], path: JsonPath) -> str | None:
        value = raw.get("now", spec.get("now"))
        if value is None:
            return None
        try:
            parse_timestamp(value)
        except ValueError as error:
            where = self.at(*path, "now") if "now" in raw else self.at("spec", "now")
            self.errors.append(PolicyError(f"now: {error}", where))
            return None
        return str(value)

    def _params(
        self, spec: dict[str, Any], raw: dict[str, Any], path: JsonPath, policies: list[Policy]
    ) -> dict[str, Any]:
        declared = {name for policy in policies for name in policy.params}
        merged: dict[str, Any] = {}
        for where, values in (
            (("spec", "params"), spec.get("params") or {}),
            ((*path, "params"), raw.get("params") or {}),
        ):
            for name, value in values.items():
                if name not in declared:
                    hint = did_you_mean(name, declared)
                    suffix = f"; did you mean {hint!r}?" if hint else ""
                    self.errors.append(
                        PolicyError(
                            f"unknown param {name!r} (the policies declare: "
                            f"{', '.join(sorted(declared)) or 'none'}){suffix}",
                            self.document.key_location((*where, name)),
                        )
                    )
                merged[name] = value
        return merged

    def _inputs(self, spec: dict[str, Any], raw: dict[str, Any], path: JsonPath) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for where, source in ((("spec",), spec), (path, raw)):
            inputs.update(source.get("inputs") or {})
            for name, ref in (source.get("input_files") or {}).items():
                try:
                    documents = load_file(self.base / ref, self.limits)
                except PolicygateError as error:
                    self.errors.append(
                        PolicyError(
                            f"input_files {name}: {error}", self.at(*where, "input_files", name)
                        )
                    )
                    continue
                inputs[name] = (
                    documents[0].data if len(documents) == 1 else [d.data for d in documents]
                )
        return inputs

    def _waivers(self, spec: dict[str, Any], raw: dict[str, Any], path: JsonPath) -> list[Waiver]:
        waivers: list[Waiver] = []
        for where, source in ((("spec",), spec), (path, raw)):
            for index, entry in enumerate(source.get("waivers") or []):
                at: JsonPath = (*where, "waivers", index)
                try:
                    if isinstance(entry, str):
                        waivers.extend(load_waivers([self.base / entry], limits=self.limits))
                        continue
                    document = subdocument(self.document, at)
                    if document_kind(document) != "Waiver":
                        raise PolicyError(
                            "an inline waiver must be a Waiver document", self.at(*at)
                        )
                    waivers.append(waiver_from_document(document))
                except ErrorGroup as group:
                    self.errors.extend(group.errors)
                except PolicygateError as error:
                    if isinstance(entry, str) and (
                        error.location is None or error.location.line is None
                    ):
                        error = PolicyError(f"waivers {entry!r}: {error.message}", self.at(*at))
                    self.errors.append(error)
        self.errors.extend(duplicate_names(waivers))
        return waivers

    def _expectations(self, rules: dict[str, Any], path: JsonPath) -> list[RuleExpectation]:
        found = []
        for ref, value in rules.items():
            where = self.document.key_location((*path, ref))
            resolved = self._resolve(ref, where)
            if resolved is None:
                continue
            policy, rule, item = resolved
            spec = {"status": value} if isinstance(value, str) else value
            pattern = None
            if "message" in spec:
                try:
                    pattern = re.compile(spec["message"])
                except re.error as error:
                    self.errors.append(
                        PolicyError(f"message pattern: {error}", self.at(*path, ref, "message"))
                    )
                    continue
            status = Status(spec["status"]) if "status" in spec else None
            found.append(
                RuleExpectation(ref, policy, rule, item, status, pattern, spec.get("waiver"), where)
            )
        return found

    def _resolve(self, ref: str, where: Location) -> tuple[str, str, str | None] | None:
        match = _REF.match(ref)
        if match is None:
            self.errors.append(
                PolicyError(f"{ref!r} is not RULE, POLICY/RULE or either with [ITEM]", where)
            )
            return None
        policy, rule, item = match.group("policy"), match.group("rule"), match.group("item")
        index = self.policy_rules
        if policy is not None:
            if policy not in index:
                hint = did_you_mean(policy, index)
                self.errors.append(
                    PolicyError(
                        f"no policy {policy!r} among the tested policies ("
                        f"{', '.join(sorted(set(index) - {ENGINE_RULE_POLICY}))})"
                        + (f"; did you mean {hint!r}?" if hint else ""),
                        where,
                    )
                )
                return None
            owners = [policy] if rule in index[policy] else []
            candidates = index[policy]
        else:
            owners = [name for name, rules in index.items() if rule in rules]
            candidates = {r for rules in index.values() for r in rules}
        if not owners:
            hint = did_you_mean(rule, candidates)
            scope = f"policy {policy!r}" if policy else "the tested policies"
            self.errors.append(
                PolicyError(
                    f"no rule {rule!r} in {scope}" + (f"; did you mean {hint!r}?" if hint else ""),
                    where,
                )
            )
            return None
        if len(owners) > 1:
            self.errors.append(
                PolicyError(
                    f"rule {rule!r} is in several tested policies ({', '.join(sorted(owners))}): "
                    "write POLICY/RULE",
                    where,
                )
            )
            return None
        return owners[0], rule, item


__all__ = [
    "RuleExpectation",
    "TestCase",
    "TestSuite",
    "load_suites",
    "merge_patch",
    "subdocument",
]
