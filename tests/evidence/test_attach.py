"""Evidence attached to records: ``spec.evidence`` relative to the record, ``check
--evidence``, the paths that are refused, and the shipped rules judging the result
with no glue (SPEC §13)."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import policygate
from policygate.cli import main
from policygate.documents import load_file, to_yaml
from policygate.errors import LoadError, UsageError
from policygate.evidence import EvidenceError, attach_option, from_metricframe
from policygate.models import load_models

ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data" / "evidence"
EXAMPLE = ROOT / "examples" / "models" / "credit-default-passes.yaml"
POLICIES = ROOT / "policies"
NOW = "2026-11-26T00:00:00Z"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def bare_record() -> dict[str, Any]:
    """The passing example without its fairness results and monitoring checks."""
    data: dict[str, Any] = copy.deepcopy(load_file(EXAMPLE)[0].data)
    del data["spec"]["fairness"]
    data["spec"]["monitoring"] = {"dashboard": data["spec"]["monitoring"]["dashboard"]}
    return data


def write_record(folder: Path, evidence: list[dict[str, Any]] | None = None, **spec: Any) -> Path:
    data = bare_record()
    data["spec"].update(spec)
    if evidence is not None:
        data["spec"]["evidence"] = evidence
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "credit-default.yaml"
    path.write_text(to_yaml(data), encoding="utf-8")
    return path


def results(report: Any, rule: str) -> list[Any]:
    return [r for r in report.models[0].results if r.rule == rule and r.policy != "baseline"]


def fair_metricframe():
    """A real Fairlearn MetricFrame of a model that treats both groups alike."""
    import numpy as np
    from fairlearn.metrics import MetricFrame, selection_rate
    from sklearn.metrics import accuracy_score

    rng = np.random.default_rng(7)
    sex = np.array(["female", "male"] * 500)
    y_true = rng.integers(0, 2, size=1000)
    y_pred = np.where(rng.random(1000) < 0.95, y_true, 1 - y_true)
    return MetricFrame(
        metrics={"accuracy": accuracy_score, "selection_rate": selection_rate},
        y_true=y_true, y_pred=y_pred, sensitive_features=sex,
    )  # fmt: skip


# --------------------------------------------------------------------------- the whole path


def test_declared_evidence_is_judged_by_the_shipped_rules_with_no_glue(tmp_path):
    """The real Fairlearn report: age_group's equalized odds gap (0.217) is above the
    pack's 0.10; the real Evidently report: 29 drifting columns and failed tests."""
    folder = tmp_path / "models"
    shutil.copy(DATA / "fairlearn-loan-risk-fairness-report.json", folder.mkdir() or folder)
    (folder / "reports").mkdir()
    shutil.copy(DATA / "evidently-v0.7-data-drift-report-fraud.json", folder / "reports")
    record = write_record(folder, [
        {"source": "fairlearn:fairlearn-loan-risk-fairness-report.json", "name": "fairness"},
        {"source": "evidently:reports/evidently-v0.7-data-drift-report-fraud.json",
         "name": "drift", "checked_at": "2026-11-20T00:00:00Z"},
    ])  # fmt: skip
    (loaded,) = load_models([record])
    spec = loaded.data["spec"]
    assert spec["fairness"]["protected_attributes"] == ["gender", "age_group"]
    assert len(spec["fairness"]["metrics"]) == 8
    assert len(spec["monitoring"]["checks"]) == 300
    assert spec["monitoring"]["checks"][0]["checked_at"] == "2026-11-20T00:00:00Z"
    report = policygate.evaluate([loaded], policygate.load_policies([str(POLICIES)]), now=NOW)
    gaps = {r.message.split(" is ")[0] for r in results(report, "fairness.gap")
            if r.status.value == "fail"}  # fmt: skip
    assert gaps == {
        "demographic_parity_difference for age_group",
        "equalized_odds_difference for age_group",
        "fpr_gap for age_group",
        "recall_gap for age_group",
    }
    monitoring = results(report, "monitoring.within-threshold")
    assert [r.status.value for r in monitoring].count("fail") == 226
    assert [r.status.value for r in monitoring].count("pass") == 74
    assert not report.passed


