"""Two gate workers (``mlflow server --workers 2``) judging at once append to one intact
chain: every request is one entry, none lost, none interleaved."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from gate_support import Seeded, http

from policygate import decisionlog

TAG = "/api/2.0/mlflow/model-versions/set-tag"
ALIAS = "/api/2.0/mlflow/registered-models/alias"


def _one(seeded: Seeded, n: int) -> int:
    if n % 4 == 3:  # a denial now and then: bob may not move champion
        body = {"name": seeded.model, "alias": "champion", "version": "4"}
        status, _ = http(seeded.server.uri + ALIAS, json.dumps(body).encode(), "bob")
    else:
        body = {"name": seeded.model, "version": "2", "key": f"load.{n}", "value": str(n)}
        status, _ = http(seeded.server.uri + TAG, json.dumps(body).encode(), "alice")
    return status


def test_concurrent_requests_on_two_workers_keep_one_chain(seeded: Seeded):
    before = len(seeded.server.entries())
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: _one(seeded, n), range(40)))
    assert statuses.count(200) == 30 and statuses.count(403) == 10
    outcome = decisionlog.verify(seeded.server.log)
    assert outcome.intact, outcome.problem
    entries = seeded.server.entries()
    assert outcome.entries == len(entries) == before + 40
    added = entries[before:]
    assert sorted(e["event"] for e in added) == ["denied"] * 10 + ["tagged"] * 30
    assert len({e["details"]["worker"] for e in added}) == 2  # both workers judged some
    tags = seeded.server.client("admin").get_model_version(seeded.model, "2").tags
    assert {f"load.{n}" for n in range(40) if n % 4 != 3} <= set(tags)
