"""``policygate approve`` and ``check --approvers/--attestations``, end to end through the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "models" / "credit-default-passes.yaml"
HIGH_RISK = str(ROOT / "policies" / "production-high-risk.yaml")
NOW = "2026-11-26T00:00:00Z"
BOB = "bob.lindqvist@example.com"
PRIYA = "priya.natarajan@example.com"


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    result = CliRunner().invoke(main, list(args), env=env, input=input)
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def team(tmp_path, monkeypatch):
    """Keys for Bob and Priya, an approvers directory, and a copy of the example record."""
    monkeypatch.chdir(tmp_path)
    public = {}
    for name in ("bob", "priya", "mallory"):
        result = run("keygen", f"{name}.pem")
        assert result.exit_code == 0
        public[name] = result.stdout.strip()
    entries = [
        (BOB, "model-risk-officer", public["bob"]),
        (PRIYA, "model-validation", public["priya"]),
    ]
    Path("approvers.yaml").write_text(
        "apiVersion: policygate/v1\nkind: Approvers\nmetadata: {name: acme}\nspec:\n"
        "  approvers:\n"
        + "".join(
            f"    - {{id: {who}, roles: [{role}], keys: [{{public_key: '{key}'}}]}}\n"
            for who, role, key in entries
        )
    )
    shutil.copy(EXAMPLE, "model.yaml")
    return tmp_path


def approve(*args: str, **kwargs):
    return run("approve", "--risk-assessment", "RA-2026-044", "--now", "2026-11-20T00:00:00Z",
               *args, **kwargs)  # fmt: skip


def check(*args: str):
    return run("check", "-p", HIGH_RISK, "--param", "require_signed_approvals=true",
               "--now", NOW, *args)  # fmt: skip


def sign_both(model: str = "model.yaml", *extra: str) -> None:
    first = approve(model, "--role", "model-risk-officer", "--key", "bob.pem",
                    "--approvers", "approvers.yaml", *extra)  # fmt: skip
    assert first.exit_code == 0, first.stderr
    second = approve(model, "--role", "model-validation", "--key", "priya.pem",
                     "--approver", PRIYA, *extra)  # fmt: skip
    assert second.exit_code == 0, second.stderr


def test_sign_then_check_passes_and_any_edit_fails(team):
    original = Path("model.yaml").read_text()
    result = approve("model.yaml", "--role", "model-risk-officer", "--key", "bob.pem",
                     "--approvers", "approvers.yaml")  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"policygate: approved credit-default@3.1.0 as model-risk-officer by {BOB} (key SHA256:"
    )
    assert result.stderr.endswith(", expires 2027-02-18T00:00:00Z); added to model.yaml\n")
    text = Path("model.yaml").read_text()
    assert text.startswith(original.split("  risks:")[0])  # only lines were added
    assert text.count("\n") == original.count("\n") + 12

    result = approve("model.yaml", "--role", "model-validation", "--key", "priya.pem",
                     "--approver", PRIYA, "--note", "Checked on both evaluation sets")  # fmt: skip
    assert result.exit_code == 0

    passed = check("model.yaml", "--approvers", "approvers.yaml")
    assert passed.exit_code == 0, passed.stdout
    assert check("model.yaml").exit_code == 1  # no directory: nothing verified

    Path("model.yaml").write_text(
        Path("model.yaml")
        .read_text()
        .replace(
            "auc: 0.874, accuracy: 0.912}   #", "auc: 0.875, accuracy: 0.912}   #"
        )  # fmt: skip
    )
    failed = check("model.yaml", "--approvers", "approvers.yaml")
    assert failed.exit_code == 1
    assert "(the model record changed since it was signed: signed sha256:" in failed.stdout


def test_the_default_is_unchanged_without_the_param(team):
    sign_both()
    result = run("check", "model.yaml", "-p", HIGH_RISK, "--now", NOW)
    assert result.exit_code == 0


def test_attestations_leave_the_record_alone(team):
    original = Path("model.yaml").read_text()
    sign_both("model.yaml", "--attestation", "approvals.yaml")
    assert Path("model.yaml").read_text() == original
    text = Path("approvals.yaml").read_text()
    assert text.count("kind: Attestation") == 2 and "\n---\n" in text
    assert check("model.yaml", "--approvers", "approvers.yaml").exit_code == 1
    result = check(
        "model.yaml", "--approvers", "approvers.yaml", "--attestations", "approvals.yaml"
    )
    assert result.exit_code == 0, result.stdout


def test_attestation_to_stdout_and_a_record_from_stdin(team):
    result = approve("-", "--role", "model-risk-officer", "--key", "bob.pem", "--approver", BOB,
                     "--attestation", "-", input=Path("model.yaml").read_text())  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout.startswith("apiVersion: policygate/v1\nkind: Attestation\n")
    result = approve("-", "--role", "r", "--key", "bob.pem", "--approver", BOB, input="a: 1\n")
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: a record read from stdin cannot be changed: give --attestation PATH\n"
    )


def test_refuses_an_approval_that_would_not_verify(team):
    original = Path("model.yaml").read_text()
    result = approve("model.yaml", "--role", "model-risk-officer", "--key", "priya.pem",
                     "--approvers", "approvers.yaml")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: refusing to sign an approval that would not verify: "
        f"{PRIYA} did not hold the role model-risk-officer at 2026-11-20T00:00:00Z "
        "(held: model-validation)\n"
    )
    assert Path("model.yaml").read_text() == original


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "bob.pem"], "give --approver ID, or --approvers PATH to find it from the key"),
        (["--key", "mallory.pem", "--approvers", "approvers.yaml"], "key SHA256:"),
        (["--key", "nope.pem", "--approver", BOB], "nope.pem: cannot read: No such file"),
        (["--key", "bob.pem.pub", "--approver", BOB], "bob.pem.pub: not a readable PEM"),
        (["--key", "bob.pem", "--approver", BOB, "--expires-in", "3 months"], "duration"),
        (["--key", "bob.pem", "--approver", BOB, "--now", "today"], "--now: not an RFC 3339"),
        (["--key", "bob.pem", "--approver", BOB, "--scope", "production", "--expires-in", "0d"],
         "duration '0d'"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_and_change_nothing(team, args, message):
    original = Path("model.yaml").read_text()
    result = approve("model.yaml", "--role", "model-risk-officer", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("policygate: error: ")
    assert message in result.stderr
    assert Path("model.yaml").read_text() == original


def test_a_record_without_target_stage_needs_a_scope(team):
    Path("m.yaml").write_text("metadata: {name: m, version: '1'}\nspec: {}\n")
    args = ["--role", "model-risk-officer", "--key", "bob.pem", "--approver", BOB]
    result = approve("m.yaml", *args)
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: the record has no metadata.target_stage: give --scope\n"
    )
    result = approve("m.yaml", *args, "--scope", "staging", "--decision", "rejected")
    assert result.exit_code == 0
    assert "scope: staging" in Path("m.yaml").read_text()
    assert "decision: rejected" in Path("m.yaml").read_text()


def test_several_records_in_one_file_are_refused(team):
    Path("two.yaml").write_text("name: a\n---\nname: b\n")
    result = approve("two.yaml", "--role", "r", "--key", "bob.pem", "--approver", BOB,
                     "--scope", "production")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: two.yaml: holds 2 model records; approve one at a time\n"
    )


def test_an_encrypted_key(team):
    assert run("keygen", "enc.pem", "--passphrase-env", "PASS", env={"PASS": "pw"}).exit_code == 0
    args = ["model.yaml", "--role", "r", "--key", "enc.pem", "--approver", BOB]
    result = approve(*args)
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: enc.pem: the key is encrypted; give its passphrase with "
        "--passphrase-env NAME\n"
    )
    assert approve(*args, "--passphrase-env", "PASS", env={"PASS": "pw"}).exit_code == 0


def test_check_rejects_a_broken_approvers_file(team):
    Path("bad.yaml").write_text(
        "apiVersion: policygate/v1\nkind: Approvers\nmetadata: {name: x}\nspec:\n"
        "  approvers:\n    - {id: a, roles: [r], keys: [{public_key: 'ed25519:AAAA'}]}\n"
    )
    result = check("model.yaml", "--approvers", "bad.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: bad.yaml:6:47: an Ed25519 public key has 32 bytes, this one has 3\n"
    )
    result = check("model.yaml", "--attestations", "approvers.yaml")
    assert result.exit_code == 2
    assert "expected an Attestation document, found Approvers" in result.stderr


def test_check_skips_approvers_and_attestations_in_a_model_directory(team):
    sign_both("model.yaml", "--attestation", "approvals.yaml")
    result = run("check", ".", "-p", HIGH_RISK, "--now", NOW)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].startswith("1 model, 1 passed, 0 failed")


def test_help_lists_the_commands():
    result = run("--help")
    assert "approve" in result.stdout and "keygen" in result.stdout
    assert "--approvers" in run("check", "--help").stdout


def test_an_expiry_too_far_for_a_date_is_a_usage_error(team):
    result = run("approve", "model.yaml", "--role", "model-risk-officer", "--key", "bob.pem",
                 "--approver", BOB, "--now", NOW, "--expires-in", "9999999999d")  # fmt: skip
    assert result.exit_code == 2
    assert "internal error" not in result.output
    assert "duration '9999999999d': too long" in result.output


def bob_attests(target: str):
    return approve("model.yaml", "--role", "model-risk-officer", "--key", "bob.pem",
                   "--approver", BOB, "--attestation", target)  # fmt: skip


def test_an_attestation_is_never_appended_through_a_symbolic_link(team):
    """A file planted in the repository as a link to a secret: appending the
    attestation to it copied the secret into the attestation file, to be committed."""
    secret = team / "credentials"
    secret.write_text("[default]\naws_secret_access_key = hunter2\n")
    Path("approvals").mkdir()
    Path("approvals/credit-default.yaml").symlink_to(secret)
    result = bob_attests("approvals/credit-default.yaml")
    assert result.exit_code == 2
    assert "approvals/credit-default.yaml: is a symbolic link" in result.stderr
    assert Path("approvals/credit-default.yaml").is_symlink()
    assert secret.read_text() == "[default]\naws_secret_access_key = hunter2\n"


def test_an_attestation_is_appended_only_to_a_file_of_attestations(team):
    Path("notes.yaml").write_text("name: not an attestation\n")
    result = bob_attests("notes.yaml")
    assert result.exit_code == 2
    assert "notes.yaml" in result.stderr and "not an attestation file" in result.stderr
    assert Path("notes.yaml").read_text() == "name: not an attestation\n"
    original = Path("model.yaml").read_text()
    result = bob_attests("model.yaml")  # the record itself, by mistake
    assert result.exit_code == 2 and Path("model.yaml").read_text() == original
    assert bob_attests("approvals.yaml").exit_code == 0
    assert bob_attests("approvals.yaml").exit_code == 0  # a file of attestations: appended
    assert Path("approvals.yaml").read_text().count("kind: Attestation") == 2


def test_an_attestation_target_that_is_no_regular_file_is_refused(team):
    import os

    os.mkfifo("pipe.yaml")
    result = bob_attests("pipe.yaml")  # reading it would wait for a writer forever
    assert result.exit_code == 2
    assert "pipe.yaml: not a regular file" in result.stderr


def test_a_record_imported_from_a_source_needs_an_attestation(team):
    Path("card").mkdir()
    Path("card/README.md").write_text("---\nlicense: mit\n---\n# m\n")
    result = approve("hf:card/README.md", "--role", "model-risk-officer", "--key", "bob.pem",
                     "--approver", BOB, "--scope", "production",
                     "--attestation-log", "log.jsonl")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: hf:card/README.md: a record imported from a source cannot be "
        "changed: give --attestation PATH\n"
    )
    assert not Path("log.jsonl").exists()  # nothing logged for a decision not written


def test_a_decision_that_cannot_be_written_is_not_logged(team):
    """The record's layout refuses the approval (a multi-line flow list): nothing is
    logged, or the log would require of the record a decision it never got."""
    text = Path("model.yaml").read_text()
    start = text.index("  approvals:")
    Path("model.yaml").write_text(text[:start] + "  approvals: [\n  ]\n")
    result = approve("model.yaml", "--role", "model-risk-officer", "--key", "bob.pem",
                     "--approver", BOB, "--attestation-log", "log.jsonl")  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "could not add the approval" in result.stderr or "multi-line" in result.stderr
    assert not Path("log.jsonl").exists()
