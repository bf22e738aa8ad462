"""No regular expression in policygate backtracks super-linearly on what a model team writes
(SECURITY.md T-LOAD, issue 14, item 14).

Python's ``re`` backtracks: a pattern with overlapping quantifiers side by side
(``\\s+(.*?)\\s*#*\\s*$``, ``\\d+\\.?\\d*``) takes quadratic or cubic time on a
long run of the characters they share. Records, cards, BOMs, registry fields and
the messages that quote them are written by the party being judged, so every
expression applied to them must be linear.

:data:`REGEXES` lists every ``re`` call in ``src/policygate`` by module and the
function (or module-level name) holding it, with what it reads. A new call, or
one more in a function, fails :func:`test_every_regex_is_listed` until it is
listed here, so it is looked at in review. Each expression applied to input
(``INPUT``) has a probe below, fed hostile text of 10 to 100 KB (hypothesis
picks the runs of the characters its quantifiers overlap on), and must finish
well under a second of CPU time (``time.process_time``, so a busy CI machine
cannot flake it; the old heading expression took a minute on 4 KB).
"""

from __future__ import annotations

import ast
import importlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate.errors import PolicygateError

SRC = Path(__file__).parents[2] / "src" / "policygate"
RE_FUNCTIONS = {
    "compile",
    "match",
    "search",
    "sub",
    "subn",
    "findall",
    "finditer",
    "fullmatch",
    "split",
}
CPU_SECONDS = 1.0  # for 100 KB; a linear expression takes milliseconds

INPUT = "input"  # applied to text a model team controls (records, cards, BOMs, registries)
MESSAGE = "message"  # applied to engine messages, which may quote such text
POLICY = "policy"  # applied to policies, test files, schemas or the command line

