"""``policygate log verify|show|timeline``: read the decision log that ``check
--decision-log`` writes, and the lifecycle log the registry gate writes (SPEC §9).

``verify`` exits 0 when the chain is intact, 1 naming the first bad line
(``PATH:LINE: problem``), 2 when the log cannot be read. ``show`` prints the
history of one model or of all, oldest first. ``timeline`` prints which version
held each protected alias and stage of a model, when, who moved it and under
which decision.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ..decisionlog import is_digest, iter_entries, read_entries, verify
from ..errors import DecisionLogError, Location, UsageError
from ..formats.inert import inert
from .common import handle_errors


@click.group()
def log() -> None:
    """Verify and read a decision log (check --decision-log PATH), an attestation log
    (approve --attestation-log PATH) or a lifecycle log (the registry gate's
    registry.lifecycle_log)."""


@log.command("verify")
@click.argument("path")
@click.option(
    "--head",
    "anchor",
    metavar="DIGEST",
    help="A head kept elsewhere (a hash `log verify` printed): it must be an entry of "
    "the chain, so deleting entries up to it is found even with the head file rebuilt.",
)
@handle_errors
def verify_command(path: str, anchor: str | None) -> None:
    """Prove the hash chain of PATH intact, or name its first bad line (exit 1).

    PATH is a decision log (check --decision-log) or an attestation log
    (approve --attestation-log): they share the chain format.
    """
    if anchor is not None and not is_digest(anchor):
        raise UsageError(f"--head: expected sha256: and 64 hex digits, got {anchor!r}")
    outcome = verify(path, head=anchor)
    if not outcome.intact:
        click.echo(f"{path}:{outcome.line}: {outcome.problem}")
        if outcome.anchor_missing:
            click.echo(f"{path}: does not hold the anchor; the log before it cannot be trusted")
        else:
            before = outcome.intact_before
            click.echo(
                f"{path}: chain broken at line {outcome.line}; the {before} "
                + ("entry before it is intact" if before == 1 else "entries before it are intact")
            )
        sys.exit(1)
    click.echo(f"{path}: {outcome.entries} entries, chain intact, head {outcome.head}")
    if outcome.anchor is not None:
        after = outcome.entries - outcome.anchor
        click.echo(
            f"{path}: the anchor is the last entry: nothing was appended after it"
            if after == 0
            else f"{path}: the anchor {anchor} is entry {outcome.anchor}; {after} "
            + ("entry was" if after == 1 else "entries were")
            + " appended after it"
        )
    elif not outcome.head_file:
        click.echo(
            f"policygate: warning: {path}.head is missing: deleting the last entries "
            "would go unnoticed; compare the head above with one you kept",
            err=True,
        )


@log.command("timeline")
@click.argument("path")
@click.option("--model", "model", required=True, metavar="NAME", help="The registered model.")
@click.option(
    "--alias", metavar="NAME", help="Only this alias (protected or not); default: every "
    "protected alias and stage."
)
@handle_errors
def timeline_command(path: str, model: str, alias: str | None) -> None:
    """What held each protected alias and stage of a model in the lifecycle log PATH:
    which version, from when until when, who moved it, under which decision."""
    from ..lifecycle import render_timeline, timeline

    entries = read_entries(path)
    try:
        holdings, attempts = timeline(entries, model, alias)
    except (AttributeError, TypeError, KeyError, ValueError):  # a field of another shape
        raise DecisionLogError(
            "not a lifecycle log (an entry's field of an unexpected type)",
            Location(path),
        ) from None
    for line in render_timeline(holdings, attempts, model):
        click.echo(inert(line))  # every value came from the log file
    noun = "holding" if len(holdings) == 1 else "holdings"
    denied = f", {len(attempts)} denied" if attempts else ""
    click.echo(inert(f"{len(holdings)} {noun}{denied} for {model}"
                     + (f" alias {alias}" if alias else "")))  # fmt: skip


@log.command("show")
@click.argument("path")
@click.option("--model", "model", metavar="NAME[@VERSION]", help="Only this model (or version).")
@handle_errors
def show_command(path: str, model: str | None) -> None:
    """Print the decisions in PATH, oldest first: when, which version, outcome, policies."""
    shown = 0
    for line, entry in iter_entries(path):  # one at a time: a log of any length
        try:
            if model is not None and not _matches(entry, model):
                continue
            text = _describe(line, entry)
        except (AttributeError, TypeError, KeyError, ValueError):  # a field of another shape
            raise DecisionLogError(
                "not a decision log entry (a field of an unexpected type)", Location(path, line)
            ) from None
        shown += 1
        click.echo(text)
    noun = "decision" if shown == 1 else "decisions"
    click.echo(f"{shown} {noun}" + (f" for {inert(model)}" if model else ""))


def _matches(entry: dict[str, Any], wanted: str) -> bool:
    if entry.get("kind") == "lifecycle":
        target = entry.get("target") or {}
        model = {"name": target.get("model"), "version": target.get("version")}
    else:
        model = entry.get("model") or {}
    name, sep, version = wanted.partition("@")
    return model.get("name") == name and (not sep or model.get("version") == version)


def _describe(line: int, entry: dict[str, Any]) -> str:
    if entry.get("kind") == "signed-decision":  # an attestation log (approve --attestation-log)
        from ..approvals.attestation_log import describe

        return f"line {line}  {describe(entry)}"
    if entry.get("kind") == "lifecycle":  # a lifecycle log (the registry gate)
        from ..lifecycle import describe as describe_lifecycle

        first, *rest = describe_lifecycle(entry)
        return "\n".join(inert(text) for text in [f"line {line}  {first}", *rest])
    model = entry.get("model") or {}
    ref = model.get("name", "?") + (f"@{model['version']}" if model.get("version") else "")
    verdict = "PASSED" if entry.get("passed") else "FAILED"
    stage = ""
    if model.get("target_stage"):
        stage = f"  {model.get('stage') or '?'} -> {model['target_stage']}"
    applied = [
        f"{p.get('name')}@{p.get('version')} ({str(p.get('digest') or '')[:15]})"
        if p.get("version")
        else f"{p.get('name')} ({str(p.get('digest') or '')[:15]})"
        for p in entry.get("policies") or ()
        if p.get("applicable")
    ]
    lines = [
        f"line {line}  {entry.get('time')}  {ref}  {verdict}{stage}  (now {entry.get('now')})",
        f"    policies: {', '.join(applied) or 'none applied'}",
    ]
    if entry.get("failed"):
        lines.append(f"    failed: {', '.join(entry['failed'])}")
    waivers = [
        f"{w.get('name')} ({'expired' if w.get('expired') else 'until'} {w.get('expires_at')})"
        for w in entry.get("waivers") or ()
    ]
    if waivers:
        lines.append(f"    waivers: {', '.join(waivers)}")
    return "\n".join(inert(line) for line in lines)  # every value came from the log file
