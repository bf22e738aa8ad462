"""Tests for policygate.policy: loading, validation, extends, compile errors, model_schema."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main
from policygate.errors import (
    CELCompileError,
    ErrorGroup,
    LoadError,
    Location,
    NothingEvaluatedError,
    PolicyError,
    PolicygateError,
    SchemaError,
    format_json_path,
)
from policygate.policy import Policy, document_kind, load_policies, scalar_positions

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def policy_text(name: str, spec: str = "", metadata: str = "") -> str:
    """A Policy document; ``spec`` and ``metadata`` are YAML lines indented by 2."""
    meta = textwrap.indent(textwrap.dedent(metadata).strip("\n"), "  ")
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    text = f"apiVersion: policygate/v1\nkind: Policy\nmetadata:\n  name: {name}\n"
    if meta.strip():
        text += meta + "\n"
    text += "spec:\n" + (body + "\n" if body.strip() else "  rules: []\n")
    return text


def write_policy(path: Path, name: str, spec: str = "", metadata: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(policy_text(name, spec, metadata), encoding="utf-8")
    return path


SIMPLE_RULES = """
rules:
  - id: r
    check: 'true'
"""


def load_error(paths: list[Path | str]) -> PolicygateError:
    with pytest.raises(PolicygateError) as info:
        load_policies(paths)
    return info.value


def all_errors(error: PolicygateError) -> list[PolicygateError]:
    return list(error.errors) if isinstance(error, ErrorGroup) else [error]


def position_of(path: Path, marker: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``marker`` in the file."""
    text = path.read_text(encoding="utf-8")
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(marker, index + 1)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def after(path: Path, marker: str) -> tuple[int, int]:
    """Where the text right after ``marker`` starts (a value after its key, say)."""
    line, column = position_of(path, marker)
    return line, column + len(marker)


def char_at(location: Location, length: int = 1) -> str:
    assert location.line is not None and location.column is not None
    line = Path(location.path).read_text(encoding="utf-8").splitlines()[location.line - 1]
    return line[location.column - 1 : location.column - 1 + length]


# --------------------------------------------------------------------------- a valid policy


def test_a_valid_policy_loads_with_every_field(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.yaml",
        """
        apiVersion: policygate/v1
        kind: Policy
        metadata:
          name: production-promotion
          title: Promotion to production
          version: "1.0.0"
          description: Thresholds for production.
        spec:
          params:
            min_auc: 0.8
            roles: [a, b]
          applies_to: 'model.spec.risk_tier in ["high", "limited"]'
          rules:
            - id: performance.auc
              title: AUC at or above the threshold
              description: Headline AUC.
              category: performance
              severity: warning
              when: 'model.metadata.target_stage == "production"'
              for_each: 'model.spec.evaluations'
              check: 'item.metrics.auc >= params.min_auc'
              message: 'AUC {item.metrics.auc} on {item.dataset} is below {params.min_auc}'
              controls: [eu-ai-act:art-15, iso-42001:A.6.2.4]
              remediation: Retrain.
            - id: minimal
              check: 'true'
        """,
    )
    (policy,) = load_policies([path])
    assert isinstance(policy, Policy)
    assert policy.name == "production-promotion"
    assert policy.title == "Promotion to production"
    assert policy.version == "1.0.0"
    assert policy.description == "Thresholds for production."
    assert dict(policy.params) == {"min_auc": 0.8, "roles": ["a", "b"]}
    assert policy.applies_to is not None
    assert policy.applies_to.text == 'model.spec.risk_tier in ["high", "limited"]'
    assert policy.applies_to.location == Location(str(path), *position_of(path, "'model.spec.risk"))
    assert policy.source == str(path)
    assert policy.location == Location(str(path), 1, 1)
    assert policy.digest.startswith("sha256:") and len(policy.digest) == len("sha256:") + 64
    assert policy.abstract is False
    assert policy.model_schema is None

    auc, minimal = policy.rules
    assert auc.id == "performance.auc"
    assert auc.title == "AUC at or above the threshold"
    assert auc.description == "Headline AUC."
    assert auc.category == "performance"
    assert auc.severity == "warning"
    assert auc.when is not None and auc.when.text == 'model.metadata.target_stage == "production"'
    assert auc.for_each is not None and auc.for_each.text == "model.spec.evaluations"
    assert auc.check.text == "item.metrics.auc >= params.min_auc"
    assert auc.check.location == Location(str(path), *position_of(path, "'item.metrics.auc >="))
    assert auc.message is not None
    assert [p if isinstance(p, str) else p.text for p in auc.message.parts] == [
        "AUC ",
        "item.metrics.auc",
        " on ",
        "item.dataset",
        " is below ",
        "params.min_auc",
    ]
    assert len(auc.message.programs) == 3
    assert auc.controls == ("eu-ai-act:art-15", "iso-42001:A.6.2.4")
    assert auc.remediation == "Retrain."
    assert auc.location == Location(str(path), *position_of(path, "id: performance.auc"))

    # Defaults of the optional rule fields.
    assert minimal.category == "other"
    assert minimal.severity == "error"
    assert minimal.when is None and minimal.for_each is None and minimal.message is None
    assert minimal.controls == () and minimal.title == "" and minimal.remediation == ""

    assert policy.rule("minimal") is minimal
    with pytest.raises(KeyError):
        policy.rule("nope")


def test_a_policy_in_json_loads_like_yaml(tmp_path: Path) -> None:
    document = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": "j"},
        "spec": {"params": {"t": 1}, "rules": [{"id": "r", "check": "model.x >= params.t"}]},
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    (policy,) = load_policies([path])
    assert policy.name == "j"
    assert dict(policy.params) == {"t": 1}
    assert policy.rules[0].check.text == "model.x >= params.t"


