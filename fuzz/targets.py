"""Fuzz targets: each takes bytes and raises ``AssertionError`` only for a real bug.

A target must never see an exception other than policygate's own errors (the
clean refusals every hostile input is entitled to). Anything else — a
``TypeError`` from deep inside, a traceback on the command line, exit code 0
for input that could not be loaded — is a finding. The same targets run
briefly under hypothesis in the test suite (tests/security/test_fuzz.py) and
for as long as you like under atheris (fuzz/run.py, see fuzz/README.md).
"""

from __future__ import annotations

import os
import tempfile

from click.testing import CliRunner
from hostile import load_hostile  # hostile YAML sizes (fuzz/hostile.py)
from judged import judge_non_numbers  # non-numbers where numbers are judged (fuzz/judged.py)

from policygate.cli import main
from policygate.documents import Limits, load_text
from policygate.errors import PolicygateError
from policygate.policy import load_policies

# Small limits keep each run fast; what they guard is tested at full size elsewhere.
LIMITS = Limits(max_bytes=64 * 1024, max_documents=20, max_depth=32, max_nodes=5_000,
                max_string=16 * 1024)  # fmt: skip

POLICY_HEADER = b"apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: fuzz}\n"

RULE_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: fuzzed}
spec:
  rules:
    - id: exact
      check: 'has(model.ok) && model.ok == "exactly-this-value"'
"""


def load_document(data: bytes) -> None:
    """The safe loader: only LoadError, and only JSON-compatible data."""
    try:
        documents = load_text(data, "fuzz.yaml", LIMITS)
    except PolicygateError:
        return
    for document in documents:
        _assert_plain(document.data, 0)


def parse_policy(data: bytes) -> None:
    """The policy parser and CEL compiler on a document that claims to be a Policy."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "policy.yaml")
        with open(path, "wb") as handle:
            handle.write(POLICY_HEADER + data)
        try:
            load_policies([path], limits=LIMITS)
        except PolicygateError:
            return


def run_cli(data: bytes) -> None:
    """``policygate check`` on a fuzzed model: exit 1 or 2, never 0, never a traceback."""
    with tempfile.TemporaryDirectory() as directory:
        model = os.path.join(directory, "model.yaml")
        policy = os.path.join(directory, "policy.yaml")
        with open(model, "wb") as handle:
            handle.write(data)
        with open(policy, "w", encoding="utf-8") as handle:
            handle.write(RULE_POLICY)
        result = CliRunner().invoke(
            main, ["check", model, "-p", policy, "--now", "2026-11-26T00:00:00Z",
                   "--limit", "max-nodes=5000", "--limit", "max-file-bytes=65536"],
        )  # fmt: skip
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output and "internal error" not in output, output
    if result.exit_code == 0:
        # Only a record that really says ok: "exactly-this-value" may pass.
        assert b"exactly-this-value" in data, output
    else:
        assert result.exit_code in (1, 2), output
        if result.exit_code == 2:
            assert "policygate: error: " in output, output


def _assert_plain(value: object, depth: int) -> None:
    assert depth <= LIMITS.max_depth + 1
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            _assert_plain(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _assert_plain(item, depth + 1)
    else:
        assert value is None or isinstance(value, (str, int, float, bool)), type(value)
        if isinstance(value, float):
            assert value == value and value not in (float("inf"), float("-inf"))


TARGETS = {"loader": load_document, "policy": parse_policy, "cli": run_cli,
           "hostile": load_hostile, "judged": judge_non_numbers}  # fmt: skip
