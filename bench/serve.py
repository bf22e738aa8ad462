"""W6: the decision service's throughput (issue 16), measured as a ratio in one run.

    pip install -e '.[fast,serve]'
    python bench/serve.py                        # every layout, 2000 requests each
    python bench/serve.py --layouts 2x1 --requests 4000

Each request is ``POST /v1/check`` of one model (examples/models/
credit-default-passes.yaml) against the shipped policies (policies/), from 32
concurrent clients with keep-alive connections, against a real ``policygate serve``
(uvicorn) on loopback. The baseline is the in-process loop a deployment service
would run instead: ``policygate.evaluate`` of the same record and policies, one
request after another, on the same machine in the same run. The target is a ratio
of at least 50%. A layout ``WxT`` is W worker processes of T evaluation threads;
the clients run in this process, on the same cores as the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
NOW = "2026-11-26T00:00:00Z"
TARGET = 0.5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def baseline(record: dict[str, Any], requests: int) -> float:
    """Requests per second of the in-process ``policygate.evaluate`` loop."""
    import policygate

    policies = policygate.load_policies([str(POLICIES)])
    for _ in range(50):  # warm: compiled programs, fused rules, caches
        policygate.evaluate([record], policies, now=NOW)
    start = time.perf_counter()
    for _ in range(requests):
        report = policygate.evaluate([record], policies, now=NOW)
        assert report.passed
    return requests / (time.perf_counter() - start)


class Served:
    """``policygate serve`` in a subprocess, for the length of a ``with``."""

    def __init__(self, workers: int, threads: int) -> None:
        self.port = _free_port()
        self.argv = [sys.executable, "-m", "policygate", "serve", "-p", str(POLICIES),
                     "--port", str(self.port), "--workers", str(workers),
                     "--threads", str(threads)]  # fmt: skip

    def __enter__(self) -> Served:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYGATE_")}
        self.process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, env=env)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise SystemExit(f"policygate serve did not come up: {' '.join(self.argv)}")

    def __exit__(self, *_: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def load(port: int, body: bytes, requests: int, clients: int) -> tuple[float, list[float]]:
    """Requests per second from ``clients`` threads, and every request's latency."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    shares = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    headers = {"Content-Type": "application/json"}

    def client(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        for _ in range(count):
            start = time.perf_counter()
            connection.request("POST", "/v1/check", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200 or b'"passed": true' not in answer[:400]:
                with lock:
                    failures.append(f"{response.status}: {answer[:200]!r}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in shares]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return requests / elapsed, latencies


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--layouts", default="1x1,1x2,1x4,2x1,2x2",
                        help="WORKERSxTHREADS, comma-separated")  # fmt: skip
    args = parser.parse_args()
    record = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
    body = json.dumps({"models": [record], "now": NOW}).encode()
    print(f"W6 decision service: {args.requests} requests of 1 model x {POLICIES.name}/, "
          f"{args.clients} concurrent clients, {os.cpu_count()} CPUs")  # fmt: skip
    base = baseline(record, args.requests)
    print(f"  {'in-process policygate.evaluate loop':<40} {base:8.1f} req/s")
    best: tuple[float, str] = (0.0, "")
    for layout in args.layouts.split(","):
        workers, threads = (int(n) for n in layout.lower().split("x"))
        with Served(workers, threads) as served:
            load(served.port, body, min(200, args.requests), args.clients)  # warm every worker
            rate, latencies = load(served.port, body, args.requests, args.clients)
        ratio = rate / base
        best = max(best, (ratio, layout))
        print(f"  serve --workers {workers} --threads {threads:<14} {rate:8.1f} req/s  "
              f"{ratio:6.1%} of in-process  p50 {_percentile(latencies, 0.5) * 1000:6.1f} ms  "
              f"p99 {_percentile(latencies, 0.99) * 1000:6.1f} ms  "
              f"{'ok' if ratio >= TARGET else 'below target'}")  # fmt: skip
    print(f"  best layout: {best[1]} ({best[0]:.1%}; target >= {TARGET:.0%})")
    print(f"  (mean latency of the best is the clients' wait: "
          f"{args.clients} in flight / throughput)")  # fmt: skip
    return 0 if best[0] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
