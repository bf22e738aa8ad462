"""``cost-over-budget`` and ``int-arithmetic``: what the engine's static analysis
knows will error on every model — a worst case over the rule budget, an int
literal in arithmetic with a document's numbers (doubles). Every expression's
worst case is kept for ``lint --cost``."""

from __future__ import annotations

from ... import cel
from ...cel.budget import DEFAULT_BUDGET
from ..context import LintRun
from ..problem import Check, Cost, Level

CHECKS = (
    Check(
        "int-arithmetic",
        Level.WARNING,
        "An int literal meets a document number (a double) in arithmetic: an error.",
    ),
    Check(
        "cost-over-budget",
        Level.WARNING,
        "An expression's static worst case is over the rule budget: it always errors.",
    ),
)


def run(lint: LintRun) -> None:
    budget = DEFAULT_BUDGET.cost
    for expression in lint.expressions:
        try:
            worst = cel.analysis.worst_case(expression.text)
            ints = cel.analysis.int_arithmetic(expression.text)
        except cel.CELSyntaxError:
            continue
        location = lint.at(expression, 0)
        lint.costs.append(Cost(location, expression.text, worst))
        if worst is not None and worst > budget:
            lint.report(
                location,
                "cost-over-budget",
                f"the worst case is {worst:,} units, over the rule budget of {budget:,}:"
                " the expression always errors",
            )
        for offset, literal in ints:
            lint.report(
                lint.at(expression, offset),
                "int-arithmetic",
                f"the int literal {literal} meets a document number (a double) in"
                f" arithmetic, which is an error in CEL; write {literal}.0",
            )
