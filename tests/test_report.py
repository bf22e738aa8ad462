"""Tests for policygate.report: the result model owns pass/fail and the exit code."""

from __future__ import annotations

import json

import pytest

from policygate import __version__
from policygate.report import (
    FAIL_ON,
    REPORT_VERSION,
    ControlState,
    ModelReport,
    PolicyRef,
    PolicyUse,
    Report,
    Result,
    Status,
    WaiverUse,
    control_statuses,
    count_statuses,
)
from policygate.validation import shipped_validator

NOW = "2026-11-26T00:00:00Z"


def result(status: str, severity: str = "error", rule: str = "r", **kwargs) -> Result:
    return Result(policy="p", rule=rule, status=Status(status), severity=severity, **kwargs)


def model(
    *results: Result, passed: bool = True, evaluated: bool = True, name: str = "m"
) -> ModelReport:
    return ModelReport(
        name=name,
        version="1",
        source=f"{name}.yaml",
        passed=passed,
        policies=(PolicyUse("p", True),),
        results=results,
        controls=control_statuses(results),
        evaluated=evaluated,
    )


# --------------------------------------------------------------------------- Result


@pytest.mark.parametrize(
    ("status", "severity", "fail_on", "fails"),
    [
        ("fail", "error", "error", True),
        ("error", "error", "error", True),
        ("fail", "warning", "error", False),
        ("error", "warning", "error", False),
        ("fail", "info", "error", False),
        ("fail", "warning", "warning", True),
        ("error", "warning", "warning", True),
        ("fail", "error", "warning", True),
        ("fail", "info", "warning", False),
        ("fail", "info", "info", True),
        ("fail", "error", "never", False),
        ("error", "error", "never", False),
        ("pass", "error", "error", False),
        ("skip", "error", "info", False),
        ("waived", "error", "info", False),
    ],
)
def test_fails_at(status, severity, fail_on, fails):
    assert result(status, severity).fails_at(fail_on) is fails


def test_fail_on_values():
    assert FAIL_ON == ("error", "warning", "info", "never")


def test_status_values_and_str():
    assert [s.value for s in Status] == ["pass", "fail", "error", "skip", "waived"]
    assert str(Status.WAIVED) == "waived"
    assert str(ControlState.VIOLATED) == "violated"


def test_result_to_dict():
    use = WaiverUse("w", "w.yaml", "why", "carol", "2027-01-01T00:00:00Z", expired=True)
    r = Result(
        policy="p",
        rule="perf.auc",
        status=Status.FAIL,
        severity="warning",
        title="AUC",
        category="performance",
        message="too low",
        item=2,
        controls=("a:1", "b:2"),
        remediation="retrain",
        waiver=use,
    )
    assert r.rule_ref == "p/perf.auc"
    assert r.to_dict() == {
        "policy": "p",
        "rule": "perf.auc",
        "title": "AUC",
        "category": "performance",
        "severity": "warning",
        "status": "fail",
        "message": "too low",
        "item": 2,
        "controls": ["a:1", "b:2"],
        "remediation": "retrain",
        "waiver": {
            "name": "w",
            "source": "w.yaml",
            "justification": "why",
            "approved_by": "carol",
            "expires_at": "2027-01-01T00:00:00Z",
            "expired": True,
        },
    }
    assert result("pass").to_dict()["waiver"] is None


# --------------------------------------------------------------------------- counts


def test_count_statuses_counts_every_status_in_order():
    counts = count_statuses([result("pass"), result("pass"), result("waived"), result("error")])
    assert list(counts) == ["pass", "fail", "error", "skip", "waived"]
    assert counts == {"pass": 2, "fail": 0, "error": 1, "skip": 0, "waived": 1}


def test_summary_counts_models_and_results():
    report = Report(
        now=NOW,
        fail_on="error",
        models=(
            model(result("pass"), result("skip")),
            model(result("fail"), result("waived"), passed=False, name="n"),
            model(result("pass"), name="o"),
        ),
    )
    assert report.summary() == {
        "models": 3,
        "passed": 2,
        "failed": 1,
        "results": {"pass": 2, "fail": 1, "error": 0, "skip": 1, "waived": 1},
    }
    assert report.counts() == report.summary()["results"]


# --------------------------------------------------------------------------- controls


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        (["pass"], ControlState.SATISFIED),
        (["pass", "skip"], ControlState.SATISFIED),
        (["skip"], ControlState.UNVERIFIED),
        (["skip", "skip"], ControlState.UNVERIFIED),
        (["waived", "pass"], ControlState.WAIVED),
        (["waived", "skip"], ControlState.WAIVED),
        (["waived", "fail"], ControlState.VIOLATED),
        (["pass", "error"], ControlState.VIOLATED),
        (["fail"], ControlState.VIOLATED),
    ],
)
def test_control_state(statuses, state):
    results = [result(s, rule=f"r{i}", controls=("c:1",)) for i, s in enumerate(statuses)]
    (control,) = control_statuses(results)
    assert control.id == "c:1"
    assert control.status is state
    assert control.rules == tuple(f"p/r{i}" for i in range(len(statuses)))


