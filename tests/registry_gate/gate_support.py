"""A real ``mlflow server --app-name policygate`` for the tests: sqlite stores, MLflow's own
basic-auth users, a policygate.yaml, an approvers directory and a lifecycle log in a
temporary directory; driven with the real ``MlflowClient`` over HTTP, never a mock."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ADMIN = "admin"
ADMIN_PASSWORD = "gate-admin-Secret-2026"
PASSWORD = "Passw0rd-for-tests-2026"

USERS = {
    "alice": ["ml-engineer"],  # creates versions
    "rita": ["release-manager"],  # promotes
    "carol": ["release-manager", "ml-engineer"],  # promotes, and creates some versions
    "bob": ["ml-engineer"],  # may not promote
}

ACCESS_POLICY = """\
apiVersion: policygate/v1
kind: AccessPolicy
metadata: {name: registry-access, version: "1.0.0"}
spec:
  rules:
    - id: protected-alias.role
      actions: [set-alias, delete-alias]
      when: 'request.target.alias in request.protected.aliases'
      check: '"release-manager" in request.actor.roles'
      message: >-
        {request.actor.name} may not move {request.target.alias}:
        the release-manager role is required
    - id: protected-stage.role
      actions: [transition-stage]
      when: 'request.promotion'
      check: '"release-manager" in request.actor.roles'
      message: >-
        {request.actor.name} may not move a version to {request.target.stage}:
        the release-manager role is required
    - id: no-self-promotion
      actions: [set-alias, transition-stage]
      when: 'request.promotion'
      check: 'request.actor.name != model.metadata.created_by'
      message: >-
        {request.actor.name} created version {request.target.version}:
        nobody promotes their own model
    - id: protected-version.delete
      actions: [delete-version, delete-model]
      check: '!request.target.aliases.exists(a, a in request.protected.aliases)'
      message: 'version {request.target.version} of {request.target.model} holds a protected alias'
    - id: gate-tags
      actions: [set-tag, delete-tag]
      when: 'request.target.tag.key.startsWith("policygate.")'
      check: 'request.actor.gate'
      message: 'tags under policygate. are written by the gate only, not by {request.actor.name}'
"""

PROMOTION_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: registry-promotion, version: "2.0.0"}
spec:
  params: {min_auc: 0.8}
  rules:
    - id: performance.auc
      title: AUC at or above the threshold
      category: performance
      check: model.spec.metrics.auc >= params.min_auc
      message: 'AUC {model.spec.metrics.auc} is below {params.min_auc}'
    - id: metadata.owner
      title: An owner is recorded
      category: metadata
      check: has(model.metadata.owner) && model.metadata.owner != ""
"""

CONFIG = """\
policies: [policies/]
approvers: [approvers/]
registry:
  protected_aliases: [champion]
  protected_stages: [Production]
  access_policies: [access/]
  lifecycle_log: lifecycle.jsonl
"""


