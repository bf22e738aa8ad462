"""A model's control states are those its results give (report.control_statuses),
whether or not a rule of the policies names a control: the evaluator skips the
count when none does, and gives what the count gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate import evaluate, load_policies
from policygate.report import control_statuses

NOW = "2026-11-26T00:00:00Z"
CONTROLS = st.lists(st.sampled_from(["iso-42001:c-1", "iso-42001:c-2"]), max_size=2, unique=True)
CHECKS = st.sampled_from(
    ["model.spec.auc >= 0.8", "has(model.spec.card)", "model.spec.nothing == 1", "true"]
)


def _policy(directory: Path, name: str, rules: list[tuple[str, list[str]]]) -> Path:
    path = directory / f"{name}.json"
    doc = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": name},
        "spec": {
            "rules": [
                {"id": f"r{n}", "check": check, **({"controls": named} if named else {})}
                for n, (check, named) in enumerate(rules)
            ]
        },
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _model(auc: float, card: bool) -> dict[str, Any]:
    return {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {"name": "m", "version": "1"},
        "spec": {"auc": auc, **({"card": "c"} if card else {})},
    }


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    policies=st.lists(st.lists(st.tuples(CHECKS, CONTROLS), min_size=1, max_size=3), max_size=2),
    auc=st.floats(0, 1),
    card=st.booleans(),
)
def test_control_states_are_the_results_states(
    tmp_path: Path, policies: list[list[tuple[str, list[str]]]], auc: float, card: bool
) -> None:
    paths = [_policy(tmp_path, f"p{n}", rules) for n, rules in enumerate(policies)]
    loaded = load_policies(paths) if paths else []
    report = evaluate([_model(auc, card), _model(1 - auc, not card)], loaded, now=NOW)
    for model in report.models:
        assert model.controls == control_statuses(model.results)
        named = {c for rules in policies for _, controls in rules for c in controls}
        assert {c.id for c in model.controls} == named