# (module under src/policygate, holder) -> (number of re calls, kind, what it reads)
REGEXES: dict[tuple[str, str], tuple[int, str, str]] = {
    ("documents.py", "_CORE_NULL"): (1, INPUT, "YAML plain scalars: anchored literals"),
    ("documents.py", "_CORE_BOOL"): (1, INPUT, "YAML plain scalars: anchored literals"),
    ("documents.py", "_CORE_INT"): (1, INPUT, "YAML plain scalars: anchored, one digit run"),
    ("documents.py", "_CORE_FLOAT"): (1, INPUT, "YAML plain scalars: digit runs split by '.'/'e'"),
    ("documents.py", "_MERGE_KEY"): (1, INPUT, "YAML keys: an anchored literal"),
    ("documents.py", "_SURROGATES"): (1, INPUT, "every string of a document: one character class"),
    ("timestamps.py", "_RFC3339"): (
        1,
        INPUT,
        "record timestamps: fixed widths, one digit run before [Zz+-]",
    ),
    ("importers/interface.py", "_INT"): (1, INPUT, "metric values of every source: one digit run"),
    ("importers/interface.py", "_FLOAT"): (
        1,
        INPUT,
        "metric values: digit runs split by '.'/'e' (was \\d+\\.?\\d*: quadratic)",
    ),
    ("importers/interface.py", "metric_key"): (1, INPUT, "metric names: one class run, replaced"),
    ("importers/interface.py", "_DATE_FORMATS"): (3, INPUT, "source dates: bounded repeats only"),
    ("importers/interface.py", "normalize_timestamp"): (
        1,
        INPUT,
        "a date that matched _DATE_FORMATS: split on one class",
    ),
    ("importers/huggingface.py", "split_front_matter"): (
        1,
        INPUT,
        "the loader's message about a card: literal 'line ' then digits",
    ),
    ("importers/huggingface.py", "_INTENDED"): (
        1,
        INPUT,
        "card heading text: literal 'intended', one \\s+ run, literals",
    ),
    ("formats/markdown.py", "_MENTION"): (
        1,
        MESSAGE,
        "report messages: fixed width with a lookahead",
    ),
    ("formats/junit.py", "_NOT_XML"): (1, MESSAGE, "report messages: one character class"),
    ("graph/export.py", "_XML_ILLEGAL"): (1, INPUT, "GraphML values: one character class"),
    ("formats/inert.py", "_UNSAFE"): (1, MESSAGE, "report messages: one character class"),
    ("formats/html.py", "_BREAK_AFTER"): (1, INPUT, "ids and model names: one class, a lookahead"),
    ("waivers.py", "_Glob.matches"): (1, INPUT, "names against a ? glob: fnmatch's, 256 at most"),
    ("formats/html.py", "_SLUG"): (1, INPUT, "model names for anchors: one class run, replaced"),
    ("cel/lang/functions.py", "_INT_TEXT"): (1, INPUT, "int() text: one digit run, anchored"),
    ("cel/lang/functions.py", "_UINT_TEXT"): (1, INPUT, "uint() text: one digit run, anchored"),
    ("cel/lang/functions.py", "_FLOAT_TEXT"): (
        1,
        INPUT,
        "double() text: digit runs split by '.'/'e' (was quadratic)",
    ),
    ("cel/lang/functions.py", "_HEX_FLOAT_TEXT"): (
        1,
        INPUT,
        "double() hex text: hex runs split by '.'/'p' (was [0-9a-f]+\\.?[0-9a-f]*: quadratic)",
    ),
    ("cel/lang/strings_ext.py", "_CLAUSE"): (1, POLICY, "format() strings of a policy expression"),
    ("cel/lang/timefns.py", "_RFC3339"): (1, INPUT, "timestamp() text: fixed widths, anchored"),
    ("cel/lang/timefns.py", "_DURATION_PART"): (1, INPUT, "duration() text: one part per match"),
    ("cel/lang/timefns.py", "_OFFSET"): (
        1,
        POLICY,
        "a time zone name of a policy expression: fixed width",
    ),
    ("lint/fields.py", "SchemaFields.check"): (
        1,
        POLICY,
        "a model schema's patternProperties on field names of a policy",
    ),
    ("lint/checks/unknown_function.py", "run"): (1, POLICY, "policy expressions"),
    ("quickschema.py", "_Compiler._pattern"): (
        1,
        POLICY,
        "shipped schema patterns (see test_shipped_schema_patterns_are_linear)",
    ),
    ("quickschema.py", "_Compiler._patterns"): (
        1,
        POLICY,
        "shipped schema patternProperties (same test)",
    ),
    ("quickschema.py", "_Compiler._extras"): (
        1,
        POLICY,
        "shipped schema patternProperties (same test)",
    ),
    ("approvals/sign.py", "_DURATION"): (1, POLICY, "--expires on the command line"),
    ("tester/cases.py", "_REF"): (1, POLICY, "rule references in policy test files"),
    ("tester/cases.py", "_Suite._expectations"): (1, POLICY, "a policy test's own message pattern"),
    ("validation.py", "schema_violations"): (
        1,
        POLICY,
        "a schema's patternProperties (shipped, or a policy's model_schema) on record keys",
    ),
    ("fieldpaths.py", "_TOKEN"): (1, POLICY, "policy expressions"),
}


# --------------------------------------------------------------------------- the list


def re_calls() -> Counter[tuple[str, str]]:
    """``(module, holder)`` of every ``re.<function>(...)`` call in src/policygate."""
    found: Counter[tuple[str, str]] = Counter()
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for holder, node in _walk(tree, ""):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in RE_FUNCTIONS
            ):
                found[(module, holder)] += 1
            if isinstance(node, ast.ImportFrom) and node.module in ("re", "regex"):
                found[(module, f"from {node.module} import")] += 1
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "regex" or (alias.name == "re" and alias.asname):
                        found[(module, f"import {alias.name} as {alias.asname}")] += 1
    return found


