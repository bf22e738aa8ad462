"""Pass rate of policygate's own CEL engine on each cel-spec conformance file.

    .venv/bin/python bench/conformance.py [-v]

Prints, per file, the in-scope tests that pass, the out-of-scope ones (they need
protobuf message types; listed by name in tests/cel/lang/test_conformance.py)
and, with ``-v``, every failure with what went wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cel" / "lang"))

from conformance_runner import FILES, cases, run  # noqa: E402
from test_conformance import OUT_OF_SCOPE  # noqa: E402


def main(argv: list[str]) -> int:
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
