"""``policygate import`` and ``check`` with import sources: exit codes and output."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from policygate.cli import main

ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data"
CARD = DATA / "realdata" / "hf-modelcard" / "facebook-bart-large-cnn.md"
NOW = "2026-11-26T00:00:00Z"


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


def test_import_writes_the_record_as_yaml():
    result = run(
        "import",
        "hf",
        str(CARD),
        "--set",
        "spec.risk_tier=limited",
        "--set",
        "metadata.owner=summarization-team",
    )
    assert result.exit_code == 0
    record = yaml.safe_load(result.stdout)
    assert record["kind"] == "ModelRecord"
    assert record["metadata"]["owner"] == "summarization-team"
    assert record["spec"]["risk_tier"] == "limited"
    assert list(record["spec"])[-1] == "extra"


def test_import_to_a_file_then_check_it(tmp_path):
    out = tmp_path / "bom.yaml"
    result = run(
        "import",
        "cyclonedx",
        str(DATA / "realdata" / "cyclonedx" / "spec-valid-machine-learning-1.6.json"),
        "-o",
        str(out),
        "--set",
        "spec.risk_tier=minimal",
    )
    assert result.exit_code == 0 and result.stdout == ""
    checked = run("check", str(out), "-p", str(ROOT / "policies"), "--now", NOW)
    assert checked.exit_code == 1
    assert "FAILED  stable-diffusion@1.4" in checked.stdout


def test_several_models_give_several_documents():
    result = run("import", "mlflow", str(DATA / "mlflow" / "registered-model-export.json"))
    assert result.exit_code == 0
    assert [d["metadata"]["version"] for d in yaml.safe_load_all(result.stdout)] == ["6", "7"]


def test_import_errors_exit_2_with_one_message(tmp_path):
    broken = tmp_path / "README.md"
    broken.write_text("---\nlicense: [mit\n---\n")
    result = run("import", "hf", str(broken))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"policygate: error: {broken}:")
    assert len(result.stderr.splitlines()) == 1
    assert run("import", "onnx", "x").exit_code == 2
    assert run("import", "hf", str(CARD), "--set", "risk_tier=high").exit_code == 2
    bad = run("import", "hf", str(CARD), "--set", "spec.risk_tier=extreme")
    assert bad.exit_code == 2 and "risk_tier" in bad.stderr


def test_check_accepts_sources_directly():
    result = run(
        "check",
        f"hf:{CARD}",
        f"mct:{DATA / 'realdata' / 'model-card-toolkit' / 'cats-vs-dogs-v0.0.2.json'}",
        f"cyclonedx:{DATA / 'realdata' / 'cyclonedx' / 'spec-valid-machine-learning-1.6.json'}",
        f"mlflow:{DATA / 'mlflow' / 'model-version-export.json'}",
        "-p",
        str(ROOT / "policies"),
        "--now",
        NOW,
    )
    assert result.exit_code == 1
    assert "4 models, 0 passed, 4 failed" in result.stdout
    assert f"hf:{CARD}" in result.stdout


def test_check_of_a_broken_source_exits_2():
    result = run("check", "cyclonedx:/no/such/bom.json", "-p", str(ROOT / "policies"))
    assert result.exit_code == 2
    assert "/no/such/bom.json" in result.stderr


def test_import_takes_the_source_as_check_does():
    """`import hf PATH` and `import hf:PATH` (check's source syntax) give the same record."""
    spaced = run("import", "hf", str(CARD))
    joined = run("import", f"hf:{CARD}")
    assert spaced.exit_code == joined.exit_code == 0
    assert joined.output == spaced.output
    for args, message in [(["nosuch:x"], "'nosuch:x' is not a source: give FORMAT SOURCE"),
                          (["plain.md"], "is not a source"),
                          (["nosuch", "x"], "unknown source format 'nosuch'")]:  # fmt: skip
        result = run("import", *args)
        assert result.exit_code == 2 and message in result.output