def _walk(node: ast.AST, holder: str) -> Any:
    """Every node with the name of what holds it: ``Class.method``, a function, or the
    module-level name assigned."""
    for child in ast.iter_child_nodes(node):
        name = holder
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{holder}.{child.name}" if holder else child.name
        elif not holder and isinstance(child, (ast.Assign, ast.AnnAssign)):
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            name = ",".join(t.id for t in targets if isinstance(t, ast.Name)) or "<module>"
        elif not holder and isinstance(child, ast.stmt):
            name = "<module>"
        yield name, child
        yield from _walk(child, name)


def test_every_regex_is_listed():
    found = re_calls()
    listed = Counter({key: count for key, (count, _, _) in REGEXES.items()})
    new = {
        f"{m}::{h} ({n} calls, {listed.get((m, h), 0)} listed)"
        for (m, h), n in found.items()
        if n > listed.get((m, h), 0)
    }
    assert not new, (
        "a regular expression that is not in tests/security/test_regex_cost.py::REGEXES;"
        " make sure it is linear on hostile input, list it, and probe it if it reads input: "
        + ", ".join(sorted(new))
    )
    gone = {f"{m}::{h}" for (m, h) in listed if (m, h) not in found}
    assert not gone, "listed but no longer in the source (update REGEXES): " + ", ".join(
        sorted(gone)
    )


def test_every_input_regex_has_a_probe():
    inputs = {key for key, (_, kind, _) in REGEXES.items() if kind == INPUT}
    probed = {key for probe in PROBES for key in probe.covers}
    assert inputs <= probed, sorted(inputs - probed)


# --------------------------------------------------------------------------- probes


@dataclass(frozen=True)
class Probe:
    name: str
    covers: tuple[tuple[str, str], ...]
    call: Callable[[str], Any]
    alphabet: str  # the characters the quantifiers overlap on
    heads: tuple[str, ...] = ("",)  # what gets the text past an anchor or a literal prefix
    known: tuple[str, ...] = ()  # hand-written worst cases, always run


def _attr(module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"policygate.{module}"), name)


def _quiet(function: Callable[[str], Any]) -> Callable[[str], Any]:
    """Call ``function``; a clean policygate error (or CEL's) is an answer too.

    So is a ``ValueError``: ``parse_timestamp``'s way to refuse, and what ``int()``
    raises past 4,300 digits (policygate's CEL engine lets that one through from
    ``int()``/``uint()``/``duration()``: a crash, not a cost, reported apart).
    """

    def call(text: str) -> Any:
        try:
            return function(text)
        except (PolicygateError, ValueError):
            return None
        except Exception as error:  # CEL evaluation errors of the engines
            if type(error).__name__ in ("EvalError", "CELEvalError"):
                return None
            raise

    return call


def _load_scalar(text: str) -> Any:
    from policygate.documents import load_text

    return load_text(f"a: {text}\n", "probe.yaml")


def _front_matter(text: str) -> Any:
    from policygate.importers.huggingface import split_front_matter

    return split_front_matter(text, "README.md")


def _intended(text: str) -> Any:
    from policygate.importers.huggingface import intended_use

    return intended_use(text + "\n" + text)


def _html_anchor(text: str) -> Any:
    from policygate.report import ModelReport

    return _attr("formats.html", "model_anchors")([ModelReport(text, text, "m.yaml", True, (), ())])


def _lang(module: str, function: str) -> Callable[[str], Any]:
    return lambda text: _attr(f"cel.lang.{module}", function)(text)


DIGITS = "0123456789"
def _waiver_glob(text: str) -> Any:
    """A model name against a waiver pattern of the costliest kind (stars and ``?``s):
    a name too long to be covered by a glob, and its longest prefix a glob reads."""
    waivers = importlib.import_module("policygate.waivers")
    glob = waivers._Glob("*a?a?a?a?a?a?a?*b*")
    return waivers._covers(glob, text), glob.matches(text[: waivers.GLOB_TEXT_LIMIT])


