"""The configuration file (SPEC §11): found, checked, and the defaults of every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main
from policygate.config import Config, find_config, load_config, option_defaults
from policygate.errors import UsageError

ROOT = Path(__file__).parent.parent
PASSES = ROOT / "examples" / "models" / "credit-default-passes.yaml"
NOW = "2026-11-26T00:00:00Z"

SPEC_EXAMPLE = """\
policies: [policies/]
waivers: [waivers/]
approvers: approvers/
params: {min_auc: 0.85}
set: {spec.risk_tier: high, metadata.target_stage: production}   # dotted path: value
fail_on: error
registry:
  protected_aliases: [champion]
  protected_stages: [Production]
  access_policies: [access/]
  lifecycle_log: lifecycle.jsonl
  identity_header: null
"""


def _write(folder: Path, text: str, name: str = "policygate.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_spec_example_reads_with_paths_relative_to_the_file(tmp_path):
    _write(tmp_path, SPEC_EXAMPLE)
    (tmp_path / "deep" / "er").mkdir(parents=True)
    config = load_config(tmp_path / "deep" / "er")  # the nearest parent's file
    assert config.path == str(tmp_path / "policygate.yaml")
    assert config.policies == (str(tmp_path / "policies"),)
    assert config.approvers == (str(tmp_path / "approvers"),)  # one path is a list of one
    assert dict(config.params) == {"min_auc": 0.85}
    assert dict(config.set) == {"spec.risk_tier": "high", "metadata.target_stage": "production"}
    assert config.fail_on == "error"
    assert config.registry.protected_aliases == ("champion",)
    assert config.registry.protected_stages == ("Production",)
    assert config.registry.access_policies == (str(tmp_path / "access"),)
    assert config.registry.lifecycle_log == str(tmp_path / "lifecycle.jsonl")
    assert config.registry.identity_header is None
    assert str(config.sources["registry.protected_aliases"]) == f"{tmp_path}/policygate.yaml:8:3"


def test_no_file_is_an_empty_configuration(tmp_path):
    assert load_config(tmp_path) == Config()


def test_pyproject_table_is_read_when_there_is_no_policygate_yaml(tmp_path):
    _write(tmp_path, '[project]\nname = "x"\n\n[tool.policygate]\npolicies = ["p/"]\n'
           'fail_on = "warning"\n\n[tool.policygate.registry]\nprotected_aliases = ["gold"]\n',
           "pyproject.toml")  # fmt: skip
    config = load_config(tmp_path)
    assert config.policies == (str(tmp_path / "p"),)
    assert config.fail_on == "warning"
    assert config.registry.protected_aliases == ("gold",)
    assert str(config.sources["fail_on"]) == f"{tmp_path}/pyproject.toml:6:1"
    assert str(config.sources["registry.protected_aliases"]) == f"{tmp_path}/pyproject.toml:9:1"


def test_a_pyproject_without_the_table_is_passed_by(tmp_path):
    _write(tmp_path, "policies: [outer/]\n")
    _write(tmp_path / "project", '[project]\nname = "x"\n', "pyproject.toml")
    assert find_config(tmp_path / "project") == tmp_path / "policygate.yaml"


def test_policygate_yaml_wins_over_pyproject_in_one_folder(tmp_path):
    _write(tmp_path, "fail_on: never\n")
    _write(tmp_path, '[tool.policygate]\nfail_on = "info"\n', "pyproject.toml")
    assert load_config(tmp_path).fail_on == "never"


@pytest.mark.parametrize(("text", "message"), [
    ("polices: [p/]\n", "1:1: unknown configuration key polices; did you mean 'policies'?"),
    ("registry:\n  protected_alias: [a]\n",
     "2:3: unknown configuration key registry.protected_alias; did you mean 'protected_aliases'?"),
    ("fail_on: sometimes\n", "1:10: fail_on must be one of error, warning, info, never"),
    ("policies: 3\n", "1:11: policies must be a string or a list of strings, got a number"),
    ("params: [a]\n", "1:9: params must be a mapping, got a list"),
    ("reports: {pdf: out.pdf}\n", "1:10: reports: unknown format 'pdf'"),
    ("[1, 2]\n", "1:1: the configuration must be a mapping of settings"),
    ("x: 1\n---\ny: 2\n", "a configuration file holds one document"),
])
def test_a_bad_configuration_is_a_usage_error_at_its_place(tmp_path, text, message):
    _write(tmp_path, text)
    with pytest.raises(UsageError) as raised:
        load_config(tmp_path)
    assert message in str(raised.value)
    assert str(raised.value).startswith(str(tmp_path / "policygate.yaml"))


def test_an_unknown_key_is_exit_2_for_every_command(tmp_path, monkeypatch):
    _write(tmp_path, "waiverz: []\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", str(PASSES), "-p", str(ROOT / "policies")])
    assert result.exit_code == 2
    assert result.stderr == (f"policygate: error: {tmp_path}/policygate.yaml:1:1: unknown "
                             "configuration key waiverz; did you mean 'waivers'?\n")  # fmt: skip
    ignored = CliRunner().invoke(main, ["check", str(PASSES), "-p", str(ROOT / "policies"),
                                        "--now", NOW, "--no-config"])  # fmt: skip
    assert ignored.exit_code == 0, ignored.output


def _check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, *args: str):
    _write(tmp_path, config)
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, ["check", str(PASSES), "--now", NOW, "-f", "json", *args])


def test_check_takes_policies_and_params_from_the_file(tmp_path, monkeypatch):
    config = f"policies: [{ROOT / 'policies'}]\nparams: {{min_auc: 0.99}}\n"
    result = _check(tmp_path, monkeypatch, config)
    assert result.exit_code == 1, result.output  # 0.874 < 0.99
    report = json.loads(result.stdout)
    declaring = [p["params"] for p in report["policies"] if "min_auc" in p["params"]]
    assert declaring and all(p["min_auc"] == 0.99 for p in declaring)


def test_a_param_on_the_command_line_overrides_that_param_only(tmp_path, monkeypatch):
    config = (f"policies: [{ROOT / 'policies'}]\n"
              "params: {min_auc: 0.99, min_accuracy: 0.5}\n")  # fmt: skip
    result = _check(tmp_path, monkeypatch, config, "--param", "min_auc=0.5")
    report = json.loads(result.stdout)
    used = [p["params"] for p in report["policies"] if "min_accuracy" in p["params"]]
    assert used and all(p["min_auc"] == 0.5 and p["min_accuracy"] == 0.5 for p in used)


def test_policies_on_the_command_line_replace_the_files(tmp_path, monkeypatch):
    config = "policies: [does-not-exist/]\n"
    result = _check(tmp_path, monkeypatch, config, "-p", str(ROOT / "policies"))
    assert result.exit_code == 0, result.output


def test_no_config_may_come_before_or_after_the_command(tmp_path, monkeypatch):
    config = "policies: [does-not-exist/]\n"
    before = _write(tmp_path, config)
    monkeypatch.chdir(tmp_path)
    for args in (["--no-config", "check", str(PASSES)], ["check", str(PASSES), "--no-config"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "Missing option '-p'" in result.output
    assert before.exists()


def test_config_show_says_where_each_setting_came_from(tmp_path, monkeypatch):
    _write(tmp_path, SPEC_EXAMPLE)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"# {tmp_path}/policygate.yaml"
    assert f'fail_on                     "error"  ({tmp_path}/policygate.yaml:6:1)' in lines
    assert "waivers                     " in result.stdout
    assert 'registry.identity_header    null  (' in result.stdout
    assert "catalogs                    []  (default)" in lines
    shown = json.loads(CliRunner().invoke(main, ["config", "show", "-f", "json"]).stdout)
    rows = {row["key"]: row for row in shown["settings"]}
    assert rows["registry.protected_stages"]["value"] == ["Production"]
    assert rows["inputs"]["source"] == "default"


def test_config_show_with_no_config_shows_defaults(tmp_path, monkeypatch):
    _write(tmp_path, SPEC_EXAMPLE)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["config", "show", "--no-config", "-f", "json"])
    shown = json.loads(result.stdout)
    assert shown["file"] is None and shown["ignored"] is True
    assert all(row["source"] == "default" for row in shown["settings"])


def test_option_defaults_fill_only_the_options_a_command_has(tmp_path):
    _write(tmp_path, SPEC_EXAMPLE)
    config = load_config(tmp_path)
    assert option_defaults(config, ["policies", "fail_on"], "check") == {
        "policies": [str(tmp_path / "policies")], "fail_on": "error"}
    authorize = option_defaults(config, ["policies", "protected_aliases"], "authorize")
    assert authorize["policies"] == [str(tmp_path / "policies"), str(tmp_path / "access")]
    assert authorize["protected_aliases"] == ["champion"]
    assert option_defaults(config, ["assignments"], "check") == {
        "assignments": ['spec.risk_tier="high"', 'metadata.target_stage="production"']}


def test_a_set_path_the_records_may_not_take_is_refused_at_its_place(tmp_path):
    _write(tmp_path, "set:\n  spec.approvals: []\n")
    with pytest.raises(UsageError) as raised:
        load_config(tmp_path)
    assert str(raised.value).startswith(f"{tmp_path}/policygate.yaml:2:3: set: 'spec.approvals':"
                                        " spec.approvals cannot be set")  # fmt: skip


def test_the_search_ends_at_the_repository_root(tmp_path):
    _write(tmp_path, "policies: [planted/]\n")  # above the checkout: not the project's
    (tmp_path / "checkout" / ".git").mkdir(parents=True)
    (tmp_path / "checkout" / "sub").mkdir()
    assert find_config(tmp_path / "checkout" / "sub") is None
    _write(tmp_path / "checkout", "policies: [mine/]\n")
    assert find_config(tmp_path / "checkout" / "sub") == tmp_path / "checkout" / "policygate.yaml"


def test_reports_and_waivers_reach_check(tmp_path, monkeypatch):
    waivers = ROOT / "examples" / "waivers"
    config = (f"policies: [{ROOT / 'policies'}]\nwaivers: {waivers}\n"
              "reports: {json: out/report.json}\n")  # fmt: skip
    (tmp_path / "out").mkdir()
    result = _check(tmp_path, monkeypatch, config, "-f", "text")
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert written["passed"] is True and written["models"][0]["name"] == "credit-default"


def test_a_huge_pyproject_is_refused_before_it_is_parsed(tmp_path):
    import time

    from policygate.documents import DEFAULT_LIMITS

    path = tmp_path / "pyproject.toml"
    with path.open("w", encoding="utf-8") as out:
        out.write('[tool.policygate]\nfail_on = "error"\n')
        out.write("# " + "x" * DEFAULT_LIMITS.max_bytes + "\n")
    started = time.process_time()
    with pytest.raises(UsageError, match="bytes"):
        load_config(tmp_path)
    assert time.process_time() - started < 2.0  # CPU seconds: refused on its size


def test_fail_on_is_not_lints_level_of_findings(tmp_path, monkeypatch):
    _write(tmp_path, "fail_on: never\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", str(ROOT / "policies")])
    assert result.exit_code == 0, result.output


def test_a_configuration_that_cannot_be_read_is_a_clean_error(tmp_path, monkeypatch):
    import policygate.documents as documents

    _write(tmp_path, '[tool.policygate]\nfail_on = "error"\n', "pyproject.toml")
    monkeypatch.chdir(tmp_path)

    def failing(name: str, limits: object) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(documents, "_read_file", failing)
    result = CliRunner().invoke(main, ["check", str(PASSES), "-p", str(ROOT / "policies")])
    assert result.exit_code == 2
    assert result.stderr == (f"policygate: error: cannot read {tmp_path}/pyproject.toml: "
                             "Input/output error\n")  # fmt: skip


FAILS = ROOT / "examples" / "models" / "credit-limit-fails-fairness-and-expired-approval.yaml"


def test_a_job_that_ignores_the_repository_s_file_is_not_weakened_by_it(tmp_path, monkeypatch):
    """A policygate.yaml is the repository's: in a model team's own repository, the
    party being judged writes it, and it sets the defaults of every option the job
    does not give (fail_on: never made a failing model exit 0). A centrally run
    job sets POLICYGATE_NO_CONFIG=1 (or passes --no-config) and reads none."""
    _write(tmp_path / "repo", "fail_on: never\n")
    (tmp_path / "repo" / ".git").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    args = ["check", str(FAILS), "-p", str(ROOT / "policies"), "--now", NOW]
    weakened = CliRunner().invoke(main, args)
    assert weakened.exit_code == 0, weakened.output  # what the file does, read
    for env in ({"POLICYGATE_NO_CONFIG": "1"}, {"POLICYGATE_NO_CONFIG": "true"}):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 1, result.output
    assert CliRunner().invoke(main, ["--no-config", *args]).exit_code == 1
    shown = CliRunner().invoke(main, ["config", "show"], env={"POLICYGATE_NO_CONFIG": "1"})
    assert shown.stdout.startswith("# --no-config (or POLICYGATE_NO_CONFIG): no configuration")
