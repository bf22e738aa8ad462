"""Bounded loading (SECURITY.md, T-LOAD-*): whatever a file holds, loading it
finishes quickly with a clear ``path:line:col`` error and exit 2, within limits
that are documented and configurable. The loader's unit tests are in
tests/test_documents.py; these are the hostile files end to end."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from policygate.cli import main
from policygate.documents import DEFAULT_LIMITS, Limits, load_text
from policygate.errors import LoadError

ROOT = Path(__file__).parents[2]
POLICY = ROOT / "policies"
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
NOW = "2026-11-26T00:00:00Z"


def check(*args: str, env: dict[str, str] | None = None) -> tuple[Result, float]:
    """Run the gate in-process; also the CPU seconds it took (CI machines are shared)."""
    started = time.process_time()
    result = CliRunner().invoke(main, ["check", *args, "--now", NOW], env=env)
    return result, time.process_time() - started


def refused(path: Path, message: str, *, as_policy: bool = False, **kw: object) -> str:
    """Run the gate on ``path``; it must exit 2 within two seconds naming the file."""
    args = [str(MODEL), "-p", str(path)] if as_policy else [str(path), "-p", str(POLICY)]
    result, seconds = check(*args, **kw)  # type: ignore[arg-type]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in result.output
    assert f"{path}" in result.output
    assert seconds < 2.0, f"took {seconds:.2f} s"
    return result.output


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijklmnop"
    for previous, name in zip(names[: levels - 1], names[1:levels], strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the done criteria


def test_billion_laughs(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    refused(path, "alias expansion exceeds 100000 nodes")


def test_a_big_string_aliased_5000_times(tmp_path):
    """1 MB aliased 5,000 times: 5,001 nodes, 5 G characters once expanded (it took
    ~9.8 GB downstream). Refused by the characters it expands to, before building."""
    path = tmp_path / "aliases.yaml"
    text = "big: &b " + "x" * 1_000_000 + "\nlist: [" + ", ".join(["*b"] * 5000) + "]\n"
    path.write_text(text, encoding="utf-8")
    output = refused(path, "alias expansion exceeds 10485760 characters")
    assert f"{path}:2:7:" in output


def test_a_base_60_scalar_is_a_string_not_a_cpu_bomb(tmp_path):
    """YAML 1.1 read ``1:2:3:...`` as a base-60 integer, in time quadratic in its length."""
    path = tmp_path / "base60.yaml"
    path.write_text("name: m\nversion: '1'\nt: " + ":".join(["59"] * 300_000) + "\n")
    started = time.process_time()
    (document,) = load_text(path.read_bytes(), str(path))
    assert time.process_time() - started < 2.0
    assert document.data["t"] == ":".join(["59"] * 300_000)


def test_a_yaml_1_1_boolean_cannot_pass_a_numeric_rule(tmp_path):
    """``auc: yes`` was True, and True >= 0.8 is a comparison some paths allow."""
    policy = tmp_path / "auc.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: auc}\nspec:\n  rules:\n"
        "    - id: auc\n      check: 'model.auc == true || model.auc >= 0.8'\n",
        encoding="utf-8",
    )
    model = tmp_path / "model.yaml"
    model.write_text("name: m\nversion: '1'\nauc: yes\n", encoding="utf-8")
    result, _ = check(str(model), "-p", str(policy))
    assert result.exit_code == 1, result.output


def test_a_200_mb_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: no 200 MB written to the test disk
        handle.truncate(200 * 1024 * 1024)
    refused(path, "file is larger than 10485760 bytes (209715200 bytes)")


@pytest.mark.parametrize(
    "name, text",
    [
        ("flow.json", "[" * 10_000 + "]" * 10_000),
        ("objects.json", '{"a": ' * 10_000 + "1" + "}" * 10_000),
        ("block.yaml", "- " * 10_000 + "1\n"),
        ("mixed.yaml", "a:\n  - " + "{b: [" * 5_000 + "]}" * 5_000 + "\n"),
    ],
)
def test_a_10000_deep_document(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    refused(path, "nesting deeper than 64 levels")


def test_a_cost_bomb_rule_is_an_error_result(tmp_path):
    model = tmp_path / "model.json"
    model.write_text('{"name": "m", "version": "1"}', encoding="utf-8")
    policy = tmp_path / "bomb.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: bomb}\nspec:\n  rules:\n"
        "    - id: bomb\n      check: >-\n        "
        "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10]"
        ".map(c, [1,2,3,4,5,6,7,8,9,10].map(d, a + b + c + d)))).size() > 0\n",
        encoding="utf-8",
    )
    result, seconds = check(str(model), "-p", str(policy))
    assert result.exit_code == 1
    assert "evaluation budget exceeded: more than 30000 cost units" in result.output
    assert seconds < 2.0


# --------------------------------------------------------------------------- the cousins


def test_a_wide_file_under_the_size_limit_stops_at_the_node_limit(tmp_path):
    path = tmp_path / "wide.json"
    path.write_text("[" + ",".join(["0"] * 400_000) + "]", encoding="utf-8")
    refused(path, "file has more than 100000 nodes")


def test_many_documents_each_under_the_node_limit_still_count_for_the_file(tmp_path):
    path = tmp_path / "many.yaml"
    document = "[" + ",".join(["0"] * 999) + "]\n"
    path.write_text(("---\n" + document) * 500, encoding="utf-8")
    refused(path, "file has more than 100000 nodes")


def test_many_empty_documents(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("---\n" * 100_000, encoding="utf-8")
    refused(path, "more than 1000 documents in one file")


def test_merge_key_chains_are_counted_like_aliases(tmp_path):
    lines = ["m0: &m0 {" + ", ".join(f"k{i}: {i}" for i in range(200)) + "}"]
    for level in range(1, 60):
        sources = ", ".join(f"*m{j}" for j in range(level))
        lines.append(f"m{level}: &m{level} {{<<: [{sources}], own{level}: 1}}")
    path = tmp_path / "merges.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(path, "alias expansion exceeds 100000 nodes")


def test_a_merge_chain_that_nests_through_each_other(tmp_path):
    lines = ["m0: &m0 {k: 1}"] + [f"m{i}: &m{i} {{<<: *m{i - 1}, n{i}: {{x: *m{i - 1}}}}}"
                                  for i in range(1, 200)]  # fmt: skip
    path = tmp_path / "chain.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(path, "alias expansion exceeds 100000 nodes")


@pytest.mark.parametrize(
    "name, text",
    [
        ("key.json", '{"' + "k" * 2_000_000 + '": 1}'),
        ("value.yaml", "a: " + "v" * 2_000_000 + "\n"),
        ("block-key.yaml", "k" * 2_000_000 + ": 1\n"),
    ],
)
def test_long_keys_and_strings(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result, seconds = check(str(path), "-p", str(POLICY))
    assert result.exit_code == 2 and seconds < 2.0
    assert result.output.startswith(f"policygate: error: {path}:1:"), result.output


def test_a_long_cel_expression_is_refused_with_its_location(tmp_path):
    policy = tmp_path / "long.yaml"
    check_text = " && ".join(["model.a == 1"] * 2000)
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: long}\nspec:\n  rules:\n"
        f"    - id: long\n      check: '{check_text}'\n",
        encoding="utf-8",
    )
    output = refused(policy, "expression is longer than 20000 characters", as_policy=True)
    assert f"{policy}:7:15" in output


# --------------------------------------------------------------------------- encodings and keys


def test_non_utf8_is_refused_with_its_position(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("metadata:\n  owner: Andr\xe9\n".encode("latin-1"))
    output = refused(path, "not valid UTF-8 at byte 23")
    assert f"{path}:2:14" in output


def test_utf16_is_refused(tmp_path):
    path = tmp_path / "utf16.json"
    path.write_bytes('{"name": "m"}'.encode("utf-16"))
    refused(path, "not valid UTF-8")


def test_a_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MODEL.read_bytes())
    result, _ = check(str(path), "-p", str(POLICY))
    assert result.exit_code == 0, result.output


def test_a_duplicate_key_cannot_hide_a_value(tmp_path):
    """`risk_tier: high` then `risk_tier: minimal`: a reader would see one, the gate
    the other. Refused, naming both lines."""
    text = re.sub(r"(\n  risk_tier: high[^\n]*\n)", r"\1  risk_tier: minimal\n",
                  MODEL.read_text(encoding="utf-8"))  # fmt: skip
    assert text.count("risk_tier") == 2
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    first = next(i for i, line in enumerate(text.splitlines(), 1) if "risk_tier: high" in line)
    refused(path, f"duplicate key 'risk_tier' (first at line {first})")


def test_a_duplicate_key_in_json_is_refused(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"name": "m", "version": "1", "name": "other"}', encoding="utf-8")
    refused(path, "duplicate key 'name' (first at line 1)")


# --------------------------------------------------------------------------- configuration


def test_loading_limits_come_from_the_environment_and_options(tmp_path):
    result, _ = check(str(MODEL), "-p", str(POLICY), env={"POLICYGATE_MAX_FILE_BYTES": "200"})
    assert result.exit_code == 2
    assert "file is larger than 200 bytes" in result.output
    result, _ = check(str(MODEL), "-p", str(POLICY), "--limit", "max-depth=3")
    assert result.exit_code == 2
    assert "nesting deeper than 3 levels" in result.output
    result, _ = check(str(MODEL), "-p", str(POLICY), "--limit", "max-file-bytes=10000000")
    assert result.exit_code == 0, result.output


def test_the_expanded_characters_limit_comes_from_the_environment_and_options(tmp_path):
    path = tmp_path / "aliases.yaml"
    # 300,000 characters expanded; every shipped policy file holds fewer than 30,000.
    path.write_text("a: &a " + "x" * 100_000 + "\nb: [*a, *a]\nname: m\n", encoding="utf-8")
    env = {"POLICYGATE_MAX_EXPANDED_CHARS": "200000"}
    result, _ = check(str(path), "-p", str(POLICY), env=env)
    assert result.exit_code == 2
    assert f"{path}:1:1: alias expansion exceeds 200000 characters" in result.output
    result, _ = check(str(path), "-p", str(POLICY), "--limit", "max-expanded-chars=250000", env=env)
    assert result.exit_code == 2
    assert "alias expansion exceeds 250000 characters" in result.output
    result, _ = check(str(MODEL), "-p", str(POLICY), "--limit", "max-expanded-chars=5000000")
    assert result.exit_code == 0, result.output


def test_default_limits_are_what_security_md_says():
    from policygate.cel.budget import DEFAULT_BUDGET
    from policygate.limits import SETTINGS

    assert Limits(
        max_bytes=10 * 1024 * 1024, max_documents=1000, max_depth=64,
        max_nodes=100_000, max_string=1024 * 1024, max_expanded_chars=10 * 1024 * 1024,
    ) == DEFAULT_LIMITS  # fmt: skip
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    for setting in SETTINGS:  # each limit's row: | `name` | `POLICYGATE_...` | default |
        default = getattr(DEFAULT_LIMITS if setting.target == "load" else DEFAULT_BUDGET,
                          setting.field)  # fmt: skip
        shown = default if isinstance(default, int) else f"{default:g}"
        row = f"| `{setting.name}` | `{setting.env}` | {shown} |"
        assert row in text, f"SECURITY.md has no row {row}"


def test_every_loader_fallback_refuses_a_wide_text_the_same_way():
    text = "[" + ",".join(["0"] * 50) + "]"
    with pytest.raises(LoadError, match="file has more than 20 nodes"):
        load_text(text, "in.json", Limits(max_nodes=20))
    # The pure-Python reader (what libyaml refuses goes there) counts while composing.
    with pytest.raises(LoadError, match="file has more than 20 nodes"):
        load_text(text.replace("0", '"\\ud83d\\ude00"'), "in.json", Limits(max_nodes=20))
