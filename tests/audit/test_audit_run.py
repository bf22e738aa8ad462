"""Batch audit: streaming, parallel runs identical to serial ones, sources that fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.audit import AuditConfig, Auditor, audit, expand_sources, report_header
from policygate.audit.stream import ReportSpool, full_report, json_chunks
from policygate.audit.summary import AuditSummary
from policygate.cli import main
from policygate.report import Status

NOW = "2026-11-26T00:00:00Z"
POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: audit-gate, version: "2"}
spec:
  params: {min_auc: 0.8}
  rules:
    - id: auc
      title: AUC at or above the threshold
      check: model.spec.metrics.auc >= params.min_auc
      message: 'AUC {model.spec.metrics.auc} is below {params.min_auc}'
      controls: [eu-ai-act:art-15]
    - id: owner
      severity: warning
      check: has(model.metadata.owner)
      controls: [iso-42001:A.9.4]
    - id: production-only
      when: has(model.metadata.target_stage) && model.metadata.target_stage == "production"
      check: has(model.spec.approvals)
      controls: [eu-ai-act:art-14]
"""


def generate(root: Path, count: int) -> None:
    """``count`` model records in nested folders: every third below the AUC bar."""
    for i in range(count):
        folder = root / f"team-{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        auc = 0.7 if i % 3 == 0 else 0.9
        owner = "" if i % 5 == 0 else "owner: team\n  "
        (folder / f"model-{i:04d}.yaml").write_text(
            f"apiVersion: policygate/v1\nkind: ModelRecord\nmetadata:\n  name: model-{i:04d}\n"
            f"  {owner}version: '{i % 7}.0'\nspec:\n  metrics: {{auc: {auc}}}\n"
        )


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    generate(tmp_path / "registry", 40)
    (tmp_path / "registry" / "team-1" / "broken.yaml").write_text("metadata: [unclosed\n")
    (tmp_path / "registry" / "team-2" / "waiver-like.yaml").write_text(POLICY)  # skipped kind
    return tmp_path


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


def test_serial_and_parallel_runs_write_the_same_bytes(tree):
    common = ["audit", str(tree / "registry"), "-p", str(tree / "policy.yaml"), "--now", NOW]
    serial = run(*common, "-f", "json", "--report", f"summary={tree / 's1.txt'}")
    parallel = run(*common, "-f", "json", "--jobs", "2", "--report", f"summary={tree / 's2.txt'}")
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stdout == parallel.stdout
    assert (tree / "s1.txt").read_text() == (tree / "s2.txt").read_text()
    report = json.loads(serial.stdout)
    assert report["summary"]["models"] == 41  # 40 records and the broken file
    assert [m["name"] for m in report["models"]][:2] == ["model-0000", "model-0004"]


def test_the_streamed_json_report_is_the_one_check_writes(tree):
    models = tree / "registry" / "team-0"
    audited = run("audit", str(models), "-p", str(tree / "policy.yaml"), "--now", NOW, "-f", "json")
    checked = run("check", str(models), "-p", str(tree / "policy.yaml"), "--now", NOW, "-f", "json")
    assert audited.exit_code == checked.exit_code == 1
    assert audited.stdout == checked.stdout


def test_a_source_that_cannot_be_read_fails_and_the_audit_goes_on(tree):
    result = run(
        "audit",
        str(tree / "registry"),
        str(tree / "missing"),
        "-p",
        str(tree / "policy.yaml"),
        "--now",
        NOW,
    )
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "audit: 42 models, 26 passed, 16 failed (2 could not be read)\n"
    )
    assert "broken.yaml" in result.stdout and "missing: no such file or directory" in result.stdout
    assert "rules failing most (models):\n  14  audit-gate/auc\n" in result.stdout
    assert "controls most often violated (models):\n  14  eu-ai-act:art-15\n" in result.stdout
    assert "controls most often unverified (models):\n  40  eu-ai-act:art-14\n" in result.stdout


