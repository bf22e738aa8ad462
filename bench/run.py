"""policygate's benchmarks (issue 7): every workload with its baselines, measured in
the same run, printed as ratios. Absolute times depend on the machine and on what
else it is doing; the ratios are what the targets are about.

    pip install -e '.[fast,bench]'
    python bench/run.py                 # all workloads
    python bench/run.py w1 w2           # some of them
    python bench/run.py --records 2000  # a smaller W1 (ratios are per record)

W1 throughput: generated records x a 40-rule policy, in process through the
    library (report built), against the same rules in Rego (regopy) and as
    plain Python. The slow engines (regopy, cel-python, policygate's own) run on a
    sample of the records; every figure is records per second.
W2 cold start: `policygate check` of one model x 40 rules as a process, against
    `python -c "import yaml"`.
W3 audit: `policygate audit` of 10,000 files (--jobs 2) against parsing them with
    PyYAML's C loader, and the peak RSS of a 100,000-record audit.
W4 lint of a 1,000-rule policy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))
import workload  # noqa: E402

PYTHON = sys.executable
POLICYGATE = [PYTHON, "-m", "policygate"]


def timed(action: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """The best of ``repeat`` wall-clock times (the least disturbed by other load)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def row(name: str, figure: str, ratio: str = "", verdict: str = "") -> None:
    print(f"  {name:<44} {figure:>18}  {ratio:<22} {verdict}")


def verdict(ok: bool) -> str:
    return "target holds" if ok else "TARGET MISSED"


# --------------------------------------------------------------------------- W1


def w1(records: int, sample: int, work: Path) -> None:
    import policygate

    print(f"W1 throughput: {records:,} records x 40 rules (baselines on {sample:,})")
    policy_path = work / "w1.yaml"
    policy_path.write_text(workload.policy_yaml(), encoding="utf-8")
    params = yaml.safe_load(policy_path.read_text(encoding="utf-8"))["spec"]["params"]
    data = workload.records(records)
    few = data[:sample]

    def library(engine: str, models: list[dict[str, Any]]) -> Any:
        policies = policygate.load_policies([policy_path], engine=engine)
        return lambda: policygate.evaluate(models, policies, now=workload.NOW)

    rates: dict[str, float] = {}
    passes: dict[str, Counter[str]] = {}
    for name, models, engine in [("policygate cel-cpp", data, "cel-cpp"),
                                 ("policygate cel-python", few, "cel-python"),
                                 ("policygate own engine", few, "policygate")]:  # fmt: skip
        seconds, report = timed(library(engine, models), repeat=3)
        rates[name] = len(models) / seconds
        passes[name] = Counter(
            r.rule for m in report.models[:sample] for r in m.results if r.status.value == "pass"
        )

    rules = workload.python_rules(params)
    seconds, results = timed(lambda: [workload.evaluate_python(rules, m) for m in data], repeat=3)
    rates["hand-written Python"] = len(data) / seconds
    passes["hand-written Python"] = Counter(
        rule for per_model in results[:sample] for rule, status in per_model if status == "pass"
    )

    import regopy

    interpreter = regopy.Interpreter()
    now_ns = int(workload.NOW_DT.timestamp()) * 10**9
    interpreter.add_data({"params": params, "now_ns": now_ns})
    interpreter.add_module("w1", workload.rego_module())
    bundle = interpreter.build("x = data.w1.results", [])

    def rego() -> list[dict[str, Any]]:
        out = []
        for model in few:
            interpreter.set_input(model)
            out.append(json.loads(str(interpreter.query_bundle(bundle)))["bindings"]["x"])
        return out

    seconds, rego_results = timed(rego, repeat=3)
    rates["regopy (rego-cpp)"] = len(few) / seconds
    rego_passes: Counter[str] = Counter()
    for per_model in rego_results:
        for rule, ok in per_model.items():
            rego_passes[rule] += sum(ok) if isinstance(ok, list) else int(ok is True)
    passes["regopy (rego-cpp)"] = rego_passes

    # The three implementations must agree on what passed, rule by rule.
    reference = passes["hand-written Python"]
    for name, counted in passes.items():
        agree = {rule: counted[rule] for rule in reference} == dict(reference)
        if not agree:
            wrong = sorted(r for r in reference if counted[r] != reference[r])
            print(f"  ! {name} disagrees with plain Python on {len(wrong)} rules: {wrong[:5]}")

    fast, portable = rates["policygate cel-cpp"], rates["policygate cel-python"]
    floor, rego_rate = rates["hand-written Python"], rates["regopy (rego-cpp)"]
    for name, rate in rates.items():
        row(name, f"{rate:,.0f} records/s", f"{1e6 / rate / 40:,.1f} us/rule")
    row("cel-cpp vs regopy", "", f"{fast / rego_rate:,.1f}x faster",
        verdict(fast >= 30 * rego_rate))  # fmt: skip
    row("cel-cpp vs hand-written Python", "", f"{floor / fast:,.1f}x slower",
        verdict(floor / fast <= 15))  # fmt: skip
    row("cel-python vs regopy", "", f"{portable / rego_rate:,.2f}x", verdict(portable >= rego_rate))