def test_the_same_expression_is_compiled_once_per_load(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path / "p.yaml",
        "p",
        """
        rules:
          - {id: a, check: 'model.x > 1'}
          - {id: b, check: 'model.x > 1', when: 'model.x > 1'}
        """,
    )
    (policy,) = load_policies([path])
    a, b = policy.rules
    assert a.check.program is b.check.program
    assert b.when is not None and b.when.program is a.check.program


def test_the_digest_changes_with_the_document(tmp_path: Path) -> None:
    one = write_policy(tmp_path / "a" / "p.yaml", "p", "rules: [{id: r, check: 'true'}]")
    two = write_policy(tmp_path / "b" / "p.yaml", "p", "rules: [{id: r, check: 'false'}]")
    same = write_policy(tmp_path / "c" / "p.yaml", "p", "rules: [{id: r, check: 'true'}]")
    (first,), (second,), (third,) = (load_policies([p]) for p in (one, two, same))
    assert first.digest != second.digest
    assert first.digest == third.digest


# --------------------------------------------------------------------------- extends


def test_extends_merges_rules_params_and_applies_to(tmp_path: Path) -> None:
    write_policy(
        tmp_path / "packs" / "base" / "baseline.yaml",
        "baseline",
        """
        abstract: true
        params: {a: 1, b: 2, nested: {x: 1}}
        applies_to: 'model.kind == "base"'
        rules:
          - {id: first, check: 'true', title: parent first}
          - {id: second, check: 'true', title: parent second}
          - {id: third, check: 'true', title: parent third}
        """,
    )
    child = write_policy(
        tmp_path / "packs" / "child.yaml",
        "child",
        """
        extends: [base/baseline.yaml]
        params: {b: 20, c: 30}
        rules:
          - {id: own, check: 'model.x > 1', title: child own}
          - {id: second, check: 'false', title: child second}
        """,
    )
    (policy,) = load_policies([child])
    # Parent rules keep their order; the child's rule with the same id replaces
    # the parent's in place, and new rules come after.
    assert [r.id for r in policy.rules] == ["first", "second", "third", "own"]
    assert [r.title for r in policy.rules] == [
        "parent first",
        "child second",
        "parent third",
        "child own",
    ]
    assert policy.rule("second").check.text == "false"
    assert policy.rule("second").location is not None
    assert policy.rule("second").location.path == str(child)
    assert policy.rule("first").location is not None
    assert policy.rule("first").location.path.endswith(os.path.join("base", "baseline.yaml"))
    assert dict(policy.params) == {"a": 1, "b": 20, "nested": {"x": 1}, "c": 30}
    assert policy.applies_to is not None
    assert policy.applies_to.text == 'model.kind == "base"'
    assert policy.abstract is False


def test_extends_child_applies_to_wins_and_chains_resolve(tmp_path: Path) -> None:
    write_policy(
        tmp_path / "root.yaml",
        "root",
        """
        params: {level: root, only_root: 1}
        applies_to: 'true'
        rules: [{id: r, check: 'true', title: root}]
        """,
    )
    write_policy(
        tmp_path / "mid" / "mid.yaml",
        "mid",
        """
        extends: [../root.yaml]
        params: {level: mid}
        rules: [{id: m, check: 'true', title: mid}]
        """,
    )
    leaf = write_policy(
        tmp_path / "leaf" / "leaf.yaml",
        "leaf",
        """
        extends: ["../mid/mid.yaml"]
        params: {level: leaf}
        applies_to: 'false'
        rules: [{id: r, check: 'false', title: leaf}]
        """,
    )
    (policy,) = load_policies([leaf])
    assert [(r.id, r.title) for r in policy.rules] == [("r", "leaf"), ("m", "mid")]
    assert dict(policy.params) == {"level": "leaf", "only_root": 1}
    assert policy.applies_to is not None and policy.applies_to.text == "false"


def test_extends_several_parents_later_parent_wins(tmp_path: Path) -> None:
    write_policy(
        tmp_path / "a.yaml",
        "a",
        "params: {p: a, only_a: 1}\nrules: [{id: r, check: 'true', title: from a}]",
    )
    write_policy(
        tmp_path / "b.yaml",
        "b",
        "params: {p: b}\nrules: [{id: r, check: 'true', title: from b}, {id: s, check: 'true'}]",
    )
    child = write_policy(tmp_path / "c.yaml", "c", "extends: [a.yaml, b.yaml]")
    (policy,) = load_policies([child])
    assert dict(policy.params) == {"p": "b", "only_a": 1}
    assert [(r.id, r.title) for r in policy.rules] == [("r", "from b"), ("s", "")]


def test_extends_inherits_the_model_schema(tmp_path: Path) -> None:
    write(tmp_path / "schema.json", '{"type": "object", "required": ["metadata"]}')
    write_policy(
        tmp_path / "parent.yaml",
        "parent",
        "model_schema: schema.json\n" + SIMPLE_RULES,
    )
    child = write_policy(tmp_path / "sub" / "child.yaml", "child", "extends: [../parent.yaml]")
    (policy,) = load_policies([child])
    assert policy.model_schema is not None
    assert not policy.model_schema.validator.is_valid({})
    assert policy.model_schema.validator.is_valid({"metadata": {}})


