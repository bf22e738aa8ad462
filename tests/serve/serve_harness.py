"""A real ``policygate serve`` on a free loopback port, in a subprocess: started,
waited for through ``/health``, stopped by the caller (or the fixtures in conftest.py).

Every wait has a deadline, so a server that does not come up (or go down) fails
the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30.0
STOP_SECONDS = 10.0
REQUEST_SECONDS = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    stderr_path: Path
    token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """One HTTP request; the server's token unless ``token`` is given ("" for none)."""
        sent = dict(headers or {})
        token = self.token if token is None else token
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, data=body, method=method,
                                         headers=sent)  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as response:
                return Reply(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), dict(error.headers))

    def check(self, payload: Any, **kwargs: Any) -> Reply:
        return self.request("POST", "/v1/check", json.dumps(payload).encode(), **kwargs)

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, condition: Callable[[], bool], what: str, seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"server exited ({self.process.returncode}) waiting for "
                                     f"{what}:\n{self.stderr()}")  # fmt: skip
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.stderr()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)


def start_server(
    tmp_path: Path, args: Sequence[str], *, token: str | None = None, cwd: Path = ROOT
) -> Server:
    """``policygate serve ARGS --port FREE`` running and answering ``/health``."""
    port = free_port()
    stderr_path = tmp_path / f"serve-{port}.stderr"
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYGATE_")}
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "policygate", "serve", "--port", str(port), *args],
            cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            env=env,
        )  # fmt: skip
    server = Server(process, port, stderr_path, token)

    def ready() -> bool:
        try:
            return server.request("GET", "/health", token="").status == 200
        except OSError:
            return False

    try:
        server.wait_for(ready, "/health", START_SECONDS)
    except BaseException:
        server.stop()
        raise
    return server
