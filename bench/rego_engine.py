"""W1's Rego side, one engine per process (rego-cpp and other native libraries do
not share a process well): the 40 rules of bench/workload.py in Rego, evaluated
over the records of a JSON file; prints the rate and the passes per rule as JSON.

    python bench/rego_engine.py regorus|regopy RECORDS.json PARAMS.json
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import workload  # noqa: E402


def _regopy(params: dict[str, Any], now_ns: int) -> Callable[[dict[str, Any]], Any]:
    import regopy

    interpreter = regopy.Interpreter()
    interpreter.add_data({"params": params, "now_ns": now_ns})
    interpreter.add_module("w1", workload.rego_module())
    bundle = interpreter.build("x = data.w1.results", [])

    def run(model: dict[str, Any]) -> Any:
        interpreter.set_input(model)
        return json.loads(str(interpreter.query_bundle(bundle)))["bindings"]["x"]

    return run


def _regorus(params: dict[str, Any], now_ns: int) -> Callable[[dict[str, Any]], Any]:
    import regorus

    engine = regorus.Engine()
    engine.add_policy("w1.rego", workload.rego_module())
    engine.add_data({"params": params, "now_ns": now_ns})

    def run(model: dict[str, Any]) -> Any:
        engine.set_input(model)
        return engine.eval_rule("data.w1.results")

    return run


def main() -> None:
    name, records_path, params_path = sys.argv[1:4]
    models = json.loads(Path(records_path).read_text(encoding="utf-8"))
    params = json.loads(Path(params_path).read_text(encoding="utf-8"))
    now_ns = int(workload.NOW_DT.timestamp()) * 10**9
    run = {"regopy": _regopy, "regorus": _regorus}[name](params, now_ns)
    best, results = float("inf"), []
    for _ in range(3):
        start = time.perf_counter()
        results = [run(model) for model in models]
        best = min(best, time.perf_counter() - start)
    passes: Counter[str] = Counter()
    for per_model in results:
        for rule, ok in per_model.items():
            passes[rule] += sum(ok) if isinstance(ok, list) else int(ok is True)
    print(json.dumps({"rate": len(models) / best, "passes": passes}))


if __name__ == "__main__":
    main()