def test_extends_cycle_between_two_files(tmp_path: Path) -> None:
    a = write_policy(tmp_path / "a.yaml", "a", "extends: [b.yaml]\n" + SIMPLE_RULES)
    b = write_policy(tmp_path / "b.yaml", "b", "extends: [a.yaml]\n" + SIMPLE_RULES)
    error = load_error([a])
    assert isinstance(error, PolicyError)
    assert "extends cycle" in error.message
    assert "a.yaml -> " in error.message and "b.yaml -> " in error.message
    assert error.message.endswith("a.yaml")
    # file:line:col of the extends entry that closes the cycle (b.yaml extends a.yaml)
    assert error.location == Location(str(b), *position_of(b, "a.yaml"))
    line, column = position_of(b, "a.yaml")
    assert str(error).startswith(f"{b}:{line}:{column}: extends cycle: ")


def test_extends_cycle_found_from_either_side_when_both_are_loaded(tmp_path: Path) -> None:
    write_policy(tmp_path / "a.yaml", "a", "extends: [b.yaml]\n" + SIMPLE_RULES)
    write_policy(tmp_path / "b.yaml", "b", "extends: [a.yaml]\n" + SIMPLE_RULES)
    error = load_error([tmp_path])
    errors = all_errors(error)
    assert errors and all("extends cycle" in e.message for e in errors)
    assert all(isinstance(e, PolicyError) for e in errors)


def test_extends_itself_is_a_cycle(tmp_path: Path) -> None:
    path = write_policy(tmp_path / "self.yaml", "self", "extends: [./self.yaml]\n" + SIMPLE_RULES)
    error = load_error([path])
    assert isinstance(error, PolicyError)
    assert "extends cycle" in error.message
    assert error.message.count("self.yaml") == 2
    assert error.location == Location(str(path), *position_of(path, "./self.yaml"))


def test_extends_a_missing_file(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path / "p.yaml", "p", "extends: [base.yaml, nowhere/missing.yaml]\n" + SIMPLE_RULES
    )
    write_policy(tmp_path / "base.yaml", "base", SIMPLE_RULES)
    error = load_error([path])
    assert isinstance(error, PolicyError)
    assert "missing.yaml" in error.message
    assert "no such file or directory" in error.message
    assert error.location == Location(str(path), *position_of(path, "nowhere/missing.yaml"))


def test_extends_a_file_without_exactly_one_policy(tmp_path: Path) -> None:
    write(tmp_path / "none.yaml", "apiVersion: policygate/v1\nkind: PolicyTest\n")
    two = policy_text("x", SIMPLE_RULES) + "---\n" + policy_text("y", SIMPLE_RULES)
    write(tmp_path / "two.yaml", two)
    for ref in ("none.yaml", "two.yaml"):
        path = write_policy(tmp_path / f"uses-{ref}", "p", f"extends: [{ref}]\n" + SIMPLE_RULES)
        error = load_error([path])
        assert isinstance(error, PolicyError)
        assert "expected exactly one Policy" in error.message
        assert error.location == Location(str(path), *position_of(path, ref))


def test_errors_of_a_child_are_reported_with_a_missing_parent(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path / "p.yaml",
        "p",
        """
        extends: [missing.yaml]
        rules:
          - {id: r, check: 'model.x >= )'}
        """,
    )
    error = load_error([path])
    assert isinstance(error, ErrorGroup)
    assert [type(e) for e in error.errors] == [PolicyError, CELCompileError]


def test_a_broken_parent_is_reported_once(tmp_path: Path) -> None:
    write_policy(tmp_path / "base.yaml", "base", "rules: [{id: r, check: 'model.x >= )'}]")
    write_policy(tmp_path / "child.yaml", "child", "extends: [base.yaml]\n" + SIMPLE_RULES)
    error = load_error([tmp_path])
    assert isinstance(error, CELCompileError)
    assert error.location is not None and error.location.path.endswith("base.yaml")


# --------------------------------------------------------------------------- validation


def test_duplicate_rule_ids_point_at_the_second_id(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path / "p.yaml",
        "p",
        """
        rules:
          - id: same
            check: 'true'
          - id: other
            check: 'true'
          - id: same
            check: 'false'
        """,
    )
    error = load_error([path])
    assert isinstance(error, PolicyError)
    first_line = position_of(path, "same")[0]
    line, column = position_of(path, "same", 1)
    assert error.message == f"duplicate rule id 'same' (first at line {first_line})"
    assert error.location == Location(str(path), line, column)
    assert str(error) == f"{path}:{line}:{column}: {error.message}"


@pytest.mark.parametrize(
    ("text", "key", "json_path"),
    [
        (
            policy_text("p", SIMPLE_RULES) + "extra: 1\n",
            "extra",
            ("extra",),
        ),
        (
            policy_text("p", SIMPLE_RULES, metadata="owner: me"),
            "owner",
            ("metadata", "owner"),
        ),
        (
            policy_text("p", "rulez: []\n" + SIMPLE_RULES),
            "rulez",
            ("spec", "rulez"),
        ),
        (
            policy_text("p", "rules:\n  - id: r\n    check: 'true'\n    chek: 'true'"),
            "chek",
            ("spec", "rules", 0, "chek"),
        ),
    ],
    ids=["policy", "metadata", "spec", "rule"],
)
def test_unknown_keys_point_at_the_key(
    tmp_path: Path, text: str, key: str, json_path: tuple[str | int, ...]
) -> None:
    path = write(tmp_path / "p.yaml", text)
    error = load_error([path])
    assert isinstance(error, SchemaError)
    assert error.message == f"unknown key {key!r}"
    assert error.json_path == json_path
    line, column = position_of(path, f"{key}:")
    dotted = format_json_path(json_path)
    assert dotted.startswith("$.") and dotted.endswith(key)
    assert error.location == Location(str(path), line, column)
    assert char_at(error.location, len(key)) == key
    assert str(error) == f"{path}:{line}:{column}: unknown key {key!r} (at {dotted})"


