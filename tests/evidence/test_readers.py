"""The evidence readers on the real outputs of Evidently, Fairlearn and AI Verify
(tests/data/evidence/, see SOURCES.md), and the direction of every drift method."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from policygate.evidence import EvidenceError, read_evidence
from policygate.evidence.evidently import drift_direction

DATA = Path(__file__).parent.parent / "data" / "evidence"
EVIDENTLY = DATA / "evidently-v0.7-data-drift-report-fraud.json"
FAIRLEARN = DATA / "fairlearn-loan-risk-fairness-report.json"
AIVERIFY = DATA / "aiverify-fairness-metrics-toolbox-output-sample.json"


def evidently_report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EVIDENTLY.read_text())
    return data


# --------------------------------------------------------------------------- Evidently


def test_every_evidently_test_becomes_a_check_with_evidentlys_verdict():
    found = read_evidence(f"evidently:{EVIDENTLY}", name="fraud-drift")
    assert found.fairness == ()
    assert len(found.checks) == 300
    assert Counter(c["passed"] for c in found.checks) == {False: 226, True: 74}
    assert Counter(c["status"] for c in found.checks) == {"FAIL": 226, "SUCCESS": 74}
    assert all(c["source"] == f"evidently:{EVIDENTLY}" for c in found.checks)
    assert all(c["evidence"] == "fraud-drift" for c in found.checks)


def test_a_threshold_test_keeps_value_threshold_and_direction():
    found = read_evidence(f"evidently:{EVIDENTLY}")
    share = found.checks[0]
    assert share == {
        "name": "Share of Drifted Columns: Less 0.700",
        "value": 1.0,  # the share of drifted columns, as the test reads {count, share}
        "threshold": 0.7,
        "direction": "max",
        "passed": False,
        "status": "FAIL",
        "test": "LessThanMetricTest",
        "metric": "DriftedColumnsCount(drift_share=0.7)",
        "source": f"evidently:{EVIDENTLY}",
    }
    v1 = found.checks[1]
    assert (v1["name"], v1["column"], v1["method"]) == (
        "Value Drift for column V1", "V1", "Wasserstein distance (normed)"
    )  # fmt: skip
    assert (v1["value"], v1["threshold"], v1["direction"]) == (0.2222718086335771, 0.1, "max")


def test_a_test_with_no_numeric_threshold_is_judged_by_its_verdict_alone():
    found = read_evidence(f"evidently:{EVIDENTLY}")
    equal = [c for c in found.checks if c["test"] == "EqualMetricTest"]
    assert len(equal) == 266
    assert all("threshold" not in c and "direction" not in c for c in equal)
    row_count = next(c for c in equal if c["name"].startswith("Row count in dataset"))
    assert (row_count["value"], row_count["passed"]) == (26.0, False)


@pytest.mark.parametrize(
    "method, direction",
    [
        ("Wasserstein distance (normed)", "max"),
        ("PSI", "max"),
        ("psi", "max"),
        ("Jensen-Shannon distance", "max"),
        ("Kullback-Leibler divergence", "max"),
        ("Hellinger distance (normed)", "max"),
        ("Energy-distance", "max"),
        ("Text content drift (domain classifier)", "max"),
        ("K-S p_value", "min"),
        ("ks", "min"),
        ("chi-square p_value", "min"),
        ("Z-test p_value", "min"),
        ("Anderson-Darling test p_value", "min"),
        ("Fisher's Exact test", "min"),
        ("Mann-Whitney U-rank test", "min"),
        ("t_test", "min"),
        ("Empirical-MMD", "min"),
        ("some new method", None),
        (None, None),
    ],
)
def test_the_direction_of_each_drift_method(method, direction):
    assert drift_direction(method) == direction


def _drift_report(method: str, score: float, threshold: float, status: str) -> dict[str, Any]:
    """The real report cut to its V1 drift metric and test, with another method and score."""
    data = evidently_report()
    metric = copy.deepcopy(data["metrics"][1])
    test = copy.deepcopy(data["tests"][1])
    metric["config"]["method"] = method
    metric["config"]["threshold"] = threshold
    metric["value"] = score
    test["metric_config"]["params"]["method"] = method
    test["status"] = status
    return {"metrics": [metric], "tests": [test]}


@pytest.mark.parametrize(
    "method, score, threshold, status, expected",
    [
        ("K-S p_value", 0.30, 0.05, "SUCCESS", "min"),  # p above alpha: no drift
        ("K-S p_value", 0.01, 0.05, "FAIL", "min"),  # p below alpha: drift
        ("PSI", 0.05, 0.1, "SUCCESS", "max"),
        ("PSI", 0.30, 0.1, "FAIL", "max"),
    ],
)
def test_a_drift_test_carries_its_methods_direction(
    tmp_path, method, score, threshold, status, expected
):
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(_drift_report(method, score, threshold, status)))
    (check,) = read_evidence(f"evidently:{path}").checks
    assert (check["value"], check["threshold"], check["direction"]) == (score, threshold, expected)
    assert check["passed"] is (status == "SUCCESS")


def test_a_drift_metric_no_test_judges_is_a_check_judged_by_its_direction(tmp_path):
    data = _drift_report("K-S p_value", 0.01, 0.05, "FAIL")
    del data["tests"]
    path = tmp_path / "metrics-only.json"
    path.write_text(json.dumps(data))
    (check,) = read_evidence(f"evidently:{path}").checks
    assert (check["direction"], check["passed"]) == ("min", False)
    data["metrics"][0]["value"] = 0.2
    path.write_text(json.dumps(data))
    (check,) = read_evidence(f"evidently:{path}").checks
    assert check["passed"] is True


def test_a_report_with_nothing_to_judge_is_an_error(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"metrics": [{"id": "x", "config": {"type": "a:b:RowCount"},
                                             "value": 3}], "tests": []}))  # fmt: skip
    with pytest.raises(EvidenceError, match="holds nothing to judge"):
        read_evidence(f"evidently:{path}")


def test_not_an_evidently_report_names_the_file(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"tests": []}')
    with pytest.raises(EvidenceError) as error:
        read_evidence(f"evidently:{path}")
    assert str(error.value) == (
        f"{path}:1:1: not an Evidently report: expected an object with a metrics list"
    )


# --------------------------------------------------------------------------- Fairlearn


def test_a_fairlearn_report_gives_per_attribute_metrics_with_direction():
    found = read_evidence(f"fairlearn:{FAIRLEARN}", name="loan-fairness")
    assert found.protected_attributes == ("gender", "age_group")
    assert found.checks == ()
    assert [(m["attribute"], m["metric"], round(m["value"], 4), m["direction"])
            for m in found.fairness] == [
        ("gender", "demographic_parity_difference", 0.0133, "max"),
        ("gender", "equalized_odds_difference", 0.0467, "max"),
        ("gender", "fpr_gap", 0.0467, "max"),
        ("gender", "recall_gap", 0.0029, "max"),
        ("age_group", "demographic_parity_difference", 0.1056, "max"),
        ("age_group", "equalized_odds_difference", 0.217, "max"),
        ("age_group", "fpr_gap", 0.217, "max"),
        ("age_group", "recall_gap", 0.1944, "max"),
    ]  # fmt: skip


def test_a_fairlearn_value_that_is_not_a_number_names_its_line_and_path(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"metrics": {\n  "sex": {"demographic_parity_ratio": "n/a"}}}')
    with pytest.raises(EvidenceError) as error:
        read_evidence(f"fairlearn:{path}")
    assert str(error.value) == (
        f"{path}:2:39: fairness metric demographic_parity_ratio of sex is not a number: 'n/a'"
        " (at $.metrics.sex.demographic_parity_ratio)"
    )


def test_a_list_of_canonical_entries_is_read_and_ratios_are_min(tmp_path):
    path = tmp_path / "entries.json"
    path.write_text(json.dumps([{"attribute": "sex", "metric": "selection_rate_ratio",
                                 "value": 0.85, "groups": {"f": 0.3, "m": 0.35}}]))  # fmt: skip
    (entry,) = read_evidence(f"fairlearn:{path}").fairness
    assert entry["direction"] == "min"
    assert entry["groups"] == {"f": 0.3, "m": 0.35}


# --------------------------------------------------------------------------- AI Verify


def test_ai_verify_rates_become_gaps_and_disparate_impact_a_ratio():
    found = read_evidence(f"aiverify:{AIVERIFY}")
    assert found.protected_attributes == ("gender",)
    metrics = Counter(m["metric"] for m in found.fairness)
    assert metrics["true_positive_rate_difference"] == 2  # one per output class
    assert metrics["disparate_impact_ratio"] == 2
    tpr = next(m for m in found.fairness if m["metric"] == "true_positive_rate_difference")
    assert tpr["value"] == pytest.approx(0.19019933554817275 - 0.17026578073089702)
    assert (tpr["direction"], tpr["output_class"]) == ("max", "0")
    ratio = next(m for m in found.fairness if m["metric"] == "disparate_impact_ratio")
    assert (ratio["value"], ratio["direction"], ratio["groups"]) == (
        1.0218689431079695, "min", {"0/1": 1.0218689431079695}
    )  # fmt: skip
    assert found.ignored == (
        "Equal Selection Parity (output class 0): a count, not a rate",
        "Equal Selection Parity (output class 1): a count, not a rate",
    )


def test_ai_verify_output_without_a_sensitive_feature_is_an_error(tmp_path):
    data = json.loads(AIVERIFY.read_text())
    data["sensitive_feature"] = []
    path = tmp_path / "aiv.json"
    path.write_text(json.dumps(data))
    with pytest.raises(EvidenceError, match="names no sensitive_feature"):
        read_evidence(f"aiverify:{path}")


# --------------------------------------------------------------------------- real p-value reports


def test_a_real_k_s_report_reads_its_p_values_the_right_way_round():
    """Evidently picked the K-S test (tests/data/evidence/SOURCES.md): a drift score is a
    p-value, so a column passes when its score is at or above 0.05, not below it."""
    calm = read_evidence(f"evidently:{DATA / 'evidently-v0.7-ks-no-drift.json'}").checks
    drift = read_evidence(f"evidently:{DATA / 'evidently-v0.7-ks-income-drift.json'}").checks
    columns = {c["column"]: c for c in drift if "column" in c}
    assert {c: (round(v["value"], 4), v["direction"], v["passed"]) for c, v in columns.items()} == {
        "income": (0.0, "min", False),
        "debt": (0.3431, "min", True),
        "age": (0.5682, "min", True),
    }
    assert all(c["passed"] for c in calm)
    assert [c["direction"] for c in calm] == ["max", "min", "min", "min"]  # share, then p-values