# --------------------------------------------------------------------------- W2


def _process_seconds(argv: list[str], repeat: int) -> float:
    return _process_medians([argv], repeat)[0]


def _process_medians(argvs: list[list[str]], repeat: int) -> list[float]:
    """The median wall-clock time of each process, the processes run in turn
    ``repeat`` times (so that a machine that speeds up or slows down during the
    run does so for all of them alike)."""
    times: list[list[float]] = [[] for _ in argvs]
    for _ in range(repeat):
        for argv, taken in zip(argvs, times, strict=True):
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


def w2(work: Path, repeat: int) -> None:
    print(f"W2 cold start: `policygate check` of one model x 40 rules (median of {repeat})")
    policy = work / "w2.yaml"
    policy.write_text(workload.policy_yaml(), encoding="utf-8")
    model = work / "w2-model.yaml"
    model.write_text(yaml.safe_dump(workload.records(1)[0]), encoding="utf-8")
    engines = [("cel-cpp", 6), ("cel-python", 10), ("policygate", 6)]
    checks = [[*POLICYGATE, "check", str(model), "-p", str(policy), "--engine", engine,
               "--now", workload.NOW, "--fail-on", "never"] for engine, _ in engines]  # fmt: skip
    baseline, *measured = _process_medians([[PYTHON, "-c", "import yaml"], *checks], repeat)
    row("python -c 'import yaml'", f"{baseline * 1000:,.0f} ms")
    for (engine, limit), seconds in zip(engines, measured, strict=True):
        ratio = seconds / baseline
        row(f"policygate check --engine {engine}", f"{seconds * 1000:,.0f} ms",
            f"{ratio:,.1f}x import yaml", verdict(ratio <= limit))  # fmt: skip


# --------------------------------------------------------------------------- W3, W4


def _has_command(name: str) -> bool:
    result = subprocess.run([*POLICYGATE, name, "--help"], capture_output=True, check=False)
    return result.returncode == 0