@pytest.mark.parametrize(
    ("check", "kind"),
    [("5", "number"), ("[a]", "array"), ("{a: 1}", "object"), ("true", "boolean")],
)
def test_a_check_must_be_a_string(tmp_path: Path, check: str, kind: str) -> None:
    path = write_policy(tmp_path / "p.yaml", "p", f"rules:\n  - id: r\n    check: {check}")
    error = load_error([path])
    assert isinstance(error, SchemaError)
    assert error.message == f"must be of type string, got {kind}"
    assert error.json_path == ("spec", "rules", 0, "check")
    assert error.location == Location(str(path), *after(path, "check: "))
    assert str(error).endswith("(at $.spec.rules[0].check)")


def test_a_rule_without_check(tmp_path: Path) -> None:
    path = write_policy(tmp_path / "p.yaml", "p", "rules:\n  - id: r\n    title: no check")
    error = load_error([path])
    assert isinstance(error, SchemaError)
    assert error.message == "'check' is required"
    assert error.json_path == ("spec", "rules", 0)
    assert error.location == Location(str(path), *position_of(path, "id: r"))


def test_an_empty_check_is_refused(tmp_path: Path) -> None:
    path = write_policy(tmp_path / "p.yaml", "p", "rules:\n  - id: r\n    check: ''")
    error = load_error([path])
    assert isinstance(error, SchemaError)
    assert error.json_path == ("spec", "rules", 0, "check")


@pytest.mark.parametrize(
    ("field", "value"), [("severity", "fatal"), ("category", "perf"), ("severity", "Error")]
)
def test_bad_severity_or_category(tmp_path: Path, field: str, value: str) -> None:
    path = write_policy(
        tmp_path / "p.yaml", "p", f"rules:\n  - id: r\n    check: 'true'\n    {field}: {value}"
    )
    error = load_error([path])
    assert isinstance(error, SchemaError)
    assert error.message.startswith("must be one of ")
    assert error.message.endswith(f"got {value!r}")
    assert error.json_path == ("spec", "rules", 0, field)
    assert error.location == Location(str(path), *position_of(path, value))


def test_a_policy_without_a_name(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.yaml",
        """
        apiVersion: policygate/v1
        kind: Policy
        metadata: {title: nameless}
        spec: {rules: []}
        """,
    )
    error = load_error([path])
    assert isinstance(error, SchemaError)
    assert error.message == "'name' is required"
    assert error.json_path == ("metadata",)
    assert error.location == Location(str(path), 3, 11)


def test_a_policy_named_as_the_engines_own_results_is_a_load_error(tmp_path: Path) -> None:
    """The engine names its own results ``policygate/...`` (a model nothing was
    evaluated for, a register's findings) and treats them apart: no waiver covers
    them, an access decision drops their applicability. A policy of that name would
    have its rules read as the engine's, so it is refused at its name, for policies
    and access policies alike."""
    path = write_policy(tmp_path / "p.yaml", "policygate", SIMPLE_RULES)
    error = load_error([path])
    assert isinstance(error, PolicyError)
    assert error.code == "reserved-policy-name"
    assert "'policygate' is reserved" in error.message
    assert error.location == Location(str(path), 4, 9)
    access = tmp_path / "access.yaml"
    access.write_text(
        "apiVersion: policygate/v1\nkind: AccessPolicy\nmetadata:\n  name: policygate\n"
        "spec:\n  rules:\n    - id: r\n      actions: [set-alias]\n      check: 'true'\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicygateError) as info:
        load_policies([access], kind="AccessPolicy")
    assert info.value.code == "reserved-policy-name"
    # Any other name, "policygate-baseline" say, is a policy's own.
    load_policies([write_policy(tmp_path / "q.yaml", "policygate-baseline", SIMPLE_RULES)])


def test_duplicate_policy_names_across_files(tmp_path: Path) -> None:
    first = write_policy(tmp_path / "a.yaml", "same", SIMPLE_RULES)
    second = write_policy(tmp_path / "b.yaml", "same", SIMPLE_RULES)
    error = load_error([first, second])
    assert isinstance(error, PolicyError)
    assert error.message == f"duplicate policy name 'same' (first defined at {first}:1:1)"
    assert error.location == Location(str(second), 4, 9)


def test_the_same_file_given_twice_is_loaded_once(tmp_path: Path) -> None:
    # (two files that hold one name are a duplicate, above; one file named twice is
    # one policy, however it is named: the path again, its directory, a link)
    path = write_policy(tmp_path / "a.yaml", "same", SIMPLE_RULES)
    os.symlink(path, tmp_path / "link.yaml.lnk")
    policies = load_policies([path, tmp_path, path, tmp_path / "link.yaml.lnk"])
    assert [p.name for p in policies] == ["same"]


def test_abstract_policies_are_not_returned_but_can_be_extended(tmp_path: Path) -> None:
    write_policy(
        tmp_path / "base.yaml", "base", "abstract: true\nparams: {t: 1}\n" + SIMPLE_RULES
    )
    write_policy(tmp_path / "child.yaml", "child", "extends: [base.yaml]")
    policies = load_policies([tmp_path])
    assert [p.name for p in policies] == ["child"]
    assert [r.id for r in policies[0].rules] == ["r"]
    assert dict(policies[0].params) == {"t": 1}
    assert policies[0].abstract is False


def test_only_abstract_policies_is_nothing_to_evaluate(tmp_path: Path) -> None:
    path = write_policy(tmp_path / "base.yaml", "base", "abstract: true\n" + SIMPLE_RULES)
    error = load_error([path])
    assert isinstance(error, NothingEvaluatedError)
    assert error.message == f"no policy found in {path}"


def test_a_directory_skips_documents_that_are_not_policies(tmp_path: Path) -> None:
    write_policy(tmp_path / "policies" / "p.yaml", "p", SIMPLE_RULES)
    write(
        tmp_path / "policies" / "schemas" / "model.schema.json",
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}',
    )
    write(
        tmp_path / "policies" / "tests" / "p_test.yaml",
        """
        apiVersion: policygate/v1
        kind: PolicyTest
        metadata: {name: t}
        spec: {cases: []}
        """,
    )
    write(
        tmp_path / "policies" / "model.yaml",
        "apiVersion: policygate/v1\nkind: ModelRecord\nmetadata: {name: m, version: '1'}\n",
    )
    write(tmp_path / "policies" / "notes.yaml", "- just\n- a list\n")
    write(tmp_path / "policies" / "README.md", "# not loaded: not YAML or JSON\n")
    policies = load_policies([tmp_path / "policies"])
    assert [p.name for p in policies] == ["p"]


