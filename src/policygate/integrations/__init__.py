"""Integrations with the systems where models live (MLflow); each imports its client lazily.

- :mod:`.mlflow`: gate a version and move an alias from outside (``policygate promote``);
- :mod:`.mlflow_gate`: the admission gate inside the MLflow server
  (``mlflow server --app-name policygate``, docs/registry-gate.md).
"""
