"""Constants and documents shared by the approvals tests (imported by conftest and tests).

Alice created the example model, Bob is the model risk officer, Priya does
model validation (since 2025), Mallory has a key but is in no directory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from policygate.approvals.signing import PrivateKey

ROOT = Path(__file__).parent.parent.parent
CREDIT_DEFAULT = ROOT / "examples" / "models" / "credit-default-passes.yaml"
HIGH_RISK = ROOT / "policies" / "production-high-risk.yaml"
NOW = "2026-11-26T00:00:00Z"
GRANTED = "2026-11-20T00:00:00Z"

BOB = "bob.lindqvist@example.com"
PRIYA = "priya.natarajan@example.com"
ALICE = "alice.moreau@example.com"
MALLORY = "mallory@example.com"

Signer = Callable[..., dict[str, Any]]


def directory_document(keys: dict[str, PrivateKey]) -> dict[str, Any]:
    return {
        "apiVersion": "policygate/v1",
        "kind": "Approvers",
        "metadata": {"name": "acme-model-governance"},
        "spec": {
            "approvers": [
                {
                    "id": BOB,
                    "name": "Bob Lindqvist",
                    "roles": ["model-risk-officer"],
                    "keys": [
                        {"public_key": keys["bob"].public.text},
                        {
                            "public_key": keys["old"].public.text,
                            "valid_until": "2026-01-01T00:00:00Z",
                        },
                    ],
                },
                {
                    "id": PRIYA,
                    "type": "person",
                    "roles": [{"role": "model-validation", "valid_from": "2025-01-01T00:00:00Z"}],
                    "keys": [{"public_key": keys["priya"].public.text}],
                },
                {
                    "id": ALICE,
                    "roles": ["model-risk-officer", "model-validation"],
                    "keys": [{"public_key": keys["alice"].public.text}],
                    "valid_until": "2027-06-01T00:00:00Z",
                },
            ]
        },
    }