def test_check_evidence_attaches_a_metricframe_and_a_drift_report_and_the_model_passes(tmp_path):
    record = write_record(tmp_path / "models")
    fairness = tmp_path / "fairness.json"
    fairness.write_text(json.dumps(from_metricframe(fair_metricframe(), attribute="sex")))
    drift = tmp_path / "drift.json"
    report = json.loads((DATA / "evidently-v0.7-data-drift-report-fraud.json").read_text())
    keep = report["metrics"][1]  # V1 drift, here measured with a p-value test that passes
    keep.update(value=0.42, config={**keep["config"], "method": "K-S p_value", "threshold": 0.05})
    drift.write_text(json.dumps({"metrics": [keep]}))
    base = ["check", str(record), "-p", str(POLICIES), "--now", NOW]
    without = run(*base)
    assert without.exit_code == 1
    given = run(*base, "--evidence", f"credit-default@3.*=fairlearn:{fairness}",
                "--evidence", f"credit-default=evidently:{drift}", "-f", "json")  # fmt: skip
    assert given.exit_code == 0, given.output
    checks = [r for r in json.loads(given.stdout)["models"][0]["results"]
              if r["rule"] == "monitoring.within-threshold"]  # fmt: skip
    assert [c["status"] for c in checks] == ["pass"]


def test_a_p_value_below_its_threshold_fails_the_shipped_monitoring_rule(tmp_path):
    record = bare_record()
    policies = policygate.load_policies([str(POLICIES)])
    record["spec"]["fairness"] = load_file(EXAMPLE)[0].data["spec"]["fairness"]
    check = {"name": "ks-income", "threshold": 0.05, "direction": "min", "passed": True}
    verdicts = {}
    for p_value in (0.5, 0.05, 0.01):
        record["spec"]["monitoring"]["checks"] = [{**check, "value": p_value}]
        report = policygate.evaluate([record], policies, now=NOW)
        (result,) = results(report, "monitoring.within-threshold")
        verdicts[p_value] = result.status.value
    assert verdicts == {0.5: "pass", 0.05: "pass", 0.01: "fail"}
    assert "ks-income is 0.01, below its minimum 0.05" in result.message


def test_a_check_its_tool_failed_fails_even_within_its_threshold():
    record = copy.deepcopy(load_file(EXAMPLE)[0].data)
    record["spec"]["monitoring"]["checks"] = [
        {"name": "lt-test", "value": 0.7, "threshold": 0.7, "direction": "max", "passed": False},
        {"name": "eq-test", "value": 26.0, "passed": False},
        {"name": "eq-ok", "value": 0.0, "passed": True},
    ]
    report = policygate.evaluate([record], policygate.load_policies([str(POLICIES)]), now=NOW)
    statuses = [r.status.value for r in results(report, "monitoring.within-threshold")]
    assert statuses == ["fail", "fail", "pass"]


# --------------------------------------------------------------------------- from_metricframe


def test_from_metricframe_on_a_real_metricframe():
    frame = fair_metricframe()
    entries = from_metricframe(frame, attribute="sex", name="holdout")
    by_metric = {e["metric"]: e for e in entries}
    assert set(by_metric) == {
        "accuracy_difference", "accuracy_ratio", "selection_rate_difference",
        "selection_rate_ratio",
    }  # fmt: skip
    gap = by_metric["selection_rate_difference"]
    assert gap["value"] == pytest.approx(float(frame.difference()["selection_rate"]))
    assert gap["direction"] == "max" and by_metric["selection_rate_ratio"]["direction"] == "min"
    assert set(gap["groups"]) == {"female", "male"}
    assert gap["overall"] == pytest.approx(float(frame.overall["selection_rate"]))
    assert gap["attribute"] == "sex" and gap["evidence"] == "holdout"
    # without attribute=: the frame's sensitive feature name (here fairlearn's default)
    assert {e["attribute"] for e in from_metricframe(frame)} == {"sensitive_feature_0"}


def test_from_metricframe_of_one_metric():
    import numpy as np
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import recall_score

    frame = MetricFrame(metrics=recall_score, y_true=np.array([1, 1, 0, 1]),
                        y_pred=np.array([1, 0, 0, 1]),
                        sensitive_features={"age_band": ["a", "a", "b", "b"]})  # fmt: skip
    entries = from_metricframe(frame)
    assert [(e["attribute"], e["metric"], e["value"]) for e in entries] == [
        ("age_band", "recall_score_difference", 0.5),
        ("age_band", "recall_score_ratio", 0.5),
    ]


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    "path, message",
    [
        ("/etc/passwd", "is absolute: evidence paths are relative to the record"),
        ("../outside.json", "has a '..' segment"),
        ("reports/../../outside.json", "has a '..' segment"),
        ("~/report.json", "is absolute"),
        ("a\\b.json", "holds a NUL or a backslash"),
        ("link/outside.json", "leads out of the record's directory through a link"),
    ],
)
def test_an_evidence_path_may_not_leave_the_records_directory(tmp_path, path, message):
    outside = tmp_path / "outside.json"
    shutil.copy(DATA / "fairlearn-loan-risk-fairness-report.json", outside)
    folder = tmp_path / "models"
    folder.mkdir()
    os.symlink(tmp_path, folder / "link")
    record = write_record(folder, [{"source": f"fairlearn:{path}", "name": "x"}])
    with pytest.raises(EvidenceError) as error:
        load_models([record])
    assert message in str(error.value)
    assert str(error.value).startswith(f"{record}:")  # file:line:col of the entry
    result = run("check", str(record), "-p", str(POLICIES), "--now", NOW)
    assert result.exit_code == 2 and message in result.stderr