PROBES = [
    Probe(
        "yaml scalar",
        tuple(
            ("documents.py", name)
            for name in (
                "_CORE_NULL",
                "_CORE_BOOL",
                "_CORE_INT",
                "_CORE_FLOAT",
                "_MERGE_KEY",
                "_SURROGATES",
            )
        ),
        _quiet(_load_scalar),
        DIGITS + ".eE+-é<x",
        ("", "1", "-1", "0.", "1.5e", "0x", "0o", "<<", "tru", "nul"),
        ("1" * 100_000 + "x", "1." + "1" * 100_000 + "ex", "0x" + "f" * 100_000 + "g"),
    ),
    Probe(
        "record timestamp",
        (("timestamps.py", "_RFC3339"),),
        _quiet(_attr("timestamps", "parse_timestamp")),
        DIGITS + ":.-T Z+",
        ("", "2026-01-01T00:00:00.", "2026-01-01 00:00:00"),
        ("2026-01-01T00:00:00." + "1" * 100_000 + "x",),
    ),
    Probe(
        "metric value",
        (("importers/interface.py", "_INT"), ("importers/interface.py", "_FLOAT")),
        _attr("importers.interface", "as_number"),
        DIGITS + ".eE+- ",
        ("", "+", "-", "1.", ".", "1e"),
        ("1" * 100_000 + "x", "1" * 100_000 + "e", "1." + "1" * 100_000 + "ex", " " * 50_000 + "1"),
    ),
    Probe(
        "graphml value",
        (("graph/export.py", "_XML_ILLEGAL"),),
        _attr("graph.export", "_xml_value"),
        "\x01a\ufffe",
    ),
    Probe(
        "waiver glob",
        (("waivers.py", "_Glob.matches"),),
        _waiver_glob,
        "ab",
        ("", "a", "b"),
        ("a" * 100_000, "ab" * 50_000),
    ),
    Probe(
        "metric name",
        (("importers/interface.py", "metric_key"),),
        _attr("importers.interface", "metric_key"),
        "-_ a1",
    ),
    Probe(
        "html report id",
        (("formats/html.py", "_BREAK_AFTER"), ("formats/html.py", "_SLUG")),
        lambda text: (_attr("formats.html", "breakable_id")(text), _html_anchor(text)),
        "/:.-_ aZ<",
    ),
    Probe(
        "source date",
        (
            ("importers/interface.py", "_DATE_FORMATS"),
            ("importers/interface.py", "normalize_timestamp"),
        ),
        _attr("importers.interface", "normalize_timestamp"),
        DIGITS + "/-: .T",
        ("", "2020-", "2020/01/", "08/28/"),
    ),
    Probe(
        "card front matter",
        (
            ("importers/huggingface.py", "split_front_matter"),
        ),
        _quiet(_front_matter),
        " \t-\nline 1:[",
        ("", "---\n", "--- \t", "---\na: [line 1", "---\n" + "line 9 " * 10),
        ("---" + " " * 100_000 + "x\n", "---\na: b\n" + " \t" * 50_000 + "---x\n"),
    ),
    Probe(
        "card heading",
        (("importers/huggingface.py", "_INTENDED"),),
        _attr("importers.huggingface", "intended_use"),
        " \t#a",
        ("", "# ", "# a", "###### Intended", "## intended ", "# intended uses"),
        (
            "# a" + " " * 100_000 + "b",
            "# Intended use" + " #" * 50_000 + "x",
            "# intended" + " " * 100_000,
        ),
    ),
    Probe(
        "card heading, whole body",
        (("importers/huggingface.py", "_INTENDED"),),
        _intended,
        " \t#\nintended uses",
    ),
    Probe(
        "int(), uint(), double() on policygate's engine",
        (
            ("cel/lang/functions.py", "_INT_TEXT"),
            ("cel/lang/functions.py", "_UINT_TEXT"),
            ("cel/lang/functions.py", "_FLOAT_TEXT"),
            ("cel/lang/functions.py", "_HEX_FLOAT_TEXT"),
        ),
        lambda text: [
            _quiet(_lang("functions", name))(text) for name in ("to_int", "to_uint", "to_double")
        ],
        DIGITS + ".eE+-abcfpP",
        ("", "+", "1.", ".", "0x", "-0X", "0x1."),
        ("1" * 100_000 + "x", "1." + "1" * 100_000 + "ex", "0x" + "f" * 100_000 + "x"),
    ),
    Probe(
        "timestamp() and duration() on policygate's engine",
        (("cel/lang/timefns.py", "_RFC3339"), ("cel/lang/timefns.py", "_DURATION_PART")),
        lambda text: [
            _quiet(_lang("timefns", name))(text) for name in ("parse_timestamp", "parse_duration")
        ],
        DIGITS + ".smhun:-TZ",
        ("", "1.", "2026-01-01T00:00:00.", "-"),
        ("1" * 4000 + "x", "1." + "1" * 100_000 + "x", "1s" * 50_000 + "x"),
    ),
]