def test_policies_of_several_documents_in_one_file(tmp_path: Path) -> None:
    text = policy_text("one", SIMPLE_RULES) + "---\n" + policy_text("two", SIMPLE_RULES)
    path = write(tmp_path / "pack.yaml", text)
    assert [p.name for p in load_policies([path])] == ["one", "two"]


def test_an_unknown_kind_with_our_api_version_is_an_error(tmp_path: Path) -> None:
    write_policy(tmp_path / "ok.yaml", "ok", SIMPLE_RULES)
    path = write(
        tmp_path / "typo.yaml",
        """
        apiVersion: policygate/v1
        kind: Polcy
        metadata: {name: typo}
        """,
    )
    error = load_error([tmp_path])
    assert isinstance(error, LoadError)
    assert error.message.startswith("unknown kind 'Polcy' (expected one of Policy, ")
    assert error.location == Location(str(path), 2, 7)


def test_an_unknown_kind_is_reported_with_the_other_errors(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "apiVersion: policygate/v1\nkind: Polcy\n")
    write_policy(tmp_path / "b.yaml", "b", "rules: [{id: r, check: 'model.x >= )'}]")
    error = load_error([tmp_path])
    assert isinstance(error, ErrorGroup)
    assert [type(e) for e in error.errors] == [LoadError, CELCompileError]


def test_a_known_kind_with_a_wrong_api_version_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.yaml",
        """
        apiVersion: policygate/v2
        kind: Policy
        metadata: {name: p}
        spec: {rules: []}
        """,
    )
    error = load_error([path])
    assert isinstance(error, LoadError)
    assert error.message == "apiVersion must be 'policygate/v1', got 'policygate/v2'"
    assert error.location == Location(str(path), 1, 13)


def test_document_kind_of_other_documents(tmp_path: Path) -> None:
    from policygate.documents import load_text

    untyped, foreign = load_text(
        "metadata: {name: m}\n---\napiVersion: v1\nkind: ConfigMap\n", "x.yaml"
    )
    assert document_kind(untyped) is None
    assert document_kind(foreign) is None


