"""Each record's attestations and logged decisions are found through an index, not by
comparing every record with every attestation and every log entry.

Records and attestation files can both be added to a repository by the
thousand: 5,000 of each took about a second for the attestations and another
for the attestation log, growing with the product of the two.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.approvals import Attestation, with_verified_approvals
from policygate.approvals.attestation_log import LoggedDecision, missing_from_records
from policygate.approvals.verify import concerning
from policygate.models import model_from_data

NOW = _dt.datetime(2026, 6, 1, tzinfo=_dt.UTC)
READS: list[str] = []


@dataclass(frozen=True)
class CountedAttestation(Attestation):
    def __getattribute__(self, name: str):
        if name in ("model_name", "model_version"):
            READS.append(name)
        return super().__getattribute__(name)


@dataclass(frozen=True)
class CountedDecision(LoggedDecision):
    def __getattribute__(self, name: str):
        if name in ("name", "version"):
            READS.append(name)
        return super().__getattribute__(name)


def records(n: int) -> list[dict]:
    return [{"metadata": {"name": f"m{i}", "version": "1"}, "spec": {"approvals": []}}
            for i in range(n)]  # fmt: skip


def test_attestations_are_looked_up_once_per_run():
    attestations = tuple(
        CountedAttestation(f"a{i}", f"m{i}", "1", {"role": "r", "n": i}) for i in range(60)
    )
    READS.clear()
    for data in records(60):
        name = data["metadata"]["name"]
        marked = with_verified_approvals(data, name=name, version="1", now=NOW,
                                         attestations=attestations)  # fmt: skip
        assert [a["n"] for a in marked["spec"]["approvals"]] == [int(name[1:])]
    assert len(READS) <= 2 * 60 + 10


def test_logged_decisions_are_looked_up_once_per_check():
    logged = [CountedDecision(i, f"m{i}", "1", "sha256:00", {"role": "r"}) for i in range(60)]
    loaded = [model_from_data(data, "m.yaml") for data in records(60)]
    READS.clear()
    errors = missing_from_records(loaded, logged, log="log.jsonl")
    assert len(errors) == 60
    assert len(READS) <= 2 * 60 + 10


NAMES = st.sampled_from(["m", "M", "m ", "n"])
VERSIONS = st.sampled_from(["1", "1.0", ""])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(NAMES, VERSIONS), max_size=8),
    NAMES,
    VERSIONS,
    st.booleans(),
)
def test_the_index_finds_what_concerns_finds(models, name, version, as_tuple):
    attestations = [Attestation(f"a{i}", n, v, {}) for i, (n, v) in enumerate(models)]
    given_ = tuple(attestations) if as_tuple else attestations
    expected = [a for a in attestations if a.concerns(name, version)]
    assert concerning(given_, name, version) == expected
    assert concerning(given_, name, version) == expected  # the cached index too
    if not as_tuple:  # a list may change between two calls: never a stale index
        attestations.append(Attestation("late", name, version, {}))
        assert concerning(attestations, name, version) == [*expected, attestations[-1]]
