"""policygate explain: the values behind an outcome, the same outcome check gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_text import hostile_text, unsafe
from policygate.errors import UsageError
from policygate.evaluate import evaluate
from policygate.explain import explain, explain_failures, find_rule, render_json, render_text
from policygate.models import load_models, model_from_data
from policygate.policy import load_policies
from policygate.report import Status
from policygate.waivers import load_waivers

ROOT = Path(__file__).parent.parent
NOW = "2026-11-26T00:00:00Z"

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  params: {min_auc: 0.8, max_drop: 0.03}
  applies_to: 'model.tier == "high"'
  rules:
    - id: auc
      title: AUC at or above the threshold
      check: model.metrics.auc >= params.min_auc
      message: 'AUC {model.metrics.auc} is below {params.min_auc}'
      controls: [eu-ai-act:art-15]
    - id: robust
      when: 'model.stage == "production"'
      for_each: model.robustness
      check: item.baseline - item.value <= params.max_drop && has(item.test)
      message: '{item.test} drops from {item.baseline} to {item.value}'
      controls: [eu-ai-act:art-15, nist-ai-rmf:MEASURE-2]
"""

MODEL = {
    "name": "m",
    "version": "1.2.0",
    "tier": "high",
    "stage": "production",
    "metrics": {"auc": 0.75},
    "robustness": [
        {"test": "noise", "value": 0.85, "baseline": 0.86},
        {"test": "blur", "value": 0.70, "baseline": 0.86},
    ],
}


@pytest.fixture
def policies(tmp_path):
    (tmp_path / "gate.yaml").write_text(POLICY)
    return load_policies([tmp_path / "gate.yaml"])


def record(**changes):
    return model_from_data({**MODEL, **changes}, "m.yaml")


def test_the_text_shows_every_value_the_check_read(policies, tmp_path):
    text = render_text([explain(record(), policies, "auc", now=NOW)])
    assert text == (
        f"rule gate/auc (error) at {tmp_path}/gate.yaml:8:7\n"
        "  AUC at or above the threshold\n"
        "model m@1.2.0  m.yaml\n"
        "status: fail\n"
        '  applies_to: model.tier == "high"\n'
        "    = true\n"
        '        model.tier  "high"\n'
        "  check: model.metrics.auc >= params.min_auc\n"
        "    = false\n"
        "        model.metrics.auc  0.75\n"
        "        params.min_auc     0.8\n"
        "  message: AUC 0.75 is below 0.8\n"
        "waivers: none given\n"
        "controls that depend on this rule:\n"
        "  eu-ai-act:art-15  violated    Accuracy, robustness and cybersecurity\n"
    )


def test_the_failing_for_each_element_is_traced_and_the_passing_one_summed_up(policies):
    explanation = explain(record(), policies, "gate/robust", now=NOW)
    assert explanation.status is Status.FAIL
    assert [(i.item, i.status) for i in explanation.items] == [(0, Status.PASS), (1, Status.FAIL)]
    text = render_text([explanation])
    assert "  item [0] pass\n" in text
    assert (
        '  item [1] fail: {"baseline": 0.86, "test": "blur", "value": 0.7}\n'
        "    check: item.baseline - item.value <= params.max_drop && has(item.test)\n"
        "      = false\n"
    ) in text
    assert "            item.baseline - item.value                   0.16000000000000003\n" in text
    assert "    message: blur drops from 0.86 to 0.7\n" in text
    verbose = render_text([explanation], verbose=True)
    assert '  item [0] pass: {"baseline": 0.86, "test": "noise", "value": 0.85}\n' in verbose


def test_when_false_and_not_applicable_say_so(policies):
    skipped = explain(record(stage="staging"), policies, "robust", now=NOW)
    assert skipped.status is Status.SKIP and skipped.items == ()
    assert "  when is not true: the check did not run\n" in render_text([skipped])
    elsewhere = explain(record(tier="low"), policies, "auc", now=NOW)
    assert elsewhere.applicable is False and elsewhere.status is Status.SKIP
    assert "the policy does not apply to this model" in render_text([elsewhere])


def test_an_error_names_the_missing_field_at_every_level(policies):
    explanation = explain(record(metrics={}), policies, "auc", now=NOW)
    assert explanation.status is Status.ERROR
    (item,) = explanation.items
    assert item.check.error == "no such key: model.metrics.auc"
    assert [(p.text, p.error) for p in item.check.parts] == [
        ("model.metrics.auc >= params.min_auc", "no such key: model.metrics.auc"),
        ("model.metrics.auc", "no such key: model.metrics.auc"),
        ("params.min_auc", None),
    ]
    broken = explain(record(robustness=3), policies, "robust", now=NOW)
    assert broken.for_each is not None
    assert broken.for_each.error == "for_each must yield a list or a map, got double"