def test_no_policy_found(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    error = load_error([tmp_path / "empty"])
    assert isinstance(error, NothingEvaluatedError)
    assert "no policy found" in error.message
    write(tmp_path / "other" / "m.yaml", "metadata: {name: m}\n")
    error = load_error([tmp_path / "other"])
    assert isinstance(error, NothingEvaluatedError)


def test_several_errors_are_reported_together_sorted_by_location(tmp_path: Path) -> None:
    b = write_policy(
        tmp_path / "b.yaml",
        "b",
        """
        rules:
          - {id: r, check: 'model.x >= )'}
          - {id: s, check: 'true', severity: fatal}
        """,
    )
    a = write_policy(
        tmp_path / "a.yaml",
        "a",
        """
        rules:
          - id: r
            check: 'true'
            message: 'x {item.} y'
          - id: s
            check: 'model.( > 1'
        """,
    )
    error = load_error([b, a])
    assert isinstance(error, ErrorGroup)
    assert error.message == "3 errors occurred"
    locations = [e.location for e in error.errors]
    assert all(loc is not None for loc in locations)
    keys = [(loc.path, loc.line, loc.column) for loc in locations if loc]
    assert keys == sorted(keys)
    assert [loc.path for loc in locations if loc] == [str(a), str(a), str(b)]
    assert error.location == error.errors[0].location
    assert str(error).splitlines() == [str(e) for e in error.errors]
    # The schema error of b.yaml hides its CEL error: it is reported first, on its own.
    assert isinstance(error.errors[2], SchemaError)


def test_every_error_of_one_policy_is_reported(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path / "p.yaml",
        "p",
        """
        applies_to: 'model.('
        rules:
          - id: a
            check: 'model.x >= )'
            when: 'model.y =='
          - id: b
            check: 'true'
            for_each: '[1, 2'
            message: 'unclosed {brace'
        """,
    )
    error = load_error([path])
    assert isinstance(error, ErrorGroup)
    locations = [e.location for e in error.errors]
    # Each at its unexpected token; `model.y ==` at the end of the expression, where
    # the missing operand should be.
    positions = [position_of(path, "("), position_of(path, ")"), after(path, "model.y =="),
                 after(path, "[1, 2"), position_of(path, "{brace")]  # fmt: skip
    assert locations == [Location(str(path), *p) for p in positions]
    assert all(isinstance(e, PolicyError) for e in error.errors)


# --------------------------------------------------------------------------- CEL error locations


def rule_policy(tmp_path: Path, rule: str, name: str = "p.yaml") -> Path:
    """A policy with one rule whose keys (after ``id``) are ``rule``, written at column 0."""
    text = policy_text("p").replace("  rules: []\n", "")
    text += "  rules:\n    - id: r\n" + textwrap.indent(rule, "      ") + "\n"
    return write(tmp_path / name, text)


# (rule keys, marker): the error must point at the first character of the marker.
CEL_LOCATION_CASES = {
    "plain": ("check: model.x >= ) 1", ") 1"),
    "single-quoted": ("check: 'model.x >= ) 1'", ") 1"),
    "double-quoted": ('check: "model.x >= ) 1"', ") 1"),
    "single-quoted-escapes": ("check: 'model.s == ''it\\''s'' && ) 1'", ") 1"),
    "double-quoted-escapes": (r'check: "model.s == \"a\tb\" && \u0074rue && ) 1"', ") 1"),
    "double-quoted-leading-space": ('check: "   model.x >= ) 1"', ") 1"),
    "literal-block-2nd-line": ("check: |\n  model.x >= 1 &&\n    model.y >= ) 2", ") 2"),
    "literal-block-indent-indicator": (
        "check: |2-\n    model.x >= 1 &&\n  model.y >= ) 2",
        ") 2",
    ),
    "folded-block": (
        "check: >-\n  model.x >= 1 &&\n  model.y >= 2 &&\n  model.z >= ) 3",
        ") 3",
    ),
    "folded-block-empty-line": ("check: >\n  model.x >= 1 &&\n\n  model.y >= ) 2", ") 2"),
    "plain-multi-line": ("check: model.x >= 1 &&\n  model.y >= ) 2", ") 2"),
    "single-quoted-multi-line": ("check: 'model.x >= 1 &&\n  model.y >= ) 2'", ") 2"),
    "double-quoted-escaped-break": ('check: "model.x >= 1 && mod\\\n  el.y >= ) 2"', ") 2"),
    "comment-after-plain": ("check: model.x >= ) 1  # a comment", ") 1"),
    "when": ("check: 'true'\nwhen: 'model.x == ) 1'", ") 1"),
    "for_each": ("check: 'true'\nfor_each: '[1, 2 3]'", "3]"),
}


@pytest.mark.parametrize("case", list(CEL_LOCATION_CASES))
def test_cel_syntax_errors_point_into_the_policy_file(tmp_path: Path, case: str) -> None:
    rule, marker = CEL_LOCATION_CASES[case]
    path = rule_policy(tmp_path, rule)
    error = load_error([path])
    assert isinstance(error, CELCompileError), error
    assert error.message.startswith("CEL syntax error")
    assert error.location is not None
    assert error.location.path == str(path)
    assert (error.location.line, error.location.column) == position_of(path, marker), (
        path.read_text()
    )
    assert char_at(error.location, len(marker)) == marker


def test_cel_syntax_error_at_the_end_of_an_expression(tmp_path: Path) -> None:
    path = rule_policy(tmp_path, "check: |\n  model.x >= 1 &&\n  model.y >=\n")
    error = load_error([path])
    assert isinstance(error, CELCompileError)
    assert error.location is not None
    # Inside the block, on its last line (not on the line after the policy), at its
    # end: after the operator whose operand is missing (the block's line break ends it).
    line, column = after(path, "model.y >=")
    assert error.location.line == line and error.location.column in (column, column + 1)


def test_cel_syntax_error_in_applies_to_and_flow_mappings(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path / "p.yaml",
        "p",
        """
        applies_to: "model.tier in ['high' 'low']"
        rules:
          - {id: r, title: flow, check: 'model.a && model.b >= ) 1'}
        """,
    )
    error = load_error([path])
    assert isinstance(error, ErrorGroup)
    first, second = error.errors
    assert first.location == Location(str(path), *position_of(path, "'low'"))
    assert second.location == Location(str(path), *position_of(path, ") 1"))
    assert "in applies_to" in first.message and "in check" in second.message


def test_cel_syntax_error_in_a_json_policy(tmp_path: Path) -> None:
    document = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": "j"},
        "spec": {"rules": [{"id": "r", "check": 'model.s == "a\\"b" && ) 1'}]},
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    error = load_error([path])
    assert isinstance(error, CELCompileError)
    assert error.location == Location(str(path), *position_of(path, ") 1"))
    assert error.location is not None and char_at(error.location) == ")"


@pytest.mark.parametrize(
    ("message", "marker"),
    [
        ("'x {item.} y'", "} y"),  # the field name that should follow the dot
        ('"a {model.x} b {model.)} c"', ")} c"),
        ("'it''s {model.) } y'", ") } y"),
        ("|\n  first line {model.x}\n  then { model.) } here", ") } here"),
        (">-\n  folded first line\n  then {model.a +\n  model.) } here", ") } here"),
        ("'{ {\"a\": 1}.a } and {{literal}} { model.) }'", ") }'"),
    ],
    ids=["single", "double", "escaped-quote", "literal-block", "folded-block", "braces"],
)
def test_cel_syntax_errors_in_message_placeholders(
    tmp_path: Path, message: str, marker: str
) -> None:
    path = rule_policy(tmp_path, f"check: 'true'\nmessage: {message}")
    error = load_error([path])
    assert isinstance(error, CELCompileError), error
    assert "in message placeholder {" in error.message
    assert error.location == Location(str(path), *position_of(path, marker))


@pytest.mark.parametrize(
    ("message", "marker", "text"),
    [
        ("'x {model.x y'", "{model.x", "unclosed '{'"),
        ("'x } y'", "} y", "unmatched '}'"),
        ("'a {} b'", "{}", "empty placeholder"),
        ("|\n  line one\n  line {two", "{two", "unclosed '{'"),
    ],
    ids=["unclosed", "unmatched", "empty", "block"],
)
def test_message_template_errors_point_at_the_brace(
    tmp_path: Path, message: str, marker: str, text: str
) -> None:
    path = rule_policy(tmp_path, f"check: 'true'\nmessage: {message}")
    error = load_error([path])
    assert isinstance(error, PolicyError)
    assert not isinstance(error, CELCompileError)
    assert error.message.startswith("message: ") and text in error.message
    assert error.location == Location(str(path), *position_of(path, marker))


def test_scalar_positions_fall_back_when_the_source_does_not_match() -> None:
    assert scalar_positions(["check: 'abc'"], 1, 8, "abc") == [(1, 9), (1, 10), (1, 11)]
    assert scalar_positions(["check: 'abc'"], 1, 8, "xyz") is None
    assert scalar_positions([], 1, 1, "abc") is None


def test_policies_from_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    text = policy_text("stdin", "rules: [{id: r, check: 'model.x >= )'}]")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    error = load_error(["-"])
    assert isinstance(error, CELCompileError)
    # No file to read back: the error points at the start of the expression.
    assert error.location == Location("<stdin>", 6, 26)


# --------------------------------------------------------------------------- model_schema


def test_model_schema_relative_json_and_yaml(tmp_path: Path) -> None:
    write(
        tmp_path / "schemas" / "model.schema.json",
        '{"type": "object", "required": ["metadata"]}',
    )
    write(
        tmp_path / "schemas" / "model.schema.yaml",
        """
        $schema: https://json-schema.org/draft/2020-12/schema
        type: object
        required: [spec]
        """,
    )
    for name, required in (("model.schema.json", "metadata"), ("model.schema.yaml", "spec")):
        path = write_policy(
            tmp_path / "policies" / f"uses-{name}.yaml",
            "p",
            f"model_schema: ../schemas/{name}\n" + SIMPLE_RULES,
        )
        (policy,) = load_policies([path])
        assert policy.model_schema is not None
        assert policy.model_schema.location == Location(str(path), *position_of(path, "../"))
        assert policy.model_schema.reference.endswith(name)
        assert not policy.model_schema.validator.is_valid({})
        assert policy.model_schema.validator.is_valid({required: {}})


def test_model_schema_that_is_not_a_valid_schema(tmp_path: Path) -> None:
    write(tmp_path / "bad.json", '{"type": 5}')
    path = write_policy(tmp_path / "p.yaml", "p", "model_schema: bad.json\n" + SIMPLE_RULES)
    error = load_error([path])
    assert isinstance(error, PolicyError)
    assert error.message.startswith("model_schema 'bad.json' is not a valid JSON Schema: ")
    assert error.location == Location(str(path), *after(path, "model_schema: "))


@pytest.mark.parametrize("content", ["[1, 2]", "just a string", "a: 1\n---\nb: 2\n"])
def test_model_schema_that_is_not_one_object(tmp_path: Path, content: str) -> None:
    write(tmp_path / "bad.yaml", content)
    path = write_policy(tmp_path / "p.yaml", "p", "model_schema: bad.yaml\n" + SIMPLE_RULES)
    error = load_error([path])
    assert isinstance(error, PolicyError)
    assert error.message == "model_schema 'bad.yaml': expected one JSON Schema object"
    assert error.location == Location(str(path), *after(path, "model_schema: "))


def test_model_schema_missing_file(tmp_path: Path) -> None:
    path = write_policy(tmp_path / "p.yaml", "p", "model_schema: nope.json\n" + SIMPLE_RULES)
    error = load_error([path])
    assert isinstance(error, PolicyError)
    assert error.message.startswith("model_schema 'nope.json': ")
    assert "no such file or directory" in error.message
    assert error.location == Location(str(path), *after(path, "model_schema: "))


def test_model_schema_unparsable_file(tmp_path: Path) -> None:
    write(tmp_path / "broken.json", '{"type": "object",')
    path = write_policy(tmp_path / "p.yaml", "p", "model_schema: broken.json\n" + SIMPLE_RULES)
    error = load_error([path])
    assert isinstance(error, PolicyError)
    assert error.location == Location(str(path), *after(path, "model_schema: "))
    assert "broken.json:1:" in error.message


def test_model_schema_shipped_model_record(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path / "p.yaml", "p", "model_schema: 'policygate:ModelRecord'\n" + SIMPLE_RULES
    )
    (policy,) = load_policies([path])
    assert policy.model_schema is not None
    assert policy.model_schema.reference == "policygate:ModelRecord"
    validator = policy.model_schema.validator
    good = REPO / "examples" / "models" / "credit-default-passes.yaml"
    from policygate.documents import load_file

    (document,) = load_file(good)
    assert validator.is_valid(document.data)
    assert not validator.is_valid({"apiVersion": "policygate/v1", "kind": "ModelRecord"})


# --------------------------------------------------------------------------- shipped content


def test_shipped_policies_load() -> None:
    policies = load_policies([REPO / "policies"])
    names = {p.name for p in policies}
    assert {"production-promotion", "limited-risk-promotion"} <= names
    assert all(p.rules for p in policies)


# The policies themselves; their unit tests (kind: PolicyTest) live in policies/tests/.
SHIPPED_FILES = sorted(p for p in (REPO / "policies").rglob("*.yaml") if "tests" not in p.parts)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=[p.name for p in SHIPPED_FILES])
def test_every_shipped_file_loads_on_its_own(path: Path) -> None:
    from policygate.documents import load_file

    if all(document_kind(d) == "AccessPolicy" for d in load_file(path)):
        from policygate import load_access_policies

        assert load_access_policies([path])  # an access pack (SPEC §8): check passes it over
        return
    documents = [d for d in load_file(path) if document_kind(d) == "Policy"]
    assert documents
    if all(d.data["spec"].get("abstract") for d in documents):
        with pytest.raises(NothingEvaluatedError):
            load_policies([path])  # only meant to be extended
    else:
        assert load_policies([path])