def test_reports_in_every_format_and_the_summary_on_stderr(tree):
    out = tree / "out"
    out.mkdir()
    result = run(
        "audit",
        str(tree / "registry" / "team-3"),
        "-p",
        str(tree / "policy.yaml"),
        "--now",
        NOW,
        "-f",
        "text",
        "--report",
        f"json={out / 'r.json'}",
        "--report",
        f"summary={out / 's.txt'}",
        "-o",
        str(out / "r.txt"),
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        (out / "r.txt")
        .read_text()
        .endswith("10 models, 6 passed, 4 failed · 14 pass, 6 fail, 0 error, 10 skip, 0 waived\n")
    )
    assert json.loads((out / "r.json").read_text())["summary"]["failed"] == 4
    assert (out / "s.txt").read_text().startswith("audit: 10 models, 6 passed, 4 failed\n")
    shown = run(
        "audit",
        str(tree / "registry" / "team-3"),
        "-p",
        str(tree / "policy.yaml"),
        "--now",
        NOW,
        "-f",
        "text",
    )
    assert shown.stderr.startswith("audit: 10 models")  # the summary goes with a report
    assert "FAILED  model-" in shown.stdout


def test_set_overlays_every_record(tree):
    result = run(
        "audit",
        str(tree / "registry" / "team-3"),
        "-p",
        str(tree / "policy.yaml"),
        "--now",
        NOW,
        "--set",
        "metadata.target_stage=production",
        "-f",
        "json",
    )
    rules = [
        r
        for m in json.loads(result.stdout)["models"]
        for r in m["results"]
        if r["rule"] == "production-only"
    ]
    assert {r["status"] for r in rules} == {"fail"}


def test_nothing_to_audit_exits_2(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "empty").mkdir()
    result = run("audit", str(tmp_path / "empty"), "-p", str(tmp_path / "policy.yaml"))
    assert result.exit_code == 2
    assert "audit: 0 models" in result.stdout
    assert "nothing evaluated: no model found" in result.stderr


def test_usage_errors_exit_2(tree):
    assert run("audit", str(tree), "-p", str(tree / "nope.yaml")).exit_code == 2
    bad = run("audit", str(tree), "-p", str(tree / "policy.yaml"), "--report", "pdf=x")
    assert bad.exit_code == 2 and "unknown format 'pdf'" in bad.stderr
    assert run("audit", str(tree), "-p", str(tree / "policy.yaml"), "--jobs", "0").exit_code == 2


def test_a_progress_bar_only_when_asked_or_on_a_terminal(tree, monkeypatch):
    args = [
        "audit",
        str(tree / "registry" / "team-0"),
        "-p",
        str(tree / "policy.yaml"),
        "--now",
        NOW,
    ]
    quiet = run(*args)
    assert "auditing" not in quiet.stderr  # not a terminal
    shown = run(*args, "--progress")
    assert "auditing" in shown.stderr and "10/10" in shown.stderr
    assert shown.stdout == quiet.stdout
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert "auditing" not in run(*args).stderr


def test_without_a_bar_the_sources_are_listed_as_the_audit_goes(tree, monkeypatch):
    """Nothing needs the number of sources without a progress bar: the first model is
    evaluated before the second source is listed, so an audit of many files does not
    hold an item for each of them (with the bar, they are listed first, for its total)."""
    import policygate.cli.audit as command

    events: list[str] = []
    real_expand, real_evaluate = command.expand_sources, command.Auditor.evaluate

    def expand(*args, **keywords):
        for item in real_expand(*args, **keywords):
            events.append("listed")
            yield item

    def evaluate(self, item):
        events.append("evaluated")
        return real_evaluate(self, item)

    monkeypatch.setattr(command, "expand_sources", expand)
    monkeypatch.setattr(command.Auditor, "evaluate", evaluate)
    args = ["audit", str(tree / "registry" / "team-0"), "-p", str(tree / "policy.yaml"),
            "--now", NOW]  # fmt: skip
    assert run(*args).exit_code in (0, 1)
    assert events[:3] == ["listed", "evaluated", "listed"] and events.count("listed") == 10
    events.clear()
    assert run(*args, "--progress").exit_code in (0, 1)
    assert events[:11] == ["listed"] * 10 + ["evaluated"]


