"""``policygate keygen``: exit codes, files and their permissions."""

from __future__ import annotations

import stat

from click.testing import CliRunner

from policygate.approvals.signing import load_private_key, parse_public_key
from policygate.cli import main


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, list(args), env=env)
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    return result


def test_keygen_writes_a_key_pair(tmp_path):
    key = tmp_path / "bob.pem"
    result = run("keygen", str(key))
    assert result.exit_code == 0
    public = parse_public_key(result.stdout.strip())
    assert result.stdout == public.text + "\n"
    assert (tmp_path / "bob.pem.pub").read_text() == public.text + "\n"
    assert load_private_key(key.read_bytes(), str(key)).public == public
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert result.stderr == (
        f"policygate: wrote the private key to {key} (keep it secret) and the public key "
        f"({public.fingerprint}) to {key}.pub; add the public key to the approver's keys in "
        "the approvers directory\n"
    )


def test_keygen_does_not_overwrite_without_force(tmp_path):
    key = tmp_path / "bob.pem"
    assert run("keygen", str(key)).exit_code == 0
    before = key.read_bytes()
    result = run("keygen", str(key))
    assert result.exit_code == 2
    assert (
        result.stderr == f"policygate: error: {key}: exists already (use --force to replace it)\n"
    )
    assert key.read_bytes() == before
    (tmp_path / "other.pem.pub").write_text("x")
    result = run("keygen", str(tmp_path / "other.pem"))
    assert result.exit_code == 2 and not (tmp_path / "other.pem").exists()
    assert run("keygen", str(key), "--force").exit_code == 0
    assert key.read_bytes() != before
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_keygen_with_a_passphrase(tmp_path):
    key = tmp_path / "k.pem"
    result = run("keygen", str(key), "--passphrase-env", "PG_PASS", env={"PG_PASS": "s3cret"})
    assert result.exit_code == 0
    assert b"ENCRYPTED" in key.read_bytes()
    assert load_private_key(key.read_bytes(), "k", b"s3cret").public.text == result.stdout.strip()
    result = run("keygen", str(tmp_path / "j.pem"), "--passphrase-env", "PG_UNSET_VARIABLE")
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: --passphrase-env PG_UNSET_VARIABLE: the environment variable is "
        "not set or empty\n"
    )


def test_keygen_into_a_missing_directory(tmp_path):
    result = run("keygen", str(tmp_path / "no" / "k.pem"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"policygate: error: {tmp_path / 'no' / 'k.pem'}: cannot write")


def test_keygen_force_never_writes_the_key_through_a_symbolic_link(tmp_path):
    """A KEYFILE planted as a link (in a checkout of someone else's repository, say)
    would have --force write the private key wherever the link points."""
    elsewhere = tmp_path / "public-notes.txt"
    elsewhere.write_text("notes\n")
    elsewhere.chmod(0o644)
    (tmp_path / "bob.pem").symlink_to(elsewhere)
    result = run("keygen", str(tmp_path / "bob.pem"), "--force")
    assert result.exit_code == 2
    assert "symbolic link" in result.stderr
    assert elsewhere.read_text() == "notes\n"
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o644


def test_keygen_force_never_leaves_the_key_readable_under_the_old_mode(tmp_path, monkeypatch):
    key = tmp_path / "bob.pem"
    key.write_text("old\n")
    key.chmod(0o644)
    modes = []
    real_fdopen = __import__("os").fdopen

    def spying_fdopen(fd, *args, **kwargs):
        modes.append(stat.S_IMODE(__import__("os").fstat(fd).st_mode))
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr("policygate.cli.keygen.os.fdopen", spying_fdopen)
    assert run("keygen", str(key), "--force").exit_code == 0
    assert modes[0] == 0o600  # before the private key is written into it
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