def test_controls_sorted_and_rules_deduplicated():
    results = [
        result("pass", rule="b", item=0, controls=("z:1", "a:1")),
        result("pass", rule="b", item=1, controls=("z:1",)),
        result("pass", rule="a", controls=("z:1",)),
    ]
    controls = control_statuses(results)
    assert [c.id for c in controls] == ["a:1", "z:1"]
    assert controls[1].rules == ("p/a", "p/b")
    assert controls[1].to_dict() == {"id": "z:1", "status": "satisfied", "rules": ["p/a", "p/b"]}


def test_results_without_controls_give_no_controls():
    assert control_statuses([result("fail")]) == ()


# ------------------------------------------------------------------------ pass/fail and exit codes


@pytest.mark.parametrize(
    ("models", "passed", "code", "nothing"),
    [
        ((), False, 2, True),
        ((model(result("pass")),), True, 0, False),
        ((model(result("pass")), model(result("fail"), passed=False)), False, 1, False),
        ((model(result("skip"), evaluated=False, passed=False),), False, 2, True),
        # fail_on never: a model with nothing evaluated may be "passed", the run is still exit 2
        ((model(result("skip"), evaluated=False, passed=True),), False, 2, True),
        (
            (model(result("pass")), model(result("skip"), evaluated=False, passed=False)),
            False,
            1,
            False,
        ),
    ],
)
def test_exit_code(models, passed, code, nothing):
    report = Report(now=NOW, fail_on="error", models=models)
    assert report.passed is passed
    assert report.exit_code() == code
    assert report.nothing_evaluated is nothing


def test_nothing_evaluated_reasons():
    assert (
        Report(now=NOW, fail_on="error", models=()).nothing_evaluated_reason() == "no model found"
    )
    skipped = Report(now=NOW, fail_on="error", models=(model(result("skip"), evaluated=False),))
    assert "no rule applies to any model" in skipped.nothing_evaluated_reason()
    empty = Report(now=NOW, fail_on="error", models=(model(evaluated=False),))
    assert empty.nothing_evaluated_reason() == "no policy found"


# --------------------------------------------------------------------------- JSON


def sample_report() -> Report:
    use = WaiverUse("w", "w.yaml", "why", "carol", "2027-01-01T00:00:00Z", expired=False)
    return Report(
        now=NOW,
        fail_on="warning",
        models=(
            model(
                result("pass", controls=("a:1",)),
                result("waived", rule="s", waiver=use, message="gap", item="sex"),
                result("skip", rule="t", message="when is false"),
                name="credit",
            ),
            model(
                result("error", rule="u", message="no such key: model.x", item=0),
                passed=False,
                name="other",
            ),
        ),
        policies=(PolicyRef("p", "1.0.0", "p.yaml", "sha256:" + "0" * 64),),
    )


def test_to_dict_layout():
    data = sample_report().to_dict()
    assert list(data) == [
        "report_version",
        "policygate_version",
        "now",
        "engine",
        "passed",
        "fail_on",
        "summary",
        "policies",
        "models",
    ]
    assert data["report_version"] == REPORT_VERSION == 1
    assert data["policygate_version"] == __version__
    assert data["passed"] is False
    assert data["fail_on"] == "warning"
    assert data["policies"] == [
        {
            "name": "p",
            "version": "1.0.0",
            "source": "p.yaml",
            "digest": "sha256:" + "0" * 64,
            "params": {},
        }
    ]
    first = data["models"][0]
    assert list(first) == ["name", "version", "source", "passed", "policies", "results", "controls"]
    assert first["policies"] == [{"name": "p", "applicable": True}]
    assert first["controls"] == [{"id": "a:1", "status": "satisfied", "rules": ["p/r"]}]


def test_to_json_validates_and_is_stable():
    report = sample_report()
    text = report.to_json()
    assert text.endswith("}\n")
    assert text == sample_report().to_json()
    shipped_validator("Report").validate(json.loads(text))


def test_to_json_keeps_unicode():
    r = result("fail", message="Δ parity ≥ 0.1 — naïve")
    text = Report(now=NOW, fail_on="error", models=(model(r, passed=False),)).to_json()
    assert "Δ parity ≥ 0.1 — naïve" in text
    assert json.loads(text)["models"][0]["results"][0]["message"] == "Δ parity ≥ 0.1 — naïve"


def test_applicable_none_is_allowed_by_the_schema():
    m = ModelReport("m", "", "-", False, (PolicyUse("p", None),), (result("error"),))
    data = Report(now=NOW, fail_on="never", models=(m,)).to_dict()
    assert data["models"][0]["policies"] == [{"name": "p", "applicable": None}]
    shipped_validator("Report").validate(data)


def test_report_is_frozen():
    report = sample_report()
    with pytest.raises(AttributeError):
        report.now = "x"  # type: ignore[misc]