def hostile(probe: Probe) -> st.SearchStrategy[str]:
    """A head, then 10-100 KB of a short unit of the probe's alphabet repeated, then a tail."""

    def build(head: str, unit: str, size: int, tail: str) -> str:
        return head + (unit * (size // len(unit) + 1))[:size] + tail

    return st.builds(
        build,
        st.sampled_from(probe.heads),
        st.one_of(  # one character repeated is the classic worst case
            st.sampled_from(list(probe.alphabet)),
            st.text(alphabet=probe.alphabet, min_size=1, max_size=4),
        ),
        st.integers(min_value=10_000, max_value=100_000),
        st.one_of(  # something that makes the match fail at the very end
            st.sampled_from(["x", "!", "\n", ""]),
            st.text(alphabet=probe.alphabet + "x!", max_size=3),
        ),
    )


def cpu(call: Callable[[str], Any], text: str) -> float:
    started = time.process_time()
    call(text)
    return time.process_time() - started


@pytest.mark.parametrize("probe", [p for p in PROBES if p.known], ids=lambda p: p.name)
def test_known_worst_cases_are_linear(probe):
    for text in probe.known:
        seconds = cpu(probe.call, text)
        assert seconds < CPU_SECONDS, (
            f"{probe.name}: {seconds:.2f} s on {text[:40]!r}... ({len(text)} chars)"
        )


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name)
def test_hostile_runs_are_linear(probe):
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(hostile(probe))
    def run(text: str) -> None:
        seconds = cpu(probe.call, text)
        assert seconds < CPU_SECONDS, (
            f"{probe.name}: {seconds:.2f} s on {text[:40]!r}... ({len(text)} chars)"
        )

    run()


def test_shipped_schema_patterns_are_linear():
    """The patterns of the shipped schemas (quickschema and jsonschema run them on documents)."""
    import re

    from policygate.validation import SHIPPED, shipped_schema

    patterns: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            patterns.update(k for k in node.get("patternProperties", {}) if isinstance(k, str))
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for kind in SHIPPED:
        collect(shipped_schema(kind))
    assert patterns, "the shipped schemas have patterns; this test must see them"
    for pattern in sorted(patterns):
        search = re.compile(pattern).search
        for unit in ("a", "a-", "a:", " ", "a/", "0", "ed25519:", "sha256:0", "x."):
            text = unit * (100_000 // len(unit)) + "\n/ :"
            seconds = cpu(search, text)
            assert seconds < CPU_SECONDS, f"{pattern!r}: {seconds:.2f} s on {unit!r}..."


def test_the_probes_reach_the_code_they_stand_for():
    """The probes are not vacuous: each reads what it should on a normal input."""
    from policygate.importers.huggingface import heading, intended_use
    from policygate.importers.interface import as_number, normalize_timestamp

    assert as_number(" 1e-3 ") == 0.001 and as_number("42") == 42 and as_number("1" * 5000) is None
    assert normalize_timestamp("2020/02/02") == "2020-02-02T00:00:00Z"
    assert heading("## Intended uses ##") == "Intended uses"
    assert intended_use("# Intended use\nScoring loans.\n# Next\n") == "Scoring loans."
    assert json.loads(json.dumps(_load_scalar("1.5e3")[0].data)) == {"a": 1500.0}
