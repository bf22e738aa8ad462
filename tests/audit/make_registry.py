"""Generate a registry of N model records from the shipped examples, for audit runs.

    python tests/audit/make_registry.py 10000 /tmp/registry
    policygate audit /tmp/registry -p policies/ --jobs 2

Record i is example ``i % 4`` renamed ``<example>-<i>``, with its AUC moved a
little, in folder ``team-<i % 20>``: about half pass, half fail, as the
examples do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent.parent


def make_registry(count: int, target: Path) -> None:
    examples = [
        yaml.safe_load(p.read_text()) for p in sorted((ROOT / "examples" / "models").glob("*.yaml"))
    ]
    for i in range(count):
        record = examples[i % len(examples)]
        record["metadata"]["name"] = f"{record['metadata']['name'].split('-v')[0]}-v{i}"
        metrics = record["spec"].get("metrics")
        if isinstance(metrics, dict) and "auc" in metrics:
            metrics["auc"] = round(0.80 + (i % 17) / 100, 3)
        folder = target / f"team-{i % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"model-{i:06d}.yaml").write_text(yaml.safe_dump(record, sort_keys=False))


if __name__ == "__main__":
    make_registry(int(sys.argv[1]), Path(sys.argv[2]))
