"""policygate diff: what a policy change would change, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.diff import Change, diff, render_json, render_text
from policygate.models import load_models, model_from_data
from policygate.policy import load_policies

ROOT = Path(__file__).parent.parent
NOW = "2026-11-26T00:00:00Z"

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  params: {min_auc: 0.8}
  rules:
    - id: auc
      check: model.metrics.auc >= params.min_auc
      message: 'AUC {model.metrics.auc} is below {params.min_auc}'
    - id: owner
      severity: warning
      check: model.owner != ""
"""


def policies(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return load_policies([path])


def model(name, auc, owner="team"):
    return model_from_data(
        {"name": name, "version": "1", "metrics": {"auc": auc}, "owner": owner}, f"{name}.yaml"
    )


def test_a_tightened_threshold_lists_who_it_breaks(tmp_path):
    base = policies(tmp_path, "base.yaml", POLICY)
    head = policies(tmp_path, "head.yaml", POLICY.replace("0.8", "0.85"))
    impact = diff([model("a", 0.9), model("b", 0.82), model("c", 0.5)], base, head, now=NOW)
    assert [(c.model, c.subject, c.base, c.head, c.change) for c in impact.changes] == [
        ("b@1", "gate/auc", "pass", "fail", Change.NEWLY_FAILING),
    ]
    assert [m.model for m in impact.newly_failing_models] == ["b@1"]
    assert impact.breaks and impact.exit_code() == 1
    assert render_text(impact) == (
        "b@1  b.yaml  passed -> FAILED\n"
        "  gate/auc  pass -> fail  (error, newly failing)\n"
        "            AUC 0.82 is below 0.85\n"
        "\n"
        "3 models: 1 newly failing, 0 newly passing · 1 newly fail, 0 newly error,"
        " 0 newly pass, 0 other\n"
    )


def test_a_loosened_threshold_only_frees(tmp_path):
    base = policies(tmp_path, "base.yaml", POLICY)
    head = policies(tmp_path, "head.yaml", POLICY.replace("0.8", "0.4"))
    impact = diff([model("c", 0.5)], base, head, now=NOW)
    assert [(c.base, c.head, c.change) for c in impact.changes] == [
        ("fail", "pass", Change.NEWLY_PASSING)
    ]
    assert [m.model for m in impact.newly_passing_models] == ["c@1"]
    assert not impact.breaks and impact.exit_code() == 0


def test_new_rules_errors_and_removed_rules(tmp_path):
    base = policies(tmp_path, "base.yaml", POLICY)
    head_text = POLICY.replace("model.metrics.auc >=", "model.metrics.roc >=") + (
        '    - id: new\n      check: model.owner == "nobody"\n'
    )
    head = policies(
        tmp_path,
        "head.yaml",
        head_text.replace(
            '    - id: owner\n      severity: warning\n      check: model.owner != ""\n', ""
        ),
    )
    impact = diff([model("a", 0.9)], base, head, now=NOW)
    assert [(c.subject, c.base, c.head, c.change) for c in impact.changes] == [
        ("gate/auc", "pass", "error", Change.NEWLY_ERROR),
        ("gate/new", "absent", "fail", Change.NEWLY_FAILING),
        ("gate/owner", "pass", "absent", Change.OTHER),
    ]
    data = json.loads(render_json(impact))
    assert data["summary"] == {
        "models": 1,
        "newly_failing_models": 1,
        "newly_passing_models": 0,
        "newly_failing": 1,
        "newly_error": 1,
        "newly_passing": 0,
        "other": 1,
    }
    assert data["breaks"] is True


def test_a_newly_failing_warning_breaks_only_under_fail_on_warning(tmp_path):
    base = policies(tmp_path, "base.yaml", POLICY)
    head = policies(tmp_path, "head.yaml", POLICY.replace('model.owner != ""', 'model.owner == ""'))
    models = [model("a", 0.9)]
    assert not diff(models, base, head, now=NOW).breaks
    assert diff(models, base, head, now=NOW, fail_on="warning").breaks


def test_the_shipped_policies_against_themselves_change_nothing():
    shipped = load_policies([ROOT / "policies"])
    impact = diff(load_models([ROOT / "examples"]), shipped, shipped, now=NOW)
    assert impact.changes == () and impact.model_changes == ()
    assert render_text(impact).startswith("no change\n4 models: 0 newly failing")


@settings(max_examples=40, deadline=None)
@given(
    aucs=st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=4),
    floor=st.floats(0, 1, allow_nan=False),
    owner=st.sampled_from(["", "team"]),
)
def test_a_policy_diffed_with_itself_is_empty(tmp_path_factory, aucs, floor, owner):
    path = tmp_path_factory.mktemp("p") / "gate.yaml"
    path.write_text(POLICY.replace("0.8", repr(floor)))
    loaded = load_policies([path])
    models = [model(f"m{i}", auc, owner) for i, auc in enumerate(aucs)]
    impact = diff(models, loaded, loaded, now=NOW)
    assert impact.changes == () and not impact.breaks


@settings(max_examples=40, deadline=None)
@given(
    auc=st.floats(0, 1, allow_nan=False),
    old=st.floats(0, 1, allow_nan=False),
    new=st.floats(0, 1, allow_nan=False),
)
def test_raising_a_threshold_never_frees_anyone(tmp_path_factory, auc, old, new):
    low, high = sorted((old, new))
    root = tmp_path_factory.mktemp("p")
    base = policies(root, "base.yaml", POLICY.replace("0.8", repr(low)))
    head = policies(root, "head.yaml", POLICY.replace("0.8", repr(high)))
    impact = diff([model("m", auc)], base, head, now=NOW)
    assert not any(c.change is Change.NEWLY_PASSING for c in impact.changes)
