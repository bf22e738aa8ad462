"""Pass rate of policygate's own CEL engine on each cel-spec conformance file.

    .venv/bin/python bench/conformance.py [-v]
    .venv/bin/python bench/conformance.py --speed

Prints, per file, the in-scope tests that pass, the out-of-scope ones (they need
protobuf message types; listed by name in tests/cel/lang/test_conformance.py)
and, with ``-v``, every failure with what went wrong. ``--speed`` instead
measures evaluations per second of a few typical rules (compiled once, the
best of five runs of process CPU time, so a busy machine distorts it less).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cel" / "lang"))

import functools  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

from conformance_runner import FILES, cases, run  # noqa: E402
from test_conformance import OUT_OF_SCOPE  # noqa: E402

from policygate.cel.lang import compile  # noqa: E402
from policygate.cel.lang.timefns import parse_timestamp  # noqa: E402

#: Typical policy rules and a record each: name -> (expression, variables).
RULES = {
    "threshold": (
        "item.metrics.auc >= params.min_auc",
        {"item": {"metrics": {"auc": 0.91}}, "params": {"min_auc": 0.8}},
    ),
    "presence": (
        "has(model.card.license) && model.card.license in params.allowed",
        {"model": {"card": {"license": "mit"}}, "params": {"allowed": ["mit", "apache-2.0"]}},
    ),
    "all-evals": (
        "model.evals.all(e, e.score >= params.min_score)",
        {
            "model": {"evals": [{"score": 0.6}, {"score": 0.7}, {"score": 0.9}]},
            "params": {"min_score": 0.5},
        },
    ),
    "freshness": (
        "now - timestamp(model.approved_at) < duration('720h')",
        {
            "now": parse_timestamp("2026-01-01T00:00:00Z"),
            "model": {"approved_at": "2025-12-15T00:00:00Z"},
        },
    ),
}


def speed() -> int:
    for name, (expression, variables) in RULES.items():
        program = compile(expression, variables)
        evaluate = program.evaluate
        number = 100_000
        best = min(
            timeit.repeat(
                functools.partial(evaluate, variables),
                number=number,
                repeat=5,
                timer=time.process_time,
            )
        )  # fmt: skip
        print(f"{name:10} {number / best:>12,.0f} evaluations/s  {best / number * 1e6:6.2f} µs"
              f"   {expression}")  # fmt: skip
    return 0


def main(argv: list[str]) -> int:
    if "--speed" in argv:
        return speed()
    verbose = "-v" in argv
    total_pass = total_run = 0
    for file in FILES:
        passed = run_count = skipped = 0
        failures: list[str] = []
        for case in cases(file):
            if case.id in OUT_OF_SCOPE:
                skipped += 1
                continue
            run_count += 1
            try:
                outcome = run(case)
            except Exception as error:  # an out-of-scope test missing from the list
                failures.append(f"  {case.id}: {type(error).__name__}: {error}")
                continue
            if outcome.passed:
                passed += 1
            else:
                failures.append(f"  {case.id}: {outcome.detail}")
        total_pass += passed
        total_run += run_count
        rate = 100.0 * passed / run_count if run_count else 100.0
        print(f"{file:14} {passed:4}/{run_count:<4} {rate:6.2f}%   out of scope: {skipped}")
        if verbose:
            print("\n".join(failures))
    print(f"{'all':14} {total_pass:4}/{total_run:<4} {100.0 * total_pass / total_run:6.2f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