def test_every_shipped_rule_is_documented() -> None:
    from policygate.documents import load_paths

    policies = load_policies([REPO / "policies"])
    # Abstract policies are not returned, but their rules reach us through extends.
    rules = {(p.name, r.id): r for p in policies for r in p.rules}
    assert rules
    missing = [
        f"{name}/{rule_id}: {field}"
        for (name, rule_id), rule in sorted(rules.items())
        for field in ("title", "severity", "remediation", "controls")
        if not getattr(rule, field)
    ]
    assert missing == []
    for rule in rules.values():
        assert rule.severity in ("error", "warning", "info")
        assert all(":" in control for control in rule.controls)
    # Written out in every rule, not left to defaults.
    documents = load_paths([str(REPO / "policies")])
    written = [
        (d.source, raw.get("id"), key)
        for d in documents
        if document_kind(d) == "Policy"
        for raw in d.data["spec"].get("rules", [])
        for key in ("title", "severity", "category", "remediation", "controls")
        if not raw.get(key)
    ]
    assert written == []


# --------------------------------------------------------------------------- schema violations


def test_schema_errors_allow_pattern_properties() -> None:
    from policygate.validation import make_validator, schema_errors

    validator = make_validator(
        {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "patternProperties": {"^x-": {}},
            "additionalProperties": False,
        }
    )
    data = {"name": "m", "x-team": "a", "extra": 1}
    assert list(schema_errors(validator, data)) == [(("extra",), "unknown key 'extra'")]


