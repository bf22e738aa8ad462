"""A bad ``matches()`` pattern is policygate's own error, and RE2 logs nothing (issue 14).

google-re2 (and the RE2 in cel-expr-python) log a pattern that does not
compile through absl, straight to the process's stderr: ``WARNING: All log
messages before absl::InitializeLog() ...`` then ``E0000 ... re2.cc:242]
Error parsing ...``, once per compile. Through the CLI, stderr must hold none
of it, and the result must say which pattern is wrong and why.
"""

from __future__ import annotations

import subprocess
import sys

NOISE = ("absl", "re2.cc", "E0000", "InitializeLog", "Error parsing")

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate, version: "1"}
spec:
  rules:
    - id: constant
      check: model.metadata.name.matches("a(b")
    - id: from-the-record
      check: model.metadata.name.matches(model.spec.pattern)
"""
MODEL = """\
apiVersion: policygate/v1
kind: ModelRecord
metadata: {name: ab, version: "1"}
spec: {pattern: "[z-a"}
"""


def test_a_bad_pattern_is_reported_and_re2_stays_off_stderr(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "model.yaml").write_text(MODEL)
    for fmt in ("text", "json"):
        done = subprocess.run(
            [sys.executable, "-m", "policygate", "check", str(tmp_path / "model.yaml"),
             "-p", str(tmp_path / "policy.yaml"), "-f", fmt,
             "--now", "2026-11-26T00:00:00Z"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr  # an error result fails the model
        noise = [line for line in done.stderr.splitlines() if any(n in line for n in NOISE)]
        assert noise == [], done.stderr
        assert "matches(): invalid pattern 'a(b': missing ): a(b" in done.stdout
        assert "matches(): invalid pattern '[z-a': invalid character class range: z-a" in (
            done.stdout
        )