def test_waivers_considered_with_the_reason_each_did_or_did_not_apply(policies, tmp_path):
    (tmp_path / "waivers").mkdir()
    for name, rule, models, expires in (
        ("active", "gate/auc", "[m@1.*]", "2027-01-01T00:00:00Z"),
        ("expired", "gate/*", "[m]", "2026-01-01T00:00:00Z"),
        ("other-model", "gate/auc", "[x]", "2027-01-01T00:00:00Z"),
        ("other-rule", "gate/robust", "[m]", "2027-01-01T00:00:00Z"),
    ):
        (tmp_path / "waivers" / f"{name}.yaml").write_text(
            f"apiVersion: policygate/v1\nkind: Waiver\nmetadata: {{name: {name}}}\n"
            f"spec: {{rule: '{rule}', models: {models}, justification: j, approved_by: a,"
            f" expires_at: '{expires}'}}\n"
        )
    waivers = load_waivers([tmp_path / "waivers"])
    explanation = explain(record(), policies, "auc", now=NOW, waivers=waivers)
    assert explanation.status is Status.WAIVED
    assert [(w.name, w.applied, w.reason) for w in explanation.waivers] == [
        ("active", True, "applied: waived 1 result until 2027-01-01T00:00:00Z"),
        (
            "expired",
            False,
            "not applied: expired 2026-01-01T00:00:00Z; an expired waiver waives nothing",
        ),
        ("other-model", False, "not applied: covers models x, not m@1.2.0"),
    ]
    assert explanation.other_waivers == 1
    assert "  1 other waiver do not name this rule\n" in render_text([explanation])
    # the outcome is evaluate's own
    report = evaluate([record()], policies, now=NOW, waivers=waivers)
    assert list(explanation.results) == [r for r in report.models[0].results if r.rule == "auc"]


def test_json(policies):
    data = json.loads(render_json([explain(record(), policies, "auc", now=NOW)]))
    assert data["rule"] == "gate/auc" and data["status"] == "fail"
    assert data["items"][0]["check"]["value"] is False
    assert data["items"][0]["check"]["subexpressions"][1] == {
        "expression": "model.metrics.auc",
        "kind": "field",
        "depth": 1,
        "value": 0.75,
    }
    assert data["controls"] == [
        {
            "id": "eu-ai-act:art-15",
            "title": "Accuracy, robustness and cybersecurity",
            "status": "violated",
        },
    ]
    two = json.loads(render_json([explain(record(), policies, "auc", now=NOW)] * 2))
    assert isinstance(two, list) and len(two) == 2


def test_find_rule(policies, tmp_path):
    assert find_rule(policies, "gate/auc")[1].id == "auc"
    with pytest.raises(
        UsageError, match="no rule 'acu' in the loaded policies; did you mean 'auc'"
    ):
        find_rule(policies, "acu")
    (tmp_path / "other.yaml").write_text(POLICY.replace("name: gate", "name: other"))
    both = load_policies([tmp_path / "gate.yaml", tmp_path / "other.yaml"])
    with pytest.raises(UsageError, match="in several policies .* write POLICY/RULE"):
        find_rule(both, "auc")


def test_explain_failures_covers_each_failed_rule_once(policies):
    models = [record(), record(name="ok", metrics={"auc": 0.9}, robustness=[])]
    report = evaluate(models, policies, now=NOW)
    explanations = explain_failures(models, report.models, policies, now=report.now)
    assert [(e.model, e.rule) for e in explanations] == [("m@1.2.0", "auc"), ("m@1.2.0", "robust")]


def test_explain_on_the_failing_example_shows_the_failing_values():
    model = load_models(
        [ROOT / "examples/models/credit-limit-fails-fairness-and-expired-approval.yaml"]
    )
    policies = load_policies([ROOT / "policies"])
    text = render_text([explain(model[0], policies, "fairness.gap", now=NOW)])
    assert "status: fail" in text
    assert (
        '  item [0] fail: {"attribute": "sex", "metric": "demographic_parity_difference",' in text
    )
    assert "          item.value               0.18\n" in text
    assert "          params.max_fairness_gap  0.1\n" in text