def test_schema_errors_sort_indexes_as_numbers() -> None:
    from policygate.validation import make_validator, schema_errors

    validator = make_validator({"type": "array", "items": {"type": "string"}})
    data: list[object] = ["ok"] * 12
    data[2] = 2
    data[10] = 10
    paths = [path for path, _ in schema_errors(validator, data)]
    assert paths == [(2,), (10,)]


# --------------------------------------------------------------- undeclared variables (SPEC §3)

UNDECLARED = [
    # (a rule's fields, the message, line and column of the reference)
    ("check: '!has(modle.spec.prohibited_use)'",
     "undeclared variable 'modle'; did you mean 'model'?", 8, 20),
    ("check: item.x > 1", "'item' is only bound inside a rule with for_each", 8, 14),
    ("check: 'true'\n      message: 'bad {index}'",
     "'index' is only bound inside a rule with for_each", 9, 22),
    ("for_each: model.l\n      when: item.x > 1\n      check: 'true'",
     "'item' is only bound inside a rule with for_each", 9, 13),
    ("check: params.x > 1 || limit > 1", "undeclared variable 'limit' (known: model, params, "
     "now, inputs, risks)", 8, 30),
    ("check: params.x > 1 || risk > 1", "undeclared variable 'risk'; did you mean 'risks'?", 8, 30),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "message", "line", "column"), UNDECLARED)
def test_an_undeclared_variable_is_a_load_error_at_its_reference(
    tmp_path: Path, fields: str, message: str, line: int, column: int
) -> None:
    """A typo'd variable is an evaluation error at run time, which `!` or `||` can
    turn into a pass: it is refused when the policy loads, as lint refuses it."""
    from policygate.errors import UndeclaredVariableError

    path = write(tmp_path / "p.yaml", policy_text("p", f"  rules:\n    - id: r\n      {fields}\n"))
    with pytest.raises(UndeclaredVariableError) as raised:
        load_policies([path])
    assert raised.value.message == message
    assert (raised.value.location.line, raised.value.location.column) == (line, column)


def test_item_key_and_index_are_declared_in_a_for_each_rule(tmp_path: Path) -> None:
    rule = ("  rules:\n    - id: r\n      for_each: model.m\n"
            "      check: key != '' && item >= 0.0 && index >= 0\n"
            "      message: '{key} {item} {index}'\n")  # fmt: skip
    (policy,) = load_policies([write(tmp_path / "p.yaml", policy_text("p", rule))])
    assert policy.rules[0].id == "r"


def test_cel_type_names_are_not_undeclared_variables(tmp_path: Path) -> None:
    rule = "  rules:\n    - id: r\n      check: type(model.x) == double || type(model.x) == int\n"
    (policy,) = load_policies([write(tmp_path / "p.yaml", policy_text("p", rule))])
    assert policy.rules[0].check.text.startswith("type(")


def test_many_load_errors_print_the_first_twenty_and_how_many_more(tmp_path):
    """A directory of broken files gives every error to the library (``errors``) and a
    terminal the first twenty, then "... and K more errors"."""
    for i in range(25):
        (tmp_path / f"p{i:02d}.yaml").write_text(
            f"apiVersion: policygate/v1\nkind: Policy\nmetadata: {{name: p{i}}}\n"
            "spec:\n  rules:\n    - {id: r, check: 'model.x >= '}\n",
            encoding="utf-8",
        )
    with pytest.raises(ErrorGroup) as raised:
        load_policies([tmp_path])
    assert len(raised.value.errors) == 25
    lines = str(raised.value).splitlines()
    assert len(lines) == 21 and lines[-1] == "... and 5 more errors"
    assert lines[0].startswith(f"{tmp_path}/p00.yaml:6:")
    result = CliRunner().invoke(main, ["check", str(tmp_path), "-p", str(tmp_path)])
    assert result.exit_code == 2 and result.stderr.rstrip().endswith("... and 5 more errors")
