"""W5: the admission gate's latency (issue 16), measured as a ratio in one run.

    pip install -e '.[mlflow-server]'
    python bench/gate.py                  # 200 calls to each server
    python bench/gate.py --calls 400 --auth-cache 60

Two real ``mlflow server`` processes on loopback, each on its own sqlite store seeded
the same way, with the same MLflow basic auth (one worker each):
``--app-name basic-auth`` (plain MLflow) and ``--app-name policygate`` (the gate, with
the shipped packs: promotion policies under policies/, access policies under
policies/access/, an approvers directory and a lifecycle log). The call is an allowed
``MlflowClient.set_registered_model_alias(credit-default, champion, 1)`` by a release
manager: through the gate it is judged by the access pack, and, being a promotion, by
every promotion policy on version 1's record imported from the store at that moment
(the record of examples/models/credit-default-passes.yaml, held by the version as
``policygate.metadata.*``/``policygate.spec.*`` tags), then its policygate.* tags are
written and its lifecycle entry appended (fsync). Calls alternate between the servers
so that load on the machine falls on both alike. The target: the gate's median at most
1.5 times plain MLflow's.

``--auth-cache SECONDS`` sets MLflow's ``auth_cache_ttl_seconds`` on both servers: by
default (0) every request pays MLflow's password hash, which dwarfs everything else;
with the cache the comparison shows the gate's own cost.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "registry_gate"))

from gate_support import (  # noqa: E402 - the test harness starts the servers the same way
    ADMIN,
    UserClient,
    http,
    start,
    stop,
)

MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
TARGET = 1.5
USERS = {"rita": ["release-manager"], "alice": ["ml-engineer"]}


def setup(root: Path, auth_cache: int) -> None:
    """A gate configuration with the shipped packs, approvers, MLflow's auth settings."""
    from gate_support import ADMIN_PASSWORD, public_key

    (root / "approvers").mkdir(parents=True)
    lines = ["apiVersion: policygate/v1", "kind: Approvers", "metadata: {name: bench}",
             "spec:", "  approvers:"]  # fmt: skip
    for user, roles in USERS.items():
        lines += [f"    - id: {user}", f"      roles: [{', '.join(roles)}]",
                  f"      keys: [{{public_key: '{public_key()}'}}]"]  # fmt: skip
    (root / "approvers" / "approvers.yaml").write_text("\n".join(lines) + "\n")
    (root / "policygate.yaml").write_text(
        f"policies: [{ROOT / 'policies'}]\n"
        "approvers: [approvers/]\n"
        "registry:\n"
        "  protected_aliases: [champion]\n"
        f"  access_policies: [{ROOT / 'policies' / 'access'}]\n"
        "  lifecycle_log: lifecycle.jsonl\n"
    )
    (root / "auth.ini").write_text(
        "[mlflow]\ndefault_permission = MANAGE\n"
        f"database_uri = sqlite:///{root / 'auth.db'}\n"
        f"admin_username = {ADMIN}\nadmin_password = {ADMIN_PASSWORD}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        f"auth_cache_ttl_seconds = {auth_cache}\n"
    )


def seed(root: Path) -> None:
    """credit-default version 1 in the store, its record held as overlay tags (written
    straight into the store: no client may write policygate.* tags through the gate)."""
    from mlflow import MlflowClient

    record = yaml.safe_load(MODEL.read_text())
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("credit-default")
    tags = {f"policygate.spec.{k}": json.dumps(v) for k, v in record["spec"].items()}
    for key in ("owner", "created_at", "labels"):
        tags[f"policygate.metadata.{key}"] = json.dumps(record["metadata"][key])
    tags["policygate.metadata.created_by"] = "alice"
    client.create_model_version("credit-default", "s3://bench/credit-default/1", tags=tags)


def calls(client: UserClient, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        client.set_registered_model_alias("credit-default", "champion", "1")
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--auth-cache", type=int, default=0, metavar="SECONDS")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="policygate-bench-gate-"))
    servers: dict[str, Any] = {}
    try:
        for name, app in (("mlflow", "basic-auth"), ("gate", "policygate")):
            root = work / name
            setup(root, args.auth_cache)
            seed(root)
            servers[name] = start(root, app_name=app, workers=1, users=USERS)
        clients = {name: s.client("rita") for name, s in servers.items()}
        for client in clients.values():
            calls(client, 5)  # warm-up: imports, caches, the first connection
        samples: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(args.calls):
            for name, client in clients.items():
                samples[name].extend(calls(client, 1))
        entries = servers["gate"].log.read_text().count("\n")
        status, _ = http(servers["gate"].uri + "/api/2.0/mlflow/registered-models/alias",
                         json.dumps({"name": "credit-default", "alias": "champion",
                                     "version": "1"}).encode(), "alice")  # fmt: skip
    finally:
        for server in servers.values():
            stop(server.process)
    median = {name: statistics.median(s) for name, s in samples.items()}
    p90 = {name: statistics.quantiles(s, n=10)[-1] for name, s in samples.items()}
    ratio = median["gate"] / median["mlflow"]
    print(f"W5 admission latency: set_registered_model_alias, {args.calls} calls each, "
          f"auth_cache_ttl_seconds={args.auth_cache}")  # fmt: skip
    for name in ("mlflow", "gate"):
        print(f"  {name:7} median {median[name] * 1000:8.2f} ms   p90 {p90[name] * 1000:8.2f} ms")
    print(f"  gate/mlflow median ratio {ratio:.2f} (target <= {TARGET}): "
          + ("met" if ratio <= TARGET else "NOT met"))
    print(f"  lifecycle entries written by the gate: {entries}; a non-release-manager's "
          f"promotion answered {status}")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