@settings(max_examples=50, deadline=None)
@given(
    auc=st.one_of(st.integers(-2, 2), st.floats(-2, 2, allow_nan=False)),
    floor=st.floats(0, 1, allow_nan=False),
)
def test_the_explained_value_agrees_with_the_evaluated_status(tmp_path_factory, auc, floor):
    path = tmp_path_factory.mktemp("p") / "gate.yaml"
    path.write_text(POLICY)
    policies = load_policies([path], params={"min_auc": floor})
    explanation = explain(record(metrics={"auc": auc}), policies, "auc", now=NOW)
    (item,) = explanation.items
    assert (item.check.value is True) == (explanation.status is Status.PASS)
    assert (item.check.value is False) == (explanation.status is Status.FAIL)


# --------------------------------------------------------------------------- inert text (issue 14)

HOSTILE_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  rules:
    - id: tag
      title: The tag is ok
      check: model.tag == "ok"
      message: 'tag {model.tag} of {model.name}'
    - id: notes
      for_each: model.notes
      check: item == "ok" || item.size() > 1000
      message: 'note {item}'
"""
# No lone surrogate: a record file cannot hold one (the loaders refuse it).
RECORD_TEXT = hostile_text('"', "\\", surrogates=False)


@pytest.fixture(scope="module")
def hostile_gate(tmp_path_factory):
    """The policy, and the folder each example writes its waiver to."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "gate.yaml").write_text(HOSTILE_POLICY)
    return load_policies([root / "gate.yaml"]), root


@settings(max_examples=60, deadline=None)
@given(name=RECORD_TEXT, version=RECORD_TEXT, tag=RECORD_TEXT, notes=st.lists(RECORD_TEXT,
       min_size=1, max_size=3), why=RECORD_TEXT)  # fmt: skip
def test_no_record_text_reaches_the_terminal_raw(hostile_gate, name, version, tag, notes, why):
    policies, root = hostile_gate
    waiver = root / "w.json"
    waiver.write_text(
        json.dumps({"apiVersion": "policygate/v1", "kind": "Waiver",
                    "metadata": {"name": "w" + why}, "spec": {"rule": "gate/*", "models": ["*"],
                    "justification": "x" + why, "approved_by": why + "@example.com",
                    "expires_at": "2027-01-01T00:00:00Z"}})
    )  # fmt: skip
    hostile = model_from_data(
        {"name": name or "m", "version": version, "tag": tag, "notes": notes}, f"{name}.yaml"
    )
    for waivers in ([], load_waivers([waiver])):
        for rule in ("tag", "notes"):
            explanation = explain(hostile, policies, rule, now=NOW, waivers=waivers)
            assert unsafe(render_text([explanation], verbose=True)) == []


def test_explain_and_check_explain_on_the_command_line_escape_record_text(tmp_path):
    from click.testing import CliRunner

    from policygate.cli import main

    (tmp_path / "gate.yaml").write_text(HOSTILE_POLICY)
    data = {"name": "evil\u202egnp", "version": "1\x1b[2J", "tag": "a\nPASSED  b\u2028c",
            "notes": ["\x07\u2066x\u2069"]}  # fmt: skip
    (tmp_path / "m.json").write_text(json.dumps(data))
    common = [str(tmp_path / "m.json"), "-p", str(tmp_path / "gate.yaml"), "--now", NOW]
    for args in (["check", *common, "--explain"], ["explain", *common, "--rule", "notes", "-v"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        assert unsafe(result.output) == []
        assert "evil\\u202egnp@1\\x1b[2J" in result.output
    assert "note \\x07\\u2066x\\u2069" in result.output


def test_explain_traces_the_one_evaluation_and_compiles_no_part(policies, monkeypatch):
    """The values shown are those the rule's own evaluation computed (the engine's
    observer), not a second evaluation of each part: nothing is compiled to explain
    a rule, and a part that ``&&`` never needed is shown as not evaluated."""
    from policygate import cel

    backend = cel.get_backend()
    compiled: list[str] = []
    original = type(backend).compile
    monkeypatch.setattr(
        type(backend), "compile", lambda self, text: compiled.append(text) or original(self, text)
    )
    data = dict(MODEL, robustness=[{"test": "noise", "value": 0.5, "baseline": 0.86}])
    explanation = explain(record(**data), policies, "robust", now=NOW)
    assert [c for c in compiled if c != "item"] == []
    (item,) = explanation.items
    parts = {p.text: p for p in item.check.parts}
    assert parts["item.baseline - item.value <= params.max_drop"].value is False
    assert item.check.value is False
    assert parts["has(item.test)"].evaluated is False  # `&&` decided on its left
    lines = [" ".join(line.split()) for line in render_text([explanation]).splitlines()]
    assert "has(item.test) (not evaluated)" in lines
