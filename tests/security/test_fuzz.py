"""The fuzz targets of fuzz/ (SECURITY.md, T-FUZZ), briefly, under hypothesis:
the loader, the policy parser and the CLI on random and mutated input. Longer
runs: ``python fuzz/run.py TARGET --seconds N`` (fuzz/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "fuzz"))

from targets import TARGETS, load_document, parse_policy, run_cli  # noqa: E402

SEEDS = [p.read_bytes() for p in sorted((ROOT / "policies").glob("*.yaml"))] + [
    p.read_bytes() for p in sorted((ROOT / "examples" / "models").glob("*.yaml"))
]
mutated = st.one_of(
    st.binary(max_size=512),
    st.text(alphabet="{}[]:,-&*!|>'\"#%@`<\\ \n\tabu01.eE+~", max_size=120).map(str.encode),
    st.sampled_from(SEEDS).flatmap(
        lambda seed: st.tuples(st.integers(0, len(seed)), st.integers(0, len(seed)),
                               st.binary(max_size=24)).map(
            lambda c: seed[: min(c[0], c[1])] + c[2] + seed[max(c[0], c[1]):]
        )
    ),
)  # fmt: skip
BRIEF = settings(max_examples=60, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))  # fmt: skip


@BRIEF
@given(data=mutated)
def test_fuzz_the_loader(data):
    load_document(data)


@BRIEF
@given(data=mutated)
def test_fuzz_the_policy_parser(data):
    parse_policy(data)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=mutated)
def test_fuzz_the_cli(data):
    run_cli(data)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(min_size=3, max_size=12))
def test_fuzz_non_numbers_where_numbers_are_judged(data):
    TARGETS["judged"](data)


# Regressions: inputs the fuzzers found, kept so they stay fixed.
REGRESSIONS = [
    # A monitoring check's value "0,99" and threshold "yes": two strings compare in
    # CEL, so `item.value <= item.threshold` passed (now a difference: an error).
    ("judged", b"A5\xca\xf4s"),
    # A 10 MB list of zeros took two minutes and 1.6 GB before the node limit
    # refused it (composed first, counted after); now counted while parsing.
    ("loader", b"[" + b"0," * 40_000 + b"0]"),
    # Many documents each under the per-document node limit.
    ("loader", (b"---\n[" + b"0," * 600 + b"0]\n") * 12),
    # A long flow key sent libyaml's refusal to the slow pure-Python reader.
    ("loader", b'{"' + b"k" * 300_000 + b'": 1}'),
    (
        "policy",
        b"spec:\n  rules:\n    - {id: a, check: '" + b"(" * 300 + b"1" + b")" * 300 + b"'}\n",
    ),
    ("policy", b"spec: {rules: [{id: a, check: 'true', message: '{'}]}\n"),
    ("cli", b"\xef\xbb\xbfok: exactly-this-value\n"),
    ("cli", b"ok: !!binary aGVsbG8=\n"),
]


@pytest.mark.parametrize("target, data", REGRESSIONS, ids=lambda v: str(v)[:30])
def test_fuzz_regressions(target, data):
    TARGETS[target](data)
