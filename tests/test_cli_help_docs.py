"""Help texts say what the documentation says the commands do."""

from __future__ import annotations

from click.testing import CliRunner

from policygate.cli import main


def test_log_help_names_the_attestation_log() -> None:
    """docs/approvals.md: `log verify` and `log show` read an attestation log too;
    `policygate log --help` named only the decision and lifecycle logs."""
    result = CliRunner().invoke(main, ["log", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "an attestation log (approve --attestation-log PATH)" in result.output