@dataclass
class GateServer:
    """A running server: where it listens, its files, and how to act as each user."""

    uri: str
    root: Path
    process: subprocess.Popen
    log: Path
    db: Path
    output: Path
    users: dict[str, list[str]] = field(default_factory=dict)

    def client(self, user: str) -> UserClient:
        return UserClient(self.uri, user, ADMIN_PASSWORD if user == ADMIN else PASSWORD)

    def entries(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def post(self, path: str, body: bytes, user: str = ADMIN, method: str = "POST",
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:  # fmt: skip
        """A raw HTTP request (what no client would send), as ``user``."""
        return http(self.uri + path, body, user, method, headers)

    def alive(self) -> bool:
        return self.process.poll() is None and health(self.uri)


@dataclass(frozen=True)
class Seeded:
    """The seeded registry: the server, and which version is which."""

    server: GateServer
    model: str = "credit-default"
    good: str = "1"  # alice's, AUC 0.91
    weak: str = "2"  # alice's, AUC 0.62
    carols: str = "3"  # carol's own, AUC 0.95 (its run claims alice)
    newer: str = "4"  # alice's, AUC 0.93


def register(
    server: GateServer, user: str, model: str, auc: float | None, claims: str | None = None
) -> str:
    """A run with its AUC and an owner tag, registered as a new version by ``user``; the
    run says it was made by ``claims`` (MLflow takes a run's user from the client)."""
    client = server.client(user)
    experiment = client.get_experiment_by_name("gate-tests")
    experiment_id = (
        experiment.experiment_id if experiment else client.create_experiment("gate-tests")
    )
    run = client.create_run(experiment_id, tags={"mlflow.user": claims or user})
    if auc is not None:
        client.log_metric(run.info.run_id, "auc", auc)
    client.set_terminated(run.info.run_id)
    version = client.create_model_version(
        model, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id, tags={"owner": "credit-ml"}
    )
    return str(version.version)


def http(url: str, body: bytes | None, user: str, method: str = "POST",
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:  # fmt: skip
    password = ADMIN_PASSWORD if user == ADMIN else PASSWORD
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Authorization", f"Basic {token}")
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, _json(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())


def _json(raw: bytes) -> dict[str, Any]:
    try:
        found = json.loads(raw)
    except ValueError:
        return {"raw": raw.decode("utf-8", "replace")}
    return found if isinstance(found, dict) else {"value": found}


class UserClient:
    """``MlflowClient`` calls made as one basic-auth user (MLflow reads the credentials
    from the environment at each request)."""

    def __init__(self, uri: str, user: str, password: str) -> None:
        from mlflow import MlflowClient

        self.user, self.password = user, password
        self._client = MlflowClient(tracking_uri=uri, registry_uri=uri)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            with _credentials(self.user, self.password):
                return method(*args, **kwargs)

        return call


@contextlib.contextmanager
def _credentials(user: str, password: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")}
    os.environ["MLFLOW_TRACKING_USERNAME"] = user
    os.environ["MLFLOW_TRACKING_PASSWORD"] = password
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health(uri: str) -> bool:
    try:
        with urllib.request.urlopen(uri + "/health", timeout=5) as answer:
            return answer.status == 200
    except (OSError, urllib.error.URLError):
        return False


def public_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "ed25519:" + base64.b64encode(raw).decode()


def write_setup(root: Path, config: str = CONFIG, access: str = ACCESS_POLICY) -> None:
    """The gate's configuration, policies and approvers, and MLflow's auth settings."""
    (root / "policies").mkdir()
    (root / "policies" / "promotion.yaml").write_text(PROMOTION_POLICY)
    (root / "access").mkdir()
    (root / "access" / "registry-access.yaml").write_text(access)
    (root / "approvers").mkdir()
    lines = ["apiVersion: policygate/v1", "kind: Approvers", "metadata: {name: registry}",
             "spec:", "  approvers:"]  # fmt: skip
    for user, roles in USERS.items():
        lines += [f"    - id: {user}", f"      roles: [{', '.join(roles)}]",
                  f"      keys: [{{public_key: '{public_key()}'}}]"]  # fmt: skip
    (root / "approvers" / "approvers.yaml").write_text("\n".join(lines) + "\n")
    (root / "policygate.yaml").write_text(config)
    (root / "auth.ini").write_text(
        "[mlflow]\n"
        "default_permission = MANAGE\n"
        f"database_uri = sqlite:///{root / 'auth.db'}\n"
        f"admin_username = {ADMIN}\n"
        f"admin_password = {ADMIN_PASSWORD}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )


def server_environment(root: Path, app: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_TRACKING_USERNAME",
                "MLFLOW_TRACKING_PASSWORD"):  # fmt: skip
        env.pop(key, None)
    env.update(
        MLFLOW_AUTH_CONFIG_PATH=str(root / "auth.ini"),
        MLFLOW_FLASK_SERVER_SECRET_KEY="policygate-tests-secret",
        POLICYGATE_CONFIG=str(root / "policygate.yaml"),
        # MLflow 3 starts a job runner and a dozen huey consumers by default: not needed
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
    )
    return env


def start(
    root: Path,
    *,
    app_name: str | None = "policygate",
    workers: int = 2,
    timeout: float = 400.0,
    users: dict[str, list[str]] | None = None,
) -> GateServer:
    """Start ``mlflow server`` (with ``--app-name``) on a free loopback port and wait for it."""
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    db = root / "mlflow.db"
    output = root / "server.log"
    command = [
        sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination",
        str(root / "artifacts"), "--workers", str(workers),
        "--uvicorn-opts", "--timeout-graceful-shutdown 3",
    ]  # fmt: skip
    if app_name:
        command += ["--app-name", app_name]
    handle = output.open("wb")
    process = subprocess.Popen(
        command, cwd=root, env=server_environment(root), stdout=handle, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while not health(uri):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"mlflow server did not start:\n{output.read_text()[-4000:]}")
        time.sleep(0.5)
    users = USERS if users is None else users
    server = GateServer(uri, root, process, root / "lifecycle.jsonl", db, output, dict(users))
    for user in users:
        status, body = http(f"{uri}/api/2.0/mlflow/users/create",
                            json.dumps({"username": user, "password": PASSWORD}).encode(),
                            ADMIN)  # fmt: skip
        if status != 200:
            stop(process)
            raise RuntimeError(f"cannot create the MLflow user {user}: {status} {body}")
    return server


def stop(process: subprocess.Popen) -> None:
    """Stop the server and its workers (its own process group, started for it)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
