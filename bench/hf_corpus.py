"""How the Hugging Face importer fares on a corpus of real model cards (issue 17).

Give it a directory that holds model cards (``README.md`` files, searched
recursively; a Hub mirror lays them out as ``models/ORG/NAME/README.md``) and
it imports every one through ``import_records("hf", path)`` in this process,
then prints what became of them:

- **imported**, **clear error** (a :class:`~policygate.errors.PolicygateError`
  naming the card and a line), **unclear error** (one without a line), and
  **crash** (any other exception: a bug);
- **metrics**: cards whose ``model-index`` holds metric values, how many of
  those values the record kept as numbers, and the cards that kept none;
- **identity**: records named ``ORG/NAME`` (a repo id), the most frequent
  names, records with an owner;
- **intended use**: how many records have one, and how many of those are a
  template placeholder ("More information needed").

    python bench/hf_corpus.py CORPUS_DIR [--json OUT.json] [--limit N]

To compare with an older version of the importer, run the same script with
that version's sources first on the path:
``PYTHONPATH=/tmp/old/src python bench/hf_corpus.py CORPUS_DIR``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from policygate.errors import PolicygateError
from policygate.importers import import_records

_PLACEHOLDER = re.compile(
    r"\W*(more\s+info(rmation)?\s+needed|needs\s+more\s+information)\W*", re.IGNORECASE
)


def metric_entries(record: dict[str, Any]) -> int:
    """Metric values the card's ``model-index`` holds (kept as written under extra)."""
    index = record["spec"].get("extra", {}).get("hf", {}).get("model-index")
    count = 0
    for entry in index if isinstance(index, list) else []:
        results = entry.get("results") if isinstance(entry, dict) else None
        for result in results if isinstance(results, list) else []:
            metrics = result.get("metrics") if isinstance(result, dict) else None
            for metric in metrics if isinstance(metrics, list) else []:
                if isinstance(metric, dict) and metric.get("value") is not None:
                    count += 1
    return count


def kept_metrics(record: dict[str, Any]) -> int:
    return sum(len(e.get("metrics", {})) for e in record["spec"].get("evaluations", []))


def error_kind(message: str) -> str:
    """An error message with its particulars (quoted values, numbers) taken out."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    text = re.sub(r"\d+", "N", text)
    return text[:90]


def measure(corpus: Path, limit: int | None) -> dict[str, Any]:
    cards = sorted(corpus.rglob("README.md"))[:limit]
    outcome: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    names: Counter[str] = Counter()
    figures: Counter[str] = Counter()
    crashes: list[str] = []
    slowest: list[tuple[float, str]] = []
    started = time.process_time()
    for card in cards:
        before = time.process_time()
        try:
            records = import_records("hf", str(card))
        except PolicygateError as error:
            clear = error.location is not None and error.location.line is not None
            outcome["clear error" if clear else "unclear error"] += 1
            errors[error_kind(error.message)] += 1
            continue
        except Exception as error:  # noqa: BLE001 - a crash is what this counts
            outcome["crash"] += 1
            crashes.append(f"{card}: {type(error).__name__}: {error}"[:300])
            continue
        finally:
            slowest.append((time.process_time() - before, str(card)))
        outcome["imported"] += 1
        for record in records:
            meta, spec = record["metadata"], record["spec"]
            names[meta["name"]] += 1
            figures["repo-id names"] += "/" in meta["name"]
            figures["with owner"] += "owner" in meta
            entries, kept = metric_entries(record), kept_metrics(record)
            if entries:
                figures["cards with model-index metrics"] += 1
                figures["metric values"] += entries
                figures["metric values kept"] += min(kept, entries)
                figures["cards keeping none of their metrics"] += kept == 0
            use = spec.get("intended_use")
            if isinstance(use, str):
                figures["with intended_use"] += 1
                figures["intended_use placeholder"] += bool(_PLACEHOLDER.fullmatch(use))
    slowest.sort(reverse=True)
    return {
        "cards": len(cards),
        "outcome": dict(outcome),
        "figures": dict(figures),
        "errors": errors.most_common(15),
        "top names": names.most_common(8),
        "crashes": crashes[:20],
        "cpu seconds": round(time.process_time() - started, 1),
        "slowest": [(round(t, 3), c) for t, c in slowest[:5]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="directory of model cards (README.md files)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--limit", type=int, help="only the first N cards (sorted by path)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"{args.corpus} is not a directory")
    result = measure(args.corpus, args.limit)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