def test_the_library_streams_models_to_a_spool(tree):
    config = AuditConfig(policies=(str(tree / "policy.yaml"),), now=NOW)
    auditor = Auditor(config)
    items = list(expand_sources([str(tree / "registry" / "team-1")]))
    with ReportSpool() as spool:
        summary = audit(items, config, on_model=spool.append, auditor=auditor)
        header = report_header(auditor)
        streamed = "".join(json_chunks(header, summary, iter(spool)))
        whole = full_report(header, spool)
    assert streamed == whole.to_json()
    assert summary.models == spool.count == 11
    assert summary.unreadable == 1


def test_json_chunks_of_no_model_is_the_empty_report(tree):
    auditor = Auditor(AuditConfig(policies=(str(tree / "policy.yaml"),), now=NOW))
    header = report_header(auditor)
    assert "".join(json_chunks(header, AuditSummary(), iter(()))) == header.to_json()


def test_summary_render_is_exact_and_ties_sort_by_name():
    from policygate.audit import unreadable
    from policygate.report import ControlState, ControlStatus, ModelReport, Result

    failing = ModelReport(
        name="m",
        version="1",
        source="m.yaml",
        passed=False,
        policies=(),
        results=(
            Result("p", "b", Status.FAIL),
            Result("p", "a", Status.ERROR),
            Result("p", "a", Status.FAIL, item=1),
            Result("p", "c", Status.PASS),
        ),
        controls=(
            ControlStatus("x:1", ControlState.VIOLATED, ("p/a",)),
            ControlStatus("x:2", ControlState.UNVERIFIED, ("p/c",)),
        ),
    )
    summary = AuditSummary()
    for model in (failing, failing, unreadable("gone.yaml", "gone.yaml: no such file")):
        summary.add(model)
    assert summary.render(top=5) == (
        "audit: 3 models, 0 passed, 3 failed (1 could not be read)\n"
        "results: 2 pass, 4 fail, 3 error, 0 skip, 0 waived\n"
        "\n"
        "rules failing most (models):\n"
        "  2  p/a\n"
        "  2  p/b\n"
        "\n"
        "controls most often violated (models):\n"
        "  2  x:1\n"
        "\n"
        "controls most often unverified (models):\n"
        "  2  x:2\n"
        "\n"
        "could not be read:\n"
        "  gone.yaml: no such file\n"
    )
    assert summary.exit_code() == 1
    assert summary.to_dict(top=1)["failing_rules"] == [("p/a", 2)]


def test_card_directories_expand_to_their_cards(tmp_path):
    cards = Path(__file__).parent.parent / "data" / "realdata"
    items = list(
        expand_sources(
            [f"hf:{cards / 'hf-modelcard'}", f"cyclonedx:{cards / 'cyclonedx'}", "mct:card.json"]
        )
    )
    assert len(items) == 15
    assert items[0].source.startswith("hf:") and items[0].source.endswith(".md")
    assert items[-1].source == "mct:card.json" and items[-1].error is None
    missing = list(expand_sources([str(tmp_path / "nowhere")]))
    assert len(missing) == 1 and "no such file or directory" in missing[0].error


def test_an_audit_of_real_cards_reports_broken_ones_and_goes_on(tmp_path):
    cards = Path(__file__).parent.parent / "data" / "realdata"
    bad = tmp_path / "bad.json"
    bad.write_text('{"bomFormat": "CycloneDX", "components": []}')
    policies = Path(__file__).parent.parent.parent / "policies"
    result = run(
        "audit",
        f"hf:{cards / 'hf-modelcard'}",
        f"cyclonedx:{bad}",
        "-p",
        str(policies),
        "--now",
        NOW,
        "--set",
        "spec.risk_tier=limited",
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("audit: 11 models, 0 passed, 11 failed (1 could not be read)\n")
    assert "the BOM holds no model: 0 component(s)" in result.stdout


def test_a_serial_audit_starts_no_process(tree, monkeypatch):
    """One engine in Python: nothing leaks, so ``--jobs 1`` evaluates every source in
    this process, however many there are."""
    from policygate.audit import runner

    def refuse(items, config, jobs):
        raise AssertionError("a serial audit started workers")

    monkeypatch.setattr(runner, "_in_workers", refuse)
    result = run("audit", str(tree / "registry"), "-p", str(tree / "policy.yaml"), "--now", NOW,
                 "-f", "json")  # fmt: skip
    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"]["models"] == 41