def _write_records(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, record in enumerate(workload.iter_records(count)):
        (folder / f"model-{i:06d}.yaml").write_text(yaml.safe_dump(record), encoding="utf-8")


def w3(work: Path, files: int, big: int) -> None:
    print(f"W3 audit: {files:,} model files (--jobs 2), peak RSS of {big:,} records")
    if not _has_command("audit"):
        print("  (skipped: this build has no `policygate audit` command yet)")
        return
    folder = work / "w3"
    _write_records(folder, files)
    policy = work / "w3.yaml"
    policy.write_text(workload.policy_yaml(), encoding="utf-8")

    def parse_only() -> None:
        for path in sorted(folder.iterdir()):
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)  # the C *safe* loader

    baseline, _ = timed(parse_only)
    argv = [*POLICYGATE, "audit", str(folder), "-p", str(policy), "--jobs", "2",
            "--now", workload.NOW]  # fmt: skip
    seconds = _process_seconds(argv, 1)
    row("PyYAML C loader, parse only", f"{baseline:,.1f} s")
    row("policygate audit --jobs 2", f"{seconds:,.1f} s", f"{seconds / baseline:,.1f}x parse",
        verdict(seconds <= 3 * baseline))  # fmt: skip
    # Peak memory of an audit at a tenth of the records and at all of them: flat
    # means it streams, whatever the number of records. In one process, and with
    # --jobs 2 (each worker replaced after a number of batches).
    tenth = max(big // 10, 1)
    for count in (tenth, big):
        _write_records(work / f"w3-big-{count}", count)
    for jobs in (1, 2):
        few_mb = _audit_peak_mb(work / f"w3-big-{tenth}", policy, jobs)
        many_mb = _audit_peak_mb(work / f"w3-big-{big}", policy, jobs)
        flat = many_mb <= 300 and many_mb <= few_mb * 1.25
        row(f"peak RSS, audit of {tenth:,} records, --jobs {jobs}", f"{few_mb:,.0f} MB")
        row(f"peak RSS, audit of {big:,} records, --jobs {jobs}", f"{many_mb:,.0f} MB",
            f"{many_mb / few_mb:,.2f}x the {tenth:,}", verdict(flat))  # fmt: skip


def _audit_peak_mb(folder: Path, policy: Path, jobs: int) -> float:
    """The peak RSS of ``policygate audit`` of ``folder``, in MB: the largest sum over
    the audit's processes (parent, workers), sampled from /proc every 50 ms."""
    argv = [*POLICYGATE, "audit", str(folder), "-p", str(policy), "--now", workload.NOW,
            "--jobs", str(jobs), "-o", os.devnull]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_rss_kb(pid) for pid in _tree(process.pid)))
        time.sleep(0.05)
    return peak / 1024


def _tree(root: int) -> list[int]:
    """``root`` and every process descended from it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(parents.get(pid, []))
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def w4(work: Path, rules: int) -> None:
    print(f"W4 lint of a {rules:,}-rule policy")
    if not _has_command("lint"):
        print("  (skipped: this build has no `policygate lint` command yet)")
        return
    base = workload.policy_yaml().split("  rules:\n")
    body = base[1].split("\n    - id: ")
    body = [b if b.startswith("    - id: ") else "    - id: " + b for b in body if b.strip()]
    copies = [b.replace("- id: ", f"- id: c{i}.", 1) for i in range(rules // len(body) + 1)
              for b in body][:rules]  # fmt: skip
    policy = work / "w4.yaml"
    policy.write_text(base[0] + "  rules:\n" + "\n".join(c.rstrip("\n") for c in copies) + "\n",
                      encoding="utf-8")  # fmt: skip
    seconds = _process_seconds([*POLICYGATE, "lint", str(policy)], 1)
    row("policygate lint", f"{seconds:,.2f} s", "", verdict(seconds < 2))


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["w1", "w2", "w3", "w4"])
    parser.add_argument("--records", type=int, default=10_000, help="W1 records")
    parser.add_argument("--sample", type=int, default=500, help="W1 records for slow engines")
    parser.add_argument("--repeat", type=int, default=9, help="W2 runs per command")
    parser.add_argument("--files", type=int, default=10_000, help="W3 files")
    parser.add_argument("--big", type=int, default=100_000, help="W3 records for peak RSS")
    parser.add_argument("--rules", type=int, default=1_000, help="W4 rules")
    args = parser.parse_args()
    load = os.getloadavg()
    averages = " ".join(f"{x:.1f}" for x in load)
    print(f"policygate benchmarks · {os.cpu_count()} cores · load average {averages}"
          f" · Python {sys.version.split()[0]}")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="policygate-bench-"))
    try:
        for name in args.workloads:
            if name == "w1":
                w1(args.records, min(args.sample, args.records), work)
            elif name == "w2":
                w2(work, args.repeat)
            elif name == "w3":
                w3(work, args.files, args.big)
            elif name == "w4":
                w4(work, args.rules)
            else:
                parser.error(f"unknown workload {name!r}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
