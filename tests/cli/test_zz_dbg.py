from click.testing import CliRunner
from policygate.cli import main
def test_dbg(mlflow_registry):
    r = CliRunner().invoke(main, ["check", "mlflow:models:/churn@champion", "-p", str(mlflow_registry.policy), "--now", "2026-11-26T00:00:00Z"])
    print("OUT", r.stdout, "ERR", r.stderr, r.exception)
    assert 0
