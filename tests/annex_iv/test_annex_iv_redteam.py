"""What the Annex IV drafts say about where each statement comes from: a record
can fill a part with anything (a rejected approval, a declaration of conformity
it describes as signed); the draft must not read as if policygate had checked it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policygate.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-26T00:00:00Z"
RECORD = {
    "apiVersion": "policygate/v1",
    "kind": "ModelRecord",
    "metadata": {"name": "cv", "version": "2", "owner": "hr-ml", "target_stage": "production"},
    "spec": {
        "risk_tier": "high",
        "intended_use": "Ranks job applications",
        "documentation": {
            "declaration_of_conformity": "Signed by the notified body, verified by policygate",
        },
        "approvals": [
            {"role": "model-validation", "approver": "x@example.com", "decision": "rejected"}
        ],  # fmt: skip
    },
}


def drafts(tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "cv.json"
    path.write_text(json.dumps(RECORD), encoding="utf-8")
    out = tmp_path / "out"
    args = ["docs", "annex-iv", str(path), "-p", str(ROOT / "policies"), "--now", NOW,
            "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    md = (out / "cv-2-annex-iv.md").read_text(encoding="utf-8")
    page = (out / "cv-2-annex-iv.html").read_text(encoding="utf-8")
    return md, page


def test_the_drafts_say_a_filled_part_is_the_records_word(tmp_path):
    md, page = drafts(tmp_path)
    for text in (md, page):
        assert "nothing here checks it" in text
        assert "complete means the record fills every field the part names" in text
        assert "may be unsigned, expired or rejected" in text
    # the record's claim is shown, as the record's, under its field
    assert "(spec.documentation.declaration\\_of\\_conformity): Signed by the notified body" in md


def test_the_evaluation_lines_say_the_evidence_list_is_the_records(tmp_path):
    import shutil

    data = ROOT / "tests" / "data" / "evidence" / "fairlearn-loan-risk-fairness-report.json"
    shutil.copy(data, tmp_path / "f.json")
    RECORD["spec"]["evidence"] = [{"source": "fairlearn:f.json", "name": "Notified body: OK"}]
    try:
        md, _ = drafts(tmp_path)
    finally:
        del RECORD["spec"]["evidence"]
    assert "Evidence attached to the record" not in md
    assert "- Evidence the record attaches, read before the rules ran: " in md