def test_a_link_inside_the_directory_is_followed(tmp_path):
    folder = tmp_path / "models"
    (folder / "reports").mkdir(parents=True)
    shutil.copy(DATA / "fairlearn-loan-risk-fairness-report.json", folder / "reports" / "f.json")
    os.symlink(folder / "reports", folder / "latest")
    record = write_record(folder, [{"source": "fairlearn:latest/f.json"}])
    (loaded,) = load_models([record])
    assert len(loaded.data["spec"]["fairness"]["metrics"]) == 8


def test_an_evidence_file_over_the_size_limit_is_refused(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(DATA / "evidently-v0.7-data-drift-report-fraud.json", folder / "drift.json")
    record = write_record(folder, [{"source": "evidently:drift.json"}])
    from policygate.documents import Limits

    with pytest.raises(LoadError, match="bytes"):
        load_models([record], limits=Limits(max_bytes=100_000))


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"source": "tableau:x.json"},
         ":79:13: 'tableau:x.json' does not match '^(evidently|fairlearn|aiverify):.+'"
         " (at $.spec.evidence[0].source)"),
        ({"source": "fairlearn:"}, ":79:13: 'fairlearn:' does not match"),
        ({"name": "no source"}, ":79:5: 'source' is required (at $.spec.evidence[0])"),
        ({"source": "fairlearn:missing.json"},
         ":79:5: evidence 'fairlearn:missing.json': "),
    ],
)  # fmt: skip
def test_a_bad_evidence_entry_is_a_load_error(tmp_path, entry, message):
    record = write_record(tmp_path, [entry])
    result = run("check", str(record), "-p", str(POLICIES), "--now", NOW)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"policygate: error: {record}{message}")


def test_an_untyped_record_gets_the_evidence_readers_own_messages(tmp_path):
    data = bare_record()
    del data["apiVersion"], data["kind"]
    data["spec"]["evidence"] = [{"name": "no source"}, {"source": "tableau:x.json"}]
    path = tmp_path / "own-export.yaml"
    path.write_text(to_yaml(data))
    with pytest.raises(EvidenceError, match="an evidence entry is a mapping with a source"):
        load_models([path])
    data["spec"]["evidence"] = [{"source": "tableau:x.json"}]
    path.write_text(to_yaml(data))
    with pytest.raises(EvidenceError, match="expected FORMAT:PATH with FORMAT one of evidently"):
        load_models([path])


def test_a_record_read_from_stdin_or_memory_has_no_directory_for_evidence():
    data = bare_record()
    data["spec"]["evidence"] = [{"source": "fairlearn:f.json"}]
    from policygate.evidence import attach_declared
    from policygate.models import model_from_data

    with pytest.raises(EvidenceError, match="has no directory for relative evidence paths"):
        attach_declared(model_from_data(data))


# --------------------------------------------------------------------------- --evidence


@pytest.mark.parametrize(
    "value, message",
    [
        ("credit-default", "expected NAME@VERSION-GLOB=FORMAT:PATH"),
        ("=fairlearn:x.json", "expected NAME@VERSION-GLOB=FORMAT:PATH"),
        ("credit-default=shap:x.json", "expected FORMAT:PATH with FORMAT one of"),
        ("credit-defualt@*=fairlearn:x.json", "no model of the run matches 'credit-defualt@*'"),
        ("credit-default@4.*=fairlearn:x.json", "no model of the run matches 'credit-default@4.*'"),
    ],
)
def test_a_bad_evidence_option_is_a_usage_error(tmp_path, value, message):
    record = write_record(tmp_path)
    result = run("check", str(record), "-p", str(POLICIES), "--now", NOW, "--evidence", value)
    assert result.exit_code == 2
    assert message in result.stderr
    with pytest.raises(UsageError, match=message.split("'")[0]):
        attach_option(load_models([record]), [value])


