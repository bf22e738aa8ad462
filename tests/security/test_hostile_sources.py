"""Hostile metadata through every importer (issue 17, item 4; SECURITY.md T-IMPORT-*).

Whatever a model card, BOM, registry response or artifact holds, ``check
FORMAT:PATH`` ends in exit 2 with one error naming the file (and a line for
what a loader parses), never a traceback and never a pass, within two CPU
seconds (CPU time, as tests/security/test_bounded_loading.py measures it:
CI machines are shared).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main

ROOT = Path(__file__).parents[2]
POLICY = ROOT / "policies"
NOW = "2026-11-26T00:00:00Z"
FORMATS = ("hf", "cyclonedx", "sagemaker", "azureml", "wandb")


def laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijklmnop"
    for previous, name in zip(names[: levels - 1], names[1:levels], strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def as_card(fmt: str, yaml_text: str) -> str:
    """The text a source of ``fmt`` holds: a card's front matter, else the document itself."""
    return f"---\n{yaml_text}---\n# body\n" if fmt == "hf" else yaml_text


def name_of(fmt: str) -> str:
    return "README.md" if fmt == "hf" else "source.json"


def refused(fmt: str, path: Path, message: str) -> str:
    started = time.process_time()
    source = path if path.name != "evaluation.json" else path.parent / "package.json"
    result = CliRunner().invoke(main, ["check", f"{fmt}:{source}", "-p", str(POLICY), "--now", NOW])
    seconds = time.process_time() - started
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in result.output, result.output
    assert str(path) in result.output
    assert seconds < 2.0, f"took {seconds:.2f} CPU s"
    return result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_billion_laughs(tmp_path, fmt):
    path = tmp_path / name_of(fmt)
    path.write_text(as_card(fmt, laughs()))
    refused(fmt, path, "alias expansion exceeds 100000 nodes")


@pytest.mark.parametrize("fmt", FORMATS)
def test_deep_nesting(tmp_path, fmt):
    path = tmp_path / name_of(fmt)
    path.write_text(as_card(fmt, "a: " + "[" * 10_000 + "]" * 10_000 + "\n"))
    refused(fmt, path, "nest")


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicated_keys(tmp_path, fmt):
    path = tmp_path / name_of(fmt)
    path.write_text(as_card(fmt, "name: a\nname: b\n"))
    output = refused(fmt, path, "duplicate")
    assert f"{path}:{3 if fmt == 'hf' else 2}:" in output  # the line of the second key


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, fmt):
    path = tmp_path / name_of(fmt)
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB that take no disk
    refused(fmt, path, "larger than")


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_utf8(tmp_path, fmt):
    path = tmp_path / name_of(fmt)
    path.write_bytes(as_card(fmt, "name: ok\n").encode() + b"x: \xff\xfe\n")
    refused(fmt, path, "UTF-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_tag_that_would_build_an_object(tmp_path, fmt):
    path = tmp_path / name_of(fmt)
    path.write_text(as_card(fmt, "x: !!python/object/apply:os.system [echo pwned]\n"))
    refused(fmt, path, "not allowed")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_named_pipe_is_refused_without_blocking(tmp_path, fmt):
    import os

    path = tmp_path / name_of(fmt)
    os.mkfifo(path)
    refused(fmt, path, "not a regular file")


def test_a_huge_card_body_is_read_in_bounded_time(tmp_path):
    path = tmp_path / "README.md"
    body = ("## Intended uses\n" + "word " * 200 + "\n" + "-" * 3 + "x\n") * 8_000  # ~8 MB
    path.write_text("---\nlicense: mit\n---\n" + body)
    started = time.process_time()
    result = CliRunner().invoke(main, ["import", f"hf:{path}"])
    assert time.process_time() - started < 5.0
    assert result.exit_code == 0, result.output[-500:]


@pytest.mark.parametrize(
    "text",
    [
        "---\n" + "x---" * 1_000_000,  # a million '---' that close nothing
        "\n" * 1_000_000 + "---\na: 1\n",  # a million blank lines before the front matter
        "---\n" + "\n---x" * 500_000,  # closing candidates on every line, none a fence
    ],
)
def test_front_matter_search_is_linear(tmp_path, text):
    path = tmp_path / "README.md"
    path.write_text(text)
    started = time.process_time()
    CliRunner().invoke(main, ["import", f"hf:{path}"])
    assert time.process_time() - started < 2.0


def test_a_sagemaker_statistics_bomb_is_refused_naming_the_statistics_file(tmp_path):
    package = json.loads(
        (ROOT / "tests" / "data" / "sagemaker" / "credit-risk" / "package.json").read_text()
    )
    del package["ModelMetrics"]["ModelQuality"]["Statistics"]["ContentDigest"]
    (tmp_path / "package.json").write_text(json.dumps(package))
    (tmp_path / "evaluation.json").write_text(laughs())
    output = refused("sagemaker", tmp_path / "evaluation.json", "alias expansion exceeds")
    assert f"{tmp_path / 'evaluation.json'}:6:4:" in output


def test_a_sagemaker_statistics_file_over_the_limit(tmp_path):
    package = json.loads(
        (ROOT / "tests" / "data" / "sagemaker" / "credit-risk" / "package.json").read_text()
    )
    (tmp_path / "package.json").write_text(json.dumps(package))
    with (tmp_path / "evaluation.json").open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    refused("sagemaker", tmp_path / "evaluation.json", "larger than")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_source_is_an_error_never_a_model(tmp_path, fmt):
    path = tmp_path / name_of(fmt)
    path.write_text("")
    refused(fmt, path, str(path))
