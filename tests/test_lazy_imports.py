"""``import policygate`` and the commands load only what they use (the public names
are imported on first use), and nothing about the public API changes for that."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import policygate

ROOT = Path(__file__).resolve().parent.parent


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return set(done.stdout.split())


def test_every_public_name_resolves():
    for name in policygate.__all__:
        assert getattr(policygate, name) is not None, name
    assert set(policygate.__all__) <= set(dir(policygate))
    from policygate import GateFailed, evaluate, load_policies  # noqa: F401


def test_evaluate_stays_the_function_when_its_module_is_imported():
    import policygate.evaluate as module_or_function  # noqa: F401
    from policygate.run import evaluate

    assert policygate.evaluate is evaluate
    assert callable(policygate.evaluate) and not isinstance(policygate.evaluate, type(sys))


def test_import_policygate_loads_no_submodule():
    loaded = _modules_after("import policygate")
    assert {m for m in loaded if m.startswith("policygate.")} == set()


def test_check_does_not_load_what_it_does_not_use(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n    - {id: auc, check: 'model.spec.metrics.auc >= 0.5'}\n",
        encoding="utf-8",
    )
    run = (
        "from policygate.cli import main\n"
        "try:\n"
        "    main(['check', 'examples/models/credit-default-passes.yaml', '-p', {policy!r},"
        " '--now', '2026-11-26T00:00:00Z', '-q', '--fail-on', 'never'])\n"
        "except SystemExit:\n"
        "    pass"
    )
    loaded = _modules_after(run.format(policy=str(policy)))
    for unused in ("jsonschema", "celpy", "lark", "rich", "networkx", "tempfile",
                   "policygate.decisionlog", "policygate.graph", "policygate.files"):  # fmt: skip
        assert unused not in loaded, unused
    # Policies that name controls are verified against the catalogs; still no jsonschema.
    loaded = _modules_after(run.format(policy="policies/"))
    assert "policygate.graph.catalogs" in loaded and "jsonschema" not in loaded


def _check_modules(policy: str, *extra: str) -> set[str]:
    """The modules a `policygate check` of the example record against ``policy`` loads."""
    argv = ["check", "examples/models/credit-default-passes.yaml", "-p", policy,
            "--now", "2026-11-26T00:00:00Z", "-q", "--fail-on", "never", *extra]  # fmt: skip
    run = f"from policygate.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    return _modules_after(run)


def test_check_of_unsigned_approvals_loads_no_signing(tmp_path):
    """The record has approvals but no approvers directory is given: they are marked
    unverified without the directory, signing, digest or attestation modules."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n    - {id: ok, check: 'model.spec.approvals.all(a, !a.verified)'}\n",
        encoding="utf-8",
    )
    loaded = _check_modules(str(policy))
    assert "policygate.approvals.verify" in loaded
    for unused in ("policygate.approvals.directory", "policygate.approvals.signing",
                   "policygate.approvals.attestations", "policygate.approvals.digest",
                   "policygate.approvals.sign"):  # fmt: skip
        assert unused not in loaded, unused


def test_lazy_approvals_package_keeps_its_names():
    import policygate.approvals as approvals

    for name in approvals.__all__:
        assert getattr(approvals, name) is not None, name
    assert set(approvals.__all__) <= set(dir(approvals))
    from policygate.approvals.verify import with_verified_approvals

    assert approvals.with_verified_approvals is with_verified_approvals


def test_check_loads_no_time_zones_or_decimals_unless_a_rule_needs_them(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n    - {id: auc, check: 'model.spec.metrics.auc >= 0.5'}\n"
        "    - {id: t, check: 'now - timestamp(\"2026-01-01T00:00:00Z\") > duration(\"1h\")'}\n",
        encoding="utf-8",
    )
    loaded = _check_modules(str(policy))
    for unused in ("zoneinfo", "decimal"):
        assert unused not in loaded, unused
    # A double made a string, and a time zone named, load them on use.
    assert _modules_after(
        "from policygate import cel_evaluate\n"
        "assert cel_evaluate('string(1.5)') == '1.5'\n"
        "assert cel_evaluate('timestamp(\"2026-01-01T00:00:00Z\").getHours(\"Europe/Paris\")') == 1"
    ) >= {"decimal", "zoneinfo"}


def test_check_makes_few_dataclasses_at_import(tmp_path):
    """Each @dataclass costs ~1 ms of generated code at import; the classes the check
    path builds and never replaces, compares or lists fields of are plain classes."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n    - {id: auc, check: 'model.spec.metrics.auc >= 0.5'}\n",
        encoding="utf-8",
    )
    argv = ["check", "examples/models/credit-default-passes.yaml", "-p", str(policy),
            "--now", "2026-11-26T00:00:00Z", "-q", "--fail-on", "never"]  # fmt: skip
    script = (
        "import dataclasses, sys\n"
        "made = []\n"
        "process = dataclasses._process_class\n"
        "def counted(cls, *args, **kwargs):\n"
        "    made.append(f'{cls.__module__}.{cls.__qualname__}')\n"
        "    return process(cls, *args, **kwargs)\n"
        "dataclasses._process_class = counted\n"
        "from policygate.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(m for m in made if m.startswith('policygate.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    made = done.stdout.split()
    plain = [m for m in made if m.startswith(("policygate.cel.lang.", "policygate.fieldpaths.",
                                              "policygate.limits.Setting", "policygate.message.",
                                              "policygate.documents._"))]  # fmt: skip
    assert plain == [], plain
    assert len(made) <= 30, made  # 57 before


def test_check_without_waivers_loads_no_waiver_module(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n    - {id: auc, check: 'model.spec.metrics.auc >= 0.5'}\n",
        encoding="utf-8",
    )
    assert "policygate.waivers" not in _check_modules(str(policy))
    waiver = tmp_path / "w.yaml"
    waiver.write_text(
        "apiVersion: policygate/v1\nkind: Waiver\nmetadata: {name: w}\n"
        "spec: {rule: p/auc, model: credit-default, reason: r, approved_by: a@example.com,"
        " expires: '2027-01-01T00:00:00Z'}\n",
        encoding="utf-8",
    )
    assert "policygate.waivers" in _check_modules(str(policy), "--waivers", str(waiver))