def test_evidence_goes_only_to_the_models_it_names(tmp_path):
    first = write_record(tmp_path / "a")
    other = bare_record()
    other["metadata"]["name"] = "churn"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "churn.yaml").write_text(to_yaml(other))
    records = load_models([first, tmp_path / "b" / "churn.yaml"])
    source = f"fairlearn:{DATA / 'fairlearn-loan-risk-fairness-report.json'}"
    attached = attach_option(records, [f"credit-default@3.1.*={source}"])
    entry = {"source": source, "name": "credit-default@3.1.*"}
    assert attached[0].data["spec"]["evidence"] == [entry]
    assert len(attached[0].data["spec"]["fairness"]["metrics"]) == 8
    assert attached[1] is records[1]
    assert "evidence" not in records[0].data["spec"]  # the input is never changed


@pytest.mark.parametrize(
    "report, verdict",
    [("evidently-v0.7-ks-no-drift.json", 0), ("evidently-v0.7-ks-income-drift.json", 1)],
)
def test_the_shipped_pack_judges_a_real_p_value_report_the_right_way_round(
    tmp_path, report, verdict
):
    data = bare_record()
    data["spec"]["fairness"] = load_file(EXAMPLE)[0].data["spec"]["fairness"]
    data["spec"]["evidence"] = [{"source": f"evidently:{report}", "name": "drift"}]
    shutil.copy(DATA / report, tmp_path)
    (tmp_path / "record.yaml").write_text(to_yaml(data))
    result = run("check", str(tmp_path / "record.yaml"), "-p", str(POLICIES), "--now", NOW)
    assert result.exit_code == verdict, result.output
    if verdict:
        assert "Monitoring check Value Drift for column income is 2.602477629745365e-32," in (
            result.stdout
        )
        assert "below its minimum 0.05" in result.stdout


def test_a_record_sent_to_the_decision_service_cannot_list_evidence():
    """It has no directory: the service answers 400 naming the entry rather than
    judging the record without the reports it lists."""
    from policygate.serve import ServeSettings, build_app

    app = build_app(ServeSettings(policies=(str(POLICIES),)))
    data = bare_record()
    data["spec"]["evidence"] = [{"source": "fairlearn:fairness.json"}]
    answer = app.check(app.served.current, json.dumps({"models": [data], "now": NOW}).encode())
    assert answer.status == 400
    assert "has no directory for relative evidence paths" in answer.body.decode()


def test_a_signed_approval_covers_the_evidence_it_was_given_on(tmp_path):
    """The record digest is that of the record as loaded, its evidence read in: an
    approval signed over it verifies while the report is the same, and no longer once
    the report is swapped for another (fail closed)."""
    import datetime as _dt

    from policygate.approvals import load_approvers, sign_approval
    from policygate.approvals.signing import generate_key

    key = generate_key()
    directory = tmp_path / "approvers.yaml"
    directory.write_text(to_yaml({
        "apiVersion": "policygate/v1", "kind": "Approvers", "metadata": {"name": "d"},
        "spec": {"approvers": [{"id": "bob@example.com", "roles": ["model-risk-officer"],
                                "keys": [{"public_key": key.public.text}]}]},
    }))  # fmt: skip
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(DATA / "evidently-v0.7-ks-no-drift.json", folder / "drift.json")
    data = bare_record()
    data["spec"]["evidence"] = [{"source": "evidently:drift.json"}]
    data["spec"]["approvals"] = []
    path = folder / "record.yaml"
    path.write_text(to_yaml(data))
    (loaded,) = load_models([path])
    granted = _dt.datetime(2026, 11, 20, tzinfo=_dt.UTC)
    expires = granted + _dt.timedelta(days=90)
    approval = sign_approval(
        loaded.data, key, role="model-risk-officer", scope="production",
        approver="bob@example.com", granted_at=granted, expires_at=expires,
    )  # fmt: skip
    data["spec"]["approvals"] = [approval]
    path.write_text(to_yaml(data))
    approvers = load_approvers([directory])
    policies = policygate.load_policies([str(POLICIES)])

    def verified() -> bool:
        report = policygate.evaluate([str(path)], policies, now=NOW, approvers=approvers,
                                     params={"require_signed_approvals": True})  # fmt: skip
        (signed,) = [r for r in report.models[0].results
                     if r.rule == "approval.signed" and r.item == 0]  # fmt: skip
        return signed.status.value == "pass"

    assert verified()
    shutil.copy(DATA / "evidently-v0.7-ks-income-drift.json", folder / "drift.json")
    assert not verified()
