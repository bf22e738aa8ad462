"""A fleet of model records for report-size tests and the HTML size bench: the
shipped examples, varied by a seeded generator, evaluated against the shipped
policies, waivers and risk register (so every model has risks and controls).

Record ``i`` is example ``i % 4`` renamed ``<example>-<i>`` (some with a version
that differs), and then, with fixed odds: its AUC moved below or above the
threshold, a fairness gap widened, an approval expired or missing, its risk
tier or target stage changed, its documentation or monitoring thinned, its
declared risks changed. About half the fleet fails, for several reasons, as a
real registry's would.
"""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from policygate import evaluate, load_policies, load_waivers
from policygate.graph import build_risk_graph, load_risk_registers
from policygate.report import Report

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-26T00:00:00Z"


def _examples() -> list[dict[str, Any]]:
    return [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "examples" / "models").glob("*.yaml"))
    ]


def fleet(count: int, seed: int = 19) -> Iterator[dict[str, Any]]:
    """``count`` records, the same ones for the same ``count`` and ``seed``."""
    rng = random.Random(seed)
    examples = _examples()
    for i in range(count):
        record = copy.deepcopy(examples[i % len(examples)])
        _vary(record, i, rng)
        yield record


def _vary(record: dict[str, Any], i: int, rng: random.Random) -> None:
    meta, spec = record["metadata"], record["spec"]
    meta["name"] = f"{meta['name']}-{i:04d}"
    if rng.random() < 0.3:
        meta["version"] = f"{rng.randint(1, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}"
    metrics = spec.get("metrics")
    if isinstance(metrics, dict) and "auc" in metrics:
        metrics["auc"] = round(rng.uniform(0.76, 0.93), 3)
    fairness = spec.get("fairness")
    if isinstance(fairness, dict) and rng.random() < 0.15:
        for metric in fairness.get("metrics") or ():
            metric["value"] = round(rng.uniform(0.0, 0.2), 3)
    approvals = spec.get("approvals")
    if isinstance(approvals, list) and approvals:
        roll = rng.random()
        if roll < 0.08:
            approvals[0]["expires_at"] = "2026-09-30T00:00:00Z"  # expired before NOW
        elif roll < 0.12:
            del approvals[-1]
    if rng.random() < 0.1:
        spec["risk_tier"] = rng.choice(["high", "limited", "minimal"])
    if rng.random() < 0.08:
        meta["target_stage"] = "staging"
    documentation = spec.get("documentation")
    if isinstance(documentation, dict) and rng.random() < 0.07:
        documentation.pop("explainability_report", None)
    monitoring = spec.get("monitoring")
    if isinstance(monitoring, dict) and rng.random() < 0.06:
        for check in monitoring.get("checks") or ():
            check["value"] = round(check["threshold"] * rng.uniform(0.5, 1.4), 3)
    if rng.random() < 0.05:
        spec["risks"] = rng.choice([[], ["R-DRIFT"], ["R-DISCRIMINATION"]])


def fleet_report(count: int, seed: int = 19) -> Report:
    """The report ``check --risk-register examples/risk-register.yaml`` gives the fleet."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        policies = load_policies(["policies/"])
        waivers = load_waivers(["examples/waivers/"])
        register = load_risk_registers(["examples/risk-register.yaml"])
        graph = build_risk_graph(register, policies)
        report = evaluate(
            list(fleet(count, seed)), policies, waivers=waivers, risk_graph=graph, now=NOW
        )
    finally:
        os.chdir(cwd)
    # Records given as data have no file: name the one each would have in a registry.
    models = tuple(
        replace(m, source=f"registry/team-{i % 20:02d}/{m.name}.yaml")
        for i, m in enumerate(report.models)
    )
    return replace(report, models=models)
