"""Risks and regulatory controls: control catalogs, the risk register, the
networkx graph model → risk → control → rule (control → mapped control,
model → dataset) and the queries on it (gaps, impact, coverage, export).

Importing this package does not import networkx; building a graph does::

    register = load_risk_registers(["risk-register.yaml"])
    risk_graph = build_risk_graph(register, policies)
    report = policygate.evaluate(models, policies, risk_graph=risk_graph)
"""

from .build import RiskGraph, build_risk_graph
from .register import RiskRegister, load_risk_registers

__all__ = ["RiskGraph", "RiskRegister", "build_risk_graph", "load_risk_registers"]
