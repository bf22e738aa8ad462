"""``missing-controls`` asks nothing of a rule under an ``applies_to`` that reads
``risks``, its policy's own or one it inherits (SPEC §12: such a rule may name no
control, so asking for one contradicts the loader)."""

from __future__ import annotations

from pathlib import Path

from policygate.lint import lint_paths

RISKS_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  applies_to: size(risks) > 0
  rules:
    - id: calm
      check: model.ok
"""

CHILD = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: c}
spec:
  extends: [p.yaml]
  rules:
    - id: also-calm
      check: model.fine
"""


def _missing(path: Path) -> list[str]:
    return [p.message for p in lint_paths([path]).problems if p.code == "missing-controls"]


def test_no_missing_controls_under_an_applies_to_that_reads_risks(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(RISKS_POLICY, encoding="utf-8")
    assert _missing(path) == []
    plain = tmp_path / "plain.yaml"
    plain.write_text(RISKS_POLICY.replace("size(risks) > 0", "model.ok"), encoding="utf-8")
    assert _missing(plain) == ["rule 'calm' names no controls it gives evidence for"]


def test_no_missing_controls_under_an_inherited_applies_to_that_reads_risks(tmp_path):
    (tmp_path / "p.yaml").write_text(RISKS_POLICY, encoding="utf-8")
    child = tmp_path / "c.yaml"
    child.write_text(CHILD, encoding="utf-8")
    assert _missing(child) == []
    own = tmp_path / "own.yaml"
    own.write_text(CHILD.replace("spec:\n", "spec:\n  applies_to: model.ok\n"), encoding="utf-8")
    assert _missing(own) == ["rule 'also-calm' names no controls it gives evidence for"]
