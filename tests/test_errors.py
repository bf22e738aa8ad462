"""Errors are data (issue 18, item 3): every PolicygateError has a stable code from
one registry (policygate.errors.CODES) that docs/errors.md explains; raise sites
name the specific case; an error travels as data (to_dict); and no code of the
package decides anything by matching an error's text."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import pickle
import pkgutil
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policygate
from policygate.documents import DEFAULT_LIMITS, load_file, load_text
from policygate.errors import (
    CODES,
    EVALUATION_CODES,
    ErrorGroup,
    LoadError,
    Location,
    PolicyError,
    PolicygateError,
    UsageError,
)
from policygate.policy import apply_params, load_policies, parse_param

ROOT = Path(policygate.__file__).parent
DOCS = ROOT.parents[1] / "docs" / "errors.md"


# --------------------------------------------------------------------------- the registry


def _codes_in_source() -> dict[str, list[str]]:
    """Every code the package names: ``code="..."`` at a raise site (each string in
    the value, for ``code="a" if ... else "b"``; ``error_code=`` of a result too) and
    ``code = "..."`` in a class."""
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        values: list[ast.expr] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("code", "error_code"):
                values.append(node.value)
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    targets: list[ast.expr] = []
                    if isinstance(statement, ast.Assign):
                        targets = statement.targets
                    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                        targets = [statement.target]
                    if any(isinstance(t, ast.Name) and t.id == "code" for t in targets):
                        assert statement.value is not None
                        values.append(statement.value)
        for value in values:
            for constant in ast.walk(value):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    found.setdefault(constant.value, []).append(where)
    return found


def _error_classes() -> list[type[PolicygateError]]:
    for module in pkgutil.walk_packages([str(ROOT)], "policygate."):
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional extra (mlflow, boto3...) that is not installed
            continue
    seen: list[type[PolicygateError]] = []
    stack: list[type[PolicygateError]] = [PolicygateError]
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.append(cls)
            stack.extend(cls.__subclasses__())
    return seen


def test_the_scan_sees_the_raise_sites():
    found = _codes_in_source()
    assert "documents.py" in found["file-too-large"]
    assert "policy.py" in found["extends-cycle"]
    assert "errors.py" in found["schema-invalid"]  # a class default
    assert len(found) >= 30


def test_every_code_the_package_names_is_registered():
    registered = {*CODES, *EVALUATION_CODES}
    found = _codes_in_source().items()
    unregistered = {code: where for code, where in found if code not in registered}
    assert unregistered == {}


def test_every_evaluation_code_is_an_engine_kinds_or_named_in_the_package():
    from policygate.cel.lang.errors import KIND_CODES

    named = set(_codes_in_source()) | set(KIND_CODES.values())
    assert sorted(set(EVALUATION_CODES) - named) == []
    assert set(KIND_CODES.values()) <= {*CODES, *EVALUATION_CODES}


def test_evaluation_codes_are_their_own_registry():
    assert set(EVALUATION_CODES).isdisjoint(CODES)
    tree = ast.parse((ROOT / "errors.py").read_text(encoding="utf-8"))
    literal = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        and any(isinstance(k, ast.Constant) and k.value == "no-such-key" for k in node.keys)
    )
    keys = [k.value for k in literal.keys if isinstance(k, ast.Constant)]
    assert len(keys) == len(set(keys)) == len(EVALUATION_CODES)


def test_every_registered_code_is_named_somewhere_in_the_package():
    unused = sorted(set(CODES) - set(_codes_in_source()))
    assert unused == []


def test_every_error_class_has_a_registered_code_and_defaults_are_unique():
    classes = _error_classes()
    assert len(classes) > 15
    assert {cls.__name__: cls.code for cls in classes if cls.code not in CODES} == {}
    defaults: dict[str, str] = {}
    for cls in classes:
        if "code" in vars(cls):
            assert cls.code not in defaults, (cls, defaults.get(cls.code))
            defaults[cls.code] = cls.__qualname__


def test_codes_are_unique_in_the_registry_text():
    """A dict literal keeps the last of two equal keys silently: read the source."""
    tree = ast.parse((ROOT / "errors.py").read_text(encoding="utf-8"))
    literal = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        and any(isinstance(k, ast.Constant) and k.value == "yaml-syntax" for k in node.keys)
    )
    keys = [k.value for k in literal.keys if isinstance(k, ast.Constant)]
    assert len(keys) == len(set(keys)) == len(CODES)


def test_codes_are_stable_words():
    for code, description in {**CODES, **EVALUATION_CODES}.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code), code
        assert description.endswith(".") and len(description) <= 100, code


def test_every_code_is_documented_once_and_every_documented_code_exists():
    text = DOCS.read_text(encoding="utf-8")
    headings = re.findall(r"^### `([^`]+)`$", text, re.MULTILINE)
    assert len(headings) == len(set(headings)), "a code documented twice"
    assert sorted(headings) == sorted({*CODES, *EVALUATION_CODES})
    _, after = text.split("\n## Evaluation errors\n")
    section = after.split("\n## ")[0]  # up to the next section
    assert set(EVALUATION_CODES) <= set(re.findall(r"^### `([^`]+)`$", section, re.MULTILINE))


# --------------------------------------------------------------------------- as data


def test_to_dict_carries_code_message_location_path_and_context():
    error = LoadError(
        "bad value",
        Location("m.yaml", 3, 7),
        ("spec", "rules", 0, "id"),
        code="schema-invalid",
        context={"limit": 3},
    )
    assert error.to_dict() == {
        "code": "schema-invalid",
        "message": "bad value",
        "location": {"path": "m.yaml", "line": 3, "column": 7},
        "json_path": "$.spec.rules[0].id",
        "context": {"limit": 3},
    }
    assert str(error) == "m.yaml:3:7: bad value (at $.spec.rules[0].id)"
    assert LoadError("x").to_dict() == {
        "code": "load-error", "message": "x", "location": None, "json_path": None, "context": {},
    }  # fmt: skip


def test_an_error_group_keeps_each_code():
    group = ErrorGroup([PolicyError("b", Location("p", 2), code="extends-cycle"),
                        UsageError("a", Location("p", 1))])  # fmt: skip
    data = group.to_dict()
    assert data["code"] == "multiple-errors"
    assert [e["code"] for e in data["errors"]] == ["usage", "extends-cycle"]  # by location


# --------------------------------------------------------------------------- raise sites


POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {{name: {name}}}
spec:
{spec}"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _code_of(paths: list[Path]) -> list[str]:
    with pytest.raises(PolicygateError) as raised:
        load_policies(paths)
    error = raised.value
    return [e.code for e in error.errors] if isinstance(error, ErrorGroup) else [error.code]


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ("  rules:\n    - {id: a, check: 'model.x >'}\n", "cel-syntax"),
        ("  rules:\n    - {id: a, check: 'size(1, 2) > 0'}\n", "cel-type"),
        ("  rules:\n    - {id: a, check: 'nosuch(model.x)'}\n", "unknown-function"),
        ("  rules:\n    - {id: a, check: 'modle.x > 1'}\n", "undeclared-variable"),
        ("  rules:\n    - {id: a, check: 'true', message: 'x {model.}'}\n", "message-syntax"),
        ("  rules:\n    - {id: a, check: 'true', message: 'x {'}\n", "message-syntax"),
        ("  rules:\n    - {id: a, check: 'true'}\n    - {id: a, check: 'true'}\n",
         "duplicate-rule-id"),
        ("  extends: [missing.yaml]\n  rules: []\n", "extends-unreadable"),
        ("  extends: [p.yaml]\n  rules: []\n", "extends-cycle"),
        ("  model_schema: nope.json\n  rules: []\n", "model-schema-invalid"),
        ("  rules:\n    - {id: a, check: 'true', enforce_from: soon}\n", "enforce-from-invalid"),
        ("  rules:\n    - {id: a, check: 'true', severity: fatal}\n", "schema-invalid"),
    ],
)  # fmt: skip
def test_policy_load_errors_say_their_case(tmp_path: Path, spec: str, code: str):
    path = _write(tmp_path / "p.yaml", POLICY.format(name="p", spec=spec))
    assert _code_of([path]) == [code]


def test_access_rule_with_an_unknown_action(tmp_path: Path):
    text = POLICY.format(name="a", spec="  rules:\n    - {id: r, actions: [fly], check: 'true'}\n")
    path = _write(tmp_path / "a.yaml", text.replace("kind: Policy", "kind: AccessPolicy"))
    with pytest.raises(PolicygateError) as raised:
        load_policies([path], kind="AccessPolicy")
    assert raised.value.code == "unknown-action"


def test_duplicate_policy_names(tmp_path: Path):
    spec = "  rules:\n    - {id: a, check: 'true'}\n"
    first = _write(tmp_path / "a.yaml", POLICY.format(name="same", spec=spec))
    second = _write(tmp_path / "b.yaml", POLICY.format(name="same", spec=spec))
    assert _code_of([first, second]) == ["duplicate-policy-name"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a: [1\n", "yaml-syntax"),
        ("a: 1\na: 2\n", "duplicate-key"),
        ("a: !!python/object:os.system {}\n", "yaml-tag"),
        ("? [1]\n: x\n", "yaml-tag"),
        ("a: .inf\n", "yaml-tag"),
        ("[" * 200 + "]" * 200, "document-too-large"),
    ],
)
def test_document_errors_say_their_case(text: str, code: str):
    with pytest.raises(LoadError) as raised:
        load_text(text, "d.yaml")
    assert raised.value.code == code


def test_file_errors_say_their_case(tmp_path: Path):
    cases = {
        "file-not-found": tmp_path / "absent.yaml",
        "file-unreadable": tmp_path,
        "empty-file": _write(tmp_path / "empty.yaml", "# nothing\n"),
        "file-too-large": _write(tmp_path / "big.yaml", "a: " + "x" * 200 + "\n"),
    }
    small = dataclasses.replace(DEFAULT_LIMITS, max_bytes=100)
    for code, path in cases.items():
        with pytest.raises(LoadError) as raised:
            load_file(path, small)
        assert raised.value.code == code, path


def test_param_errors_say_their_case(tmp_path: Path):
    spec = "  params: {min_auc: 0.8}\n  rules:\n    - {id: a, check: 'true'}\n"
    policies = load_policies([_write(tmp_path / "p.yaml", POLICY.format(name="p", spec=spec))])
    for assignment in ("novalue", "1x=2", "x=[1"):
        with pytest.raises(UsageError) as raised:
            parse_param(assignment)
        assert raised.value.code == "param-syntax", assignment
    with pytest.raises(UsageError) as raised:
        apply_params(policies, {"min_acc": 0.9})
    assert raised.value.code == "param-unknown"
    with pytest.raises(UsageError) as raised:
        apply_params(policies, {"min_auc": "abc"})
    assert raised.value.code == "param-type"


def test_unknown_formats():
    from policygate.formats import renderer
    from policygate.lint import render as render_lint

    for render in (lambda: renderer("xml"), lambda: render_lint(None, "xml")):  # type: ignore[arg-type]
        with pytest.raises(UsageError) as raised:
            render()
        assert raised.value.code == "unknown-format"


def test_a_key_that_is_not_ed25519_is_signature_invalid():
    from policygate.approvals.signing import load_private_key  # the test extra has cryptography

    with pytest.raises(UsageError) as raised:
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "k.pem")
    assert raised.value.code == "signature-invalid"


# --------------------------------------------------------------------------- no text matching

# What deciding by an error's text looks like: its message, reason or str() read
# back with startswith/endswith/in/re. An error says what it is with its code
# (or an engine error with its kind); the text is for people and may be reworded.
_ERROR = r"\w*(?:error|exc|exception|err|single|problem|failure)\w*"
TEXT_MATCHING = [
    re.compile(r"\.(?:message|reason|args\[0\])\s*\.\s*(?:startswith|endswith)\("),
    re.compile(r"\b(?:message|reason)\.(?:startswith|endswith)\("),
    re.compile(rf"\bstr\(\s*{_ERROR}\s*\)\s*\.\s*(?:startswith|endswith|find|index)\("),
    re.compile(rf"\bin\s+(?:str\(\s*{_ERROR}\s*\)|{_ERROR}\.(?:message|reason|args))"),
    re.compile(rf"\bre\.\w+\([^)]*(?:str\(\s*{_ERROR}\s*\)|{_ERROR}\.(?:message|reason))"),
]


def _matching(line: str) -> bool:
    return any(pattern.search(line) for pattern in TEXT_MATCHING)


@pytest.mark.parametrize(
    "line",
    [
        'if "undeclared reference to function" in single.message:',
        'if message.startswith("duplicate rule id"):',
        "if reason.startswith(_RANGE) and reason.endswith(')'):",
        "if not error.reason.startswith(\"undeclared reference to '\"):",
        'if "NoSuchKey" in type(error).__name__ or "NoSuchKey" in str(error):',
        'return str(exc).startswith("extends")',
        'if re.search("cycle", error.message):',
    ],
)
def test_the_text_matching_scan_catches_the_old_code(line: str):
    assert _matching(line)


def test_no_code_decides_by_an_errors_text():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(ROOT.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _matching(line)
    ]
    assert found == []


def test_configuration_request_limit_and_waiver_errors_say_their_case(tmp_path: Path):
    import datetime as dt

    from policygate.access.request import normalize_request
    from policygate.config import load_config_file
    from policygate.limits import configure
    from policygate.waivers import load_waivers

    (tmp_path / "policygate.yaml").write_text("polices: [p/]\n", encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        load_config_file(tmp_path / "policygate.yaml")
    assert raised.value.code == "config-invalid"
    with pytest.raises(UsageError) as raised:
        normalize_request({"action": "fly"}, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert raised.value.code == "request-invalid"
    with pytest.raises(UsageError) as raised:
        configure(["max-nodes=-1"], environ={})
    assert raised.value.code == "limit-invalid"
    waiver = _write(tmp_path / "w.yaml", WAIVER.replace("EXPIRES", "soon"))
    with pytest.raises(PolicygateError) as raised:
        load_waivers([waiver])
    assert raised.value.code == "waiver-invalid"


WAIVER = """\
apiVersion: policygate/v1
kind: Waiver
metadata: {name: w}
spec:
  rule: p/r
  models: [m]
  justification: Because.
  approved_by: carol@example.com
  expires_at: "EXPIRES"
"""


# --------------------------------------------------------------------------- laws

_LOCATIONS = st.none() | st.builds(
    Location, st.text(min_size=1, max_size=20), st.none() | st.integers(1, 10**6),
    st.none() | st.integers(1, 10**4),
)  # fmt: skip
_PATHS = st.none() | st.lists(st.text(max_size=10) | st.integers(0, 100), max_size=4).map(tuple)


@settings(max_examples=200, deadline=None)
@given(
    message=st.text(max_size=60),
    location=_LOCATIONS,
    json_path=_PATHS,
    code=st.sampled_from(sorted(CODES)),
    context=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3),
)
def test_the_code_is_data_beside_the_text(message, location, json_path, code, context):
    """The code never changes what an error prints (the CLI's and lint's text stay
    as they were); as data it survives JSON and a process boundary (pickle)."""
    plain = LoadError(message, location, json_path)
    coded = LoadError(message, location, json_path, code=code, context=context)
    assert str(coded) == str(plain)
    data = coded.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["code"] == code and plain.to_dict()["code"] == "load-error"
    assert pickle.loads(pickle.dumps(coded)).to_dict() == data
