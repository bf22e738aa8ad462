"""``policygate approve MODEL --role ROLE --key KEYFILE``: sign an approval of a model record.

The approval is added to the record's ``spec.approvals`` (only the new lines
change in the file) or, with ``--attestation PATH``, written as an attestation
file and the record is left alone. With ``--attestation-log PATH`` it is first
appended to a hash-chained attestation log. See docs/approvals.md.
"""

from __future__ import annotations

import datetime as _dt
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..approvals import (
    Approvers,
    attestation_document,
    load_approvers,
    load_attestations,
    record_digest,
    sign_approval,
    verify_approval,
)
from ..approvals.record_text import add_approval
from ..approvals.sign import DECISIONS, expires_after
from ..approvals.signing import PrivateKey, load_private_key, require_crypto
from ..errors import Location, PolicygateError, UsageError
from ..files import write_atomic
from ..importers import is_source
from ..models import ModelRecord, load_models
from ..timestamps import parse_timestamp, utc_now
from .common import handle_errors
from .keygen import passphrase_from_env


@click.command()
@click.argument("model", metavar="MODEL")
@click.option("--role", required=True, help="The role the approval is given in.")
@click.option("--key", "keyfile", required=True, metavar="KEYFILE", help="Private key (PEM).")
@click.option("--approver", metavar="ID", help="Your identity in the approvers directory.")
@click.option(
    "--approvers",
    multiple=True,
    metavar="PATH",
    help="Approvers directory: finds --approver from the key, and refuses an approval "
    "that would not verify.",
)
@click.option(
    "--decision", default="approved", show_default=True, type=click.Choice(DECISIONS),
    help="The decision.",
)  # fmt: skip
@click.option(
    "--expires-in", default="90d", show_default=True, metavar="DURATION",
    help="How long the approval holds: 90d, 12w, 36h...",
)  # fmt: skip
@click.option(
    "--scope",
    metavar="STAGE",
    help="The promotion approved (default: the record's metadata.target_stage).",
)
@click.option("--risk-assessment", metavar="ID", help="The risk assessment relied on.")
@click.option("--note", metavar="TEXT", help="A note, signed with the approval.")
@click.option(
    "--attestation",
    metavar="PATH",
    help="Write an attestation file (appended to if it exists; - for stdout) "
    "instead of changing MODEL.",
)
@click.option(
    "--attestation-log",
    metavar="PATH",
    help="Also append the signed decision to this hash-chained log, so that "
    "`check --attestation-log` finds it deleted from the record.",
)
@click.option("--passphrase-env", metavar="NAME",
              help="Environment variable holding the key's passphrase.")  # fmt: skip
@click.option("--now", metavar="RFC3339", help="The time of the approval (default: now, UTC).")
@handle_errors
def approve(
    model: str,
    role: str,
    keyfile: str,
    approver: str | None,
    approvers: tuple[str, ...],
    decision: str,
    expires_in: str,
    scope: str | None,
    risk_assessment: str | None,
    note: str | None,
    attestation: str | None,
    attestation_log: str | None,
    passphrase_env: str | None,
    now: str | None,
) -> None:
    """Sign an approval of MODEL (one model record) in ROLE with KEYFILE."""
    require_crypto()
    if model == "-" and attestation is None:
        raise UsageError("a record read from stdin cannot be changed: give --attestation PATH")
    if attestation is None and is_source(model):
        raise UsageError("a record imported from a source cannot be changed: give "
                         "--attestation PATH", Location(model))  # fmt: skip
    record = _one_record(model)
    key = _private_key(keyfile, passphrase_env)
    directory = load_approvers(approvers) if approvers else None
    identity = _identity(approver, directory, key)
    granted_at = utc_now() if now is None else _timestamp(now)
    approval = sign_approval(
        record.data,
        key,
        role=role,
        approver=identity,
        scope=scope or _target_stage(record),
        granted_at=granted_at,
        expires_at=expires_after(granted_at, expires_in),
        decision=decision,
        risk_assessment=risk_assessment,
        note=note,
    )
    if directory is not None:
        verified, reason = verify_approval(approval, record_digest(record.data), directory,
                                           granted_at)  # fmt: skip
        if not verified:
            raise UsageError(f"refusing to sign an approval that would not verify: {reason}")
    write = _prepared(model, record, approval, attestation)
    if attestation_log is not None:  # first: a decision that cannot be logged is not written
        from ..approvals.attestation_log import log_attestation

        entry = log_attestation(attestation_log, record.name, record.version, approval)
    written = write()
    if attestation_log is not None:
        written += f"; logged at {attestation_log}:{entry['seq']}"
    click.echo(
        f"policygate: {decision} {record.ref} as {role} by {identity} "
        f"(key {key.public.fingerprint}, expires {approval['expires_at']}){written}",
        err=True,
    )


