"""``policygate keygen KEYFILE``: make an Ed25519 key pair for signing approvals.

The private key goes to KEYFILE (PKCS#8 PEM, readable by its owner only), the
public key to KEYFILE.pub and to stdout, ready for the approvers directory.
"""

from __future__ import annotations

import os

import click

from ..approvals.signing import generate_key
from ..errors import Location, UsageError
from .common import handle_errors


@click.command()
@click.argument("keyfile", metavar="KEYFILE")
@click.option(
    "--passphrase-env",
    metavar="NAME",
    help="Encrypt the private key with the passphrase in environment variable NAME.",
)
@click.option("--force", is_flag=True, help="Overwrite KEYFILE and KEYFILE.pub if they exist.")
@handle_errors
def keygen(keyfile: str, passphrase_env: str | None, force: bool) -> None:
    """Write a new private key to KEYFILE and print its public key (also in KEYFILE.pub)."""
    passphrase = passphrase_from_env(passphrase_env)
    for path in (keyfile, keyfile + ".pub"):
        if not force and os.path.lexists(path):
            raise UsageError("exists already (use --force to replace it)", Location(path))
        if os.path.islink(path):  # before either file is written
            raise UsageError("is a symbolic link; not writing a key through it", Location(path))
    key = generate_key()
    public = key.public
    _write_secret(keyfile, key.to_pem(passphrase), force=force)
    _write_new(keyfile + ".pub", (public.text + "\n").encode("ascii"), 0o644, force=force)
    click.echo(public.text)
    click.echo(
        f"policygate: wrote the private key to {keyfile} (keep it secret) and the public key "
        f"({public.fingerprint}) to {keyfile}.pub; add the public key to the approver's "
        "keys in the approvers directory",
        err=True,
    )


def passphrase_from_env(name: str | None) -> bytes | None:
    """The passphrase held in environment variable ``name`` (never on the command line)."""
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"--passphrase-env {name}: the environment variable is not set or empty")
    return value.encode("utf-8")


def _write_secret(path: str, content: bytes, *, force: bool) -> None:
    _write_new(path, content, 0o600, force=force)


def _write_new(path: str, content: bytes, mode: int, *, force: bool) -> None:
    # Never through a symbolic link (--force would write the key where it points),
    # and an overwritten file takes the mode before it takes the key.
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    if force and os.path.islink(path):
        raise UsageError("is a symbolic link; not writing a key through it", Location(path))
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), mode)
    except FileExistsError:
        raise UsageError("exists already (use --force to replace it)", Location(path)) from None
    except OSError as error:
        if os.path.islink(path):  # made between the check and the open
            raise UsageError("is a symbolic link; not writing a key through it",
                             Location(path)) from None  # fmt: skip
        raise UsageError(f"cannot write: {error.strerror or error}", Location(path)) from None
    try:
        os.fchmod(fd, mode)  # an overwritten file keeps its old mode otherwise
    except OSError as error:
        os.close(fd)
        raise UsageError(f"cannot write: {error.strerror or error}", Location(path)) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
