"""A record's ``spec.evidence`` may not multiply a report: each entry copies the
report's findings into the record, so a few lines listing one report many times
(or many reports) made a record of millions of checks that no file could hold
(40 entries naming one 400 kB Evidently report: 280,000 checks, 40 s)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.cli import main
from policygate.documents import DEFAULT_LIMITS, Limits, load_file, to_yaml
from policygate.evidence import EvidenceError
from policygate.evidence.attach import count_nodes
from policygate.models import load_models

ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data" / "evidence"
EXAMPLE = ROOT / "examples" / "models" / "credit-default-passes.yaml"
DRIFT = DATA / "evidently-v0.7-ks-no-drift.json"


def write_record(folder: Path, evidence: list[dict[str, Any]]) -> Path:
    data: dict[str, Any] = load_file(EXAMPLE)[0].data
    data["spec"]["evidence"] = evidence
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "credit-default.yaml"
    path.write_text(to_yaml(data), encoding="utf-8")
    return path


def wide_report(path: Path, metrics: int) -> None:
    """An Evidently report of ``metrics`` PSI drift metrics, each one check."""
    config = {"type": "evidently:metric_v2:ValueDrift", "method": "psi", "threshold": 0.2}
    document = {
        "metrics": [
            {"metric_name": f"ValueDrift(column=c{i})", "config": config, "value": 0.1}
            for i in range(metrics)
        ]
    }
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize(
    "second",
    ["drift.json", "./drift.json", "same/drift.json", "./same/./drift.json", "latest.json"],
)
def test_a_report_listed_twice_is_refused_at_the_second_entry(tmp_path, second):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(DRIFT, folder / "drift.json")
    os.symlink(folder, folder / "same")
    os.symlink(folder / "drift.json", folder / "latest.json")
    record = write_record(
        folder, [{"source": "evidently:drift.json"}, {"source": f"evidently:{second}"}]
    )
    with pytest.raises(EvidenceError, match=r"listed twice \(spec.evidence\[0\]") as caught:
        load_models([record])
    assert caught.value.location is not None and caught.value.location.line is not None
    assert load_file(record)[0].location(("spec", "evidence", 1)) == caught.value.location


def test_a_report_listed_once_is_attached(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(DRIFT, folder / "drift.json")
    record = write_record(folder, [{"source": "evidently:drift.json"}])
    (loaded,) = load_models([record])
    assert len(loaded.data["spec"]["monitoring"]["checks"]) == 3 + 4  # the record's, the report's


def test_reports_whose_findings_overflow_the_node_limit_are_refused(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    for i in range(12):
        wide_report(folder / f"r{i}.json", 1000)  # 10,000 values each in the record
    record = write_record(folder, [{"source": f"evidently:r{i}.json"} for i in range(12)])
    with pytest.raises(EvidenceError, match="more than 100000 values") as caught:
        load_models([record])
    document = load_file(record)[0]
    entries = [document.location(("spec", "evidence", i)) for i in range(1, 12)]
    assert caught.value.location in entries
    (few,) = load_models([write_record(folder, [{"source": "evidently:r0.json"}])])
    assert len(few.data["spec"]["monitoring"]["checks"]) == 3 + 1000  # the record's, the report's
    assert count_nodes(few.data) <= DEFAULT_LIMITS.max_nodes


def test_the_cli_names_the_entry_and_the_limit(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    wide_report(folder / "a.json", 50)
    wide_report(folder / "b.json", 50)
    record = write_record(folder, [{"source": "evidently:a.json"}, {"source": "evidently:b.json"}])
    args = ["check", str(record), "-p", str(ROOT / "policies"), "--now", "2026-11-26T00:00:00Z"]
    passed = CliRunner().invoke(main, args)
    assert passed.exit_code == 0, passed.output
    refused = CliRunner().invoke(main, [*args, "--limit", "max-nodes=1000"])
    assert refused.exit_code == 2, refused.output
    assert "credit-default.yaml:" in refused.output and "max-nodes" in refused.output
    dup = write_record(folder, [{"source": "evidently:a.json"}] * 2)
    twice = CliRunner().invoke(main, ["check", str(dup), "-p", str(ROOT / "policies")])
    assert twice.exit_code == 2 and "listed twice" in twice.output


def test_check_evidence_that_overflows_a_record_is_a_usage_error(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    wide_report(folder / "a.json", 100)
    wide_report(folder / "b.json", 100)
    record = write_record(folder, [])
    args = ["check", str(record), "-p", str(ROOT / "policies")]
    for report in ("a", "b"):
        args += ["--evidence", f"credit-default=evidently:{folder / report}.json"]
    assert CliRunner().invoke(main, args).exit_code in (0, 1)
    refused = CliRunner().invoke(main, [*args, "--limit", "max-nodes=1800"])
    assert refused.exit_code == 2, refused.output
    assert "--evidence" in refused.output and "max-nodes" in refused.output


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(left=values, right=values)
def test_the_count_of_a_list_is_one_more_than_the_counts_of_its_items(left, right):
    assert count_nodes([left, right]) == 1 + count_nodes(left) + count_nodes(right)
    assert count_nodes({"a": left, "b": right}) == count_nodes([left, right])


def test_the_limit_is_the_one_given(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    wide_report(folder / "a.json", 200)
    wide_report(folder / "b.json", 200)
    record = write_record(folder, [{"source": "evidently:a.json"}, {"source": "evidently:b.json"}])
    (loaded,) = load_models([record])
    assert count_nodes(loaded.data) > 3000
    with pytest.raises(EvidenceError, match="more than 3000 values"):
        load_models([record], limits=Limits(max_nodes=3000))


FAIRLEARN = DATA / "fairlearn-loan-risk-fairness-report.json"


@pytest.mark.parametrize(
    "place, value, report",
    [
        ("fairness", [1, 2], "fairlearn"),
        ("fairness", "n/a", "fairlearn"),
        ("fairness", {"protected_attributes": "sex"}, "fairlearn"),
        ("fairness", {"metrics": 3}, "fairlearn"),
        ("monitoring", [["checks", 5]], "evidently"),
        ("monitoring", {"checks": "psi"}, "evidently"),
    ],
)
def test_a_place_the_findings_cannot_go_is_a_load_error_at_it(tmp_path, place, value, report):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(FAIRLEARN if report == "fairlearn" else DRIFT, folder / "r.json")
    data: dict[str, Any] = {
        "metadata": {"name": "m", "version": "1"},
        "spec": {place: value, "evidence": [{"source": f"{report}:r.json"}]},
    }
    path = folder / "m.yaml"
    path.write_text(to_yaml(data), encoding="utf-8")
    with pytest.raises(EvidenceError, match="must be a (map|list) for the evidence") as caught:
        load_models([path])
    assert caught.value.location is not None and caught.value.location.line is not None
    result = CliRunner().invoke(main, ["check", str(path), "-p", str(ROOT / "policies")])
    assert result.exit_code == 2 and "internal error" not in result.output, result.output
    assert f"m.yaml:{caught.value.location.line}:" in result.output
    del data["spec"]["evidence"]
    path.write_text(to_yaml(data), encoding="utf-8")
    option = (
        f"m=evidently:{folder / 'r.json'}"
        if report == "evidently"
        else f"m=fairlearn:{folder / 'r.json'}"
    )
    result = CliRunner().invoke(
        main, ["check", str(path), "-p", str(ROOT / "policies"), "--evidence", option]
    )
    assert result.exit_code == 2 and "internal error" not in result.output, result.output
    assert "for the evidence to be added to it" in result.output
