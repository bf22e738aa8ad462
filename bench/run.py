"""policygate's benchmarks (issue 7): every workload with its baselines, measured in
the same run, printed as ratios. Absolute times depend on the machine and on what
else it is doing; the ratios are what the targets are about.

    pip install -e '.[bench]'
    python bench/run.py                 # all workloads
    python bench/run.py w1 w2           # some of them
    python bench/run.py --records 2000  # a smaller W1 (ratios are per record)

W1 throughput: generated records x a 40-rule policy, in process through the
    library (report built), against the same rules in Rego on regorus (Rust) and
    regopy (rego-cpp), each in its own process, and as plain Python. regopy, the
    slowest, runs on a sample of the records; every figure is records per second.
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

    print(f"W1 throughput: {records:,} records x 40 rules (regopy on {sample:,})")
    policy_path = work / "w1.yaml"
    policy_path.write_text(workload.policy_yaml(), encoding="utf-8")
    params = yaml.safe_load(policy_path.read_text(encoding="utf-8"))["spec"]["params"]
    data = workload.records(records)
    few = data[:sample]

    policies = policygate.load_policies([policy_path])
    seconds, report = timed(lambda: policygate.evaluate(data, policies, now=workload.NOW), 3)
    rates: dict[str, float] = {"policygate": len(data) / seconds}
    passes: dict[str, Counter[str]] = {
        "policygate": Counter(
            r.rule for m in report.models for r in m.results if r.status.value == "pass"
        )
    }

    rules = workload.python_rules(params)
    seconds, results = timed(lambda: [workload.evaluate_python(rules, m) for m in data], repeat=3)
    rates["hand-written Python"] = len(data) / seconds
    passes["hand-written Python"] = Counter(
        rule for per_model in results for rule, status in per_model if status == "pass"
    )

    # Each Rego engine in its own process, on the same records and params.
    (work / "w1-params.json").write_text(json.dumps(params), encoding="utf-8")
    scale: dict[str, float] = {}
    for name, label, models in [("regorus", "regorus (Rust)", data),
                                ("regopy", "regopy (rego-cpp)", few)]:  # fmt: skip
        source = work / f"w1-{name}.json"
        source.write_text(json.dumps(models), encoding="utf-8")
        done = subprocess.run(
            [PYTHON, str(Path(__file__).parent / "rego_engine.py"), name, str(source),
             str(work / "w1-params.json")], capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            print(f"  ! {label} did not run: {done.stderr.strip().splitlines()[-1:]}")
            continue
        measured = json.loads(done.stdout)
        rates[label] = measured["rate"]
        passes[label] = Counter(measured["passes"])
        scale[label] = len(data) / len(models)

    # Every implementation must agree on what passed, rule by rule.
    reference = passes["hand-written Python"]
    for name, counted in passes.items():
        factor = scale.get(name, 1.0)
        expected = reference if factor == 1.0 else Counter(
            rule for per_model in results[: len(few)] for rule, status in per_model
            if status == "pass"
        )  # fmt: skip
        if {rule: counted[rule] for rule in expected} != dict(expected):
            wrong = sorted(r for r in expected if counted[r] != expected[r])
            print(f"  ! {name} disagrees with plain Python on {len(wrong)} rules: {wrong[:5]}")

    own, floor = rates["policygate"], rates["hand-written Python"]
    for name, rate in rates.items():
        row(name, f"{rate:,.0f} records/s", f"{1e6 / rate / 40:,.1f} us/rule")
    if "regorus (Rust)" in rates:
        ratio = own / rates["regorus (Rust)"]
        row("policygate vs regorus", "", f"{ratio:,.1f}x faster", verdict(ratio >= 3))
    if "regopy (rego-cpp)" in rates:
        ratio = own / rates["regopy (rego-cpp)"]
        row("policygate vs regopy", "", f"{ratio:,.1f}x faster", verdict(ratio >= 60))
    row("policygate vs hand-written Python", "", f"{floor / own:,.1f}x slower",
        verdict(floor / own <= 5))  # fmt: skip


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


def _byte_compile_policygate() -> None:
    """Write policygate's bytecode, as installing a package does and as any first run
    does when Python may write it: a cold start is then what a user's is, whatever
    PYTHONDONTWRITEBYTECODE says here and however recently a module was edited
    (otherwise each run would compile the edited modules from source again)."""
    import policygate

    package = str(Path(policygate.__file__).parent)
    subprocess.run([PYTHON, "-m", "compileall", "-q", package], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def w2(work: Path, repeat: int) -> None:
    print(f"W2 cold start: `policygate check` of one model x 40 rules (median of {repeat})")
    _byte_compile_policygate()
    policy = work / "w2.yaml"
    policy.write_text(workload.policy_yaml(), encoding="utf-8")
    model = work / "w2-model.yaml"
    model.write_text(yaml.safe_dump(workload.records(1)[0]), encoding="utf-8")
    check = [*POLICYGATE, "check", str(model), "-p", str(policy), "--now", workload.NOW,
             "--fail-on", "never"]  # fmt: skip
    baseline, seconds = _process_medians([[PYTHON, "-c", "import yaml"], check], repeat)
    row("python -c 'import yaml'", f"{baseline * 1000:,.0f} ms")
    ratio = seconds / baseline
    row("policygate check", f"{seconds * 1000:,.0f} ms", f"{ratio:,.1f}x import yaml",
        verdict(ratio <= 3))  # fmt: skip


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
        verdict(seconds <= 1.5 * baseline))  # fmt: skip
    # Peak memory of an audit at a tenth of the records and at all of them: flat
    # means it streams, whatever the number of records. In one process, and with
    # --jobs 2.
    tenth = max(big // 10, 1)
    for count in (tenth, big):
        _write_records(work / f"w3-big-{count}", count)
    for jobs in (1, 2):
        few_mb = _audit_peak_mb(work / f"w3-big-{tenth}", policy, jobs)
        many_mb = _audit_peak_mb(work / f"w3-big-{big}", policy, jobs)
        flat = many_mb <= 150 and many_mb <= few_mb * 1.25
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
    row("policygate lint", f"{seconds:,.2f} s", "", verdict(seconds < 1))


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["w1", "w2", "w3", "w4"])
    parser.add_argument("--records", type=int, default=10_000, help="W1 records")
    parser.add_argument("--sample", type=int, default=500, help="W1 records for regopy")
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