def _one_record(model: str) -> ModelRecord:
    records = load_models([model])
    if len(records) != 1:
        raise UsageError(f"holds {len(records)} model records; approve one at a time",
                         Location(model))  # fmt: skip
    return records[0]


def _private_key(keyfile: str, passphrase_env: str | None) -> PrivateKey:
    try:
        pem = Path(keyfile).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read: {error.strerror or error}", Location(keyfile)) from None
    return load_private_key(pem, keyfile, passphrase_from_env(passphrase_env))


def _identity(approver: str | None, directory: Approvers | None, key: PrivateKey) -> str:
    if approver is not None:
        return approver
    if directory is not None:
        owner = directory.owner_of(key.public.fingerprint)
        if owner is None:
            raise UsageError(f"key {key.public.fingerprint} is not in the approvers directory")
        return owner.id
    raise UsageError("give --approver ID, or --approvers PATH to find it from the key")


def _target_stage(record: ModelRecord) -> str:
    meta = record.data.get("metadata") if isinstance(record.data, dict) else None
    stage = meta.get("target_stage") if isinstance(meta, dict) else None
    if not isinstance(stage, str) or not stage:
        raise UsageError("the record has no metadata.target_stage: give --scope")
    return stage


def _timestamp(text: str) -> _dt.datetime:
    try:
        return parse_timestamp(text)
    except ValueError as error:
        raise UsageError(f"--now: {error}") from None


def _prepared(
    model: str, record: ModelRecord, approval: dict[str, Any], target: str | None
) -> Callable[[], str]:
    """What writes the approval, its text made (and refused, if it must be) already:
    a decision is logged only once nothing but the write itself can fail."""
    if target is None:
        try:
            old = Path(model).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot read: {error.strerror or error}",
                             Location(model)) from None  # fmt: skip
        path, text, done = model, add_approval(old, model, approval), f"; added to {model}"
    else:
        text = attestation_document(record.name, record.version, approval)
        if target == "-":

            def to_stdout() -> str:
                click.echo(text, nl=False)
                return ""

            return to_stdout
        previous = _attestation_file(target)
        if previous is not None:
            separator = "" if not previous or previous.endswith("\n") else "\n"
            text = f"{previous}{separator}---\n{text}"
        path, done = target, f"; attestation written to {target}"

    def to_file() -> str:
        write_atomic(path, text)
        return done

    return to_file


def _attestation_file(target: str) -> str | None:
    """The text of the attestation file ``target`` to append to; ``None`` if there is none.

    Only a regular file (not a link, which could point at a secret that would be
    copied into the attestation file, nor a pipe) holding attestations only is
    appended to: an attestation appended to a record or to notes is lost to
    ``check --attestations``, and the file would change beyond recognition.
    """
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UsageError(f"cannot read: {error.strerror or error}", Location(target)) from None
    if stat.S_ISLNK(info.st_mode):
        raise UsageError("is a symbolic link; write the attestation to a file of its own",
                         Location(target))  # fmt: skip
    if not stat.S_ISREG(info.st_mode):
        raise UsageError("not a regular file; write the attestation to a file of its own",
                         Location(target))  # fmt: skip
    try:
        load_attestations([target])
    except PolicygateError as error:
        raise UsageError(
            f"exists and is not an attestation file ({error}); an attestation is appended "
            "only to a file of attestations",
            Location(target),
        ) from None
    return Path(target).read_text(encoding="utf-8")
