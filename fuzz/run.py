"""Fuzz one target for as long as you like (see fuzz/README.md).

    python fuzz/run.py loader                 # atheris if installed, else hypothesis
    python fuzz/run.py cli --seconds 600
    python fuzz/run.py policy --engine hypothesis --examples 20000

Seeds come from the shipped policies and examples. A crash prints the input
and, under atheris, writes it to ``crash-*`` in the current directory; turn it
into a regression test in tests/security/test_fuzz.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from targets import TARGETS  # noqa: E402


def seeds() -> list[bytes]:
    found = []
    for folder in ("policies", "examples", "tests/scenarios"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".yaml", ".yml", ".json") and path.stat().st_size < 64 * 1024:
                found.append(path.read_bytes())
    return found


def with_atheris(target, seconds: int) -> None:  # type: ignore[no-untyped-def]
    import atheris  # the `fuzz` extra: pip install -e '.[fuzz]'

    corpus = HERE / "corpus"
    corpus.mkdir(exist_ok=True)
    for index, seed in enumerate(seeds()):
        (corpus / f"seed-{index}").write_bytes(seed)
    atheris.instrument_all()  # coverage feedback from policygate and PyYAML
    atheris.Setup(
        [sys.argv[0], f"-max_total_time={seconds}", "-max_len=65536", str(corpus)],
        target,
    )
    atheris.Fuzz()


def with_hypothesis(target, seconds: int, examples: int) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    corpus = seeds()
    mutated = st.one_of(
        st.binary(max_size=4096),
        st.sampled_from(corpus).flatmap(
            lambda seed: st.tuples(st.integers(0, len(seed)), st.binary(max_size=64)).map(
                lambda cut: seed[: cut[0]] + cut[1]
            )
        ),
    )
    deadline = time.monotonic() + seconds

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(mutated)
    def run(data: bytes) -> None:
        if time.monotonic() < deadline:
            target(data)

    run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    parser.add_argument("--examples", type=int, default=100_000)
    args = parser.parse_args()
    target = TARGETS[args.target]
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    print(f"fuzzing {args.target} with {engine} for up to {args.seconds} s", file=sys.stderr)
    if engine == "atheris":
        with_atheris(target, args.seconds)
    else:
        with_hypothesis(target, args.seconds, args.examples)


if __name__ == "__main__":
    main()
