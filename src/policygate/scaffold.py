"""``policygate init``: a starter policy directory that lints clean and whose tests
pass with full coverage, so a new team starts from green."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError
from .files import write_atomic

POLICY = """\
# A starter promotion policy. Check a model against it:
#   policygate check models/ -p policies/
# Lint it and run its tests:
#   policygate lint policies/ && policygate test policies/ --coverage
apiVersion: policygate/v1
kind: Policy
metadata:
  name: promotion
  title: Promotion to production
  version: "0.1.0"
spec:
  applies_to: 'model.spec.risk_tier in ["limited", "high"]'
  params:
    min_auc: 0.8
  rules:
    - id: performance.auc
      title: AUC at or above the promotion threshold
      category: performance
      check: 'model.spec.metrics.auc >= params.min_auc'
      message: 'AUC {model.spec.metrics.auc} is below {params.min_auc}'
      controls: [eu-ai-act:art-15, iso-42001:A.6.2.4]
      remediation: Retrain, or ask for a waiver with a risk acceptance.

    - id: documentation.model-card
      title: A model card is published
      category: documentation
      check: 'has(model.spec.documentation) && has(model.spec.documentation.model_card)'
      message: '{model.metadata.name} has no model card (spec.documentation.model_card)'
      controls: [eu-ai-act:art-13, iso-42001:A.8.2]
      remediation: Write a model card and link it from spec.documentation.model_card.

    # One result per evaluation set; a record without evaluations is skipped here.
    - id: performance.evaluations
      title: Every evaluation set meets the AUC threshold
      category: performance
      for_each: 'has(model.spec.evaluations) ? model.spec.evaluations : []'
      check: 'item.metrics.auc >= params.min_auc'
      message: 'AUC {item.metrics.auc} on {item.dataset} is below {params.min_auc}'
      controls: [eu-ai-act:art-15, nist-ai-rmf:MEASURE-2]
      remediation: Investigate the weak evaluation set and retrain.
"""

TEST = """\
# Unit tests of policies/promotion.yaml: policygate test policies/ --coverage
apiVersion: policygate/v1
kind: PolicyTest
metadata:
  name: promotion
spec:
  policies: [../promotion.yaml]
  now: "2026-01-01T00:00:00Z"
  model: ../../models/example-model.yaml      # each test starts from it...
  tests:
    - name: the example model passes
      expect:
        passed: true
        rules:
          performance.auc: pass
          documentation.model-card: pass
          performance.evaluations: pass

    - name: a low AUC fails
      patch: {spec: {metrics: {auc: 0.7}}}   # ...and changes what it needs (null removes a key)
      expect:
        passed: false
        rules:
          performance.auc: {status: fail, message: "AUC 0.7 is below 0.8"}

    - name: a missing model card fails
      patch: {spec: {documentation: null}}
      expect: {passed: false, rules: {documentation.model-card: fail}}

    - name: a weak evaluation set fails, the others pass
      patch:
        spec:
          evaluations:
            - {dataset: holdout, metrics: {auc: 0.85}}
            - {dataset: out-of-time, metrics: {auc: 0.75}}
      expect:
        passed: false
        rules: {"performance.evaluations[0]": pass, "performance.evaluations[1]": fail}

    - name: a record without evaluation sets skips the per-set rule
      patch: {spec: {evaluations: null}}
      expect: {passed: true, rules: {performance.evaluations: skip}}
"""

MODEL = """\
apiVersion: policygate/v1
kind: ModelRecord
metadata:
  name: example-model
  version: "1.0.0"
  owner: ml-team
  target_stage: production
spec:
  risk_tier: limited
  intended_use: Replace with what the model is for.
  documentation: {model_card: docs/model-card.md}
  metrics: {auc: 0.86}
  evaluations:
    - {dataset: holdout, metrics: {auc: 0.86}}
"""

FILES = {
    Path("policies", "promotion.yaml"): POLICY,
    Path("policies", "tests", "promotion.test.yaml"): TEST,
    Path("models", "example-model.yaml"): MODEL,
}


def scaffold(directory: str | os.PathLike[str], *, force: bool = False) -> list[Path]:
    """Write the starter files under ``directory``; refuse to overwrite unless ``force``."""
    root = Path(directory)
    targets = [root / relative for relative in FILES]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise UsageError(f"would overwrite {', '.join(existing)} (use --force)")
    for relative, text in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text)
    return targets
