"""The evaluator's CEL backend: policygate's own engine (:mod:`.lang`) behind the
interface of :mod:`.interface`.

The engine evaluates plain Python values, so this adapter does little:

- **Documents' numbers are doubles** (SPEC §3: YAML ``7`` and ``7.0`` are one
  value). ``model``, ``params`` and ``inputs`` are converted once per activation
  with every ``int`` made a ``float``; the walk calls a function per container,
  not per scalar, and leaves bools alone (a bool is never a number). A map or
  list with nothing to convert is shared, not copied (no evaluation changes a
  value; the document given is never changed either). A policy's
  read-only ``params`` is converted once, not once per model. ``index`` stays an
  int, and ``item``/``key`` are the engine's values already (they come from
  :meth:`OwnBackend.elements`). ``now`` becomes the engine's timestamp.
- **Compiled once per text**, against the variables of SPEC §3. A name outside
  them still compiles, so that the loader refuses it
  with its own message and position (:func:`policygate.cel.free_variables` finds it
  in the checked tree).
- **The rule's meter is the budget**: an evaluation gets at most
  ``meter.remaining`` units, is charged what it spent, and asks the meter's
  deadline every :data:`.lang.activation.CHUNK` units; running out raises the
  meter's :class:`~.budget.BudgetExceeded`, never the engine's.
- **Errors** are the interface's: a syntax or check error is a
  :class:`~.interface.CELSyntaxError` at its line and column in the expression,
  an evaluation error a :class:`~.interface.CELEvaluationError` that names the
  sub-expression (``no such key: model.spec.metrics.auc``).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from . import lang
from .budget import BudgetExceeded, Meter, check_expression, meter_for
from .interface import (
    SKIPPED,
    UNDECIDED,
    Activation,
    Backend,
    CELEvaluationError,
    CELSyntaxError,
    Program,
)
from .lang import ast
from .lang.activation import Activation as EngineActivation
from .lang.errors import CELError, evaluation_code
from .lang.parser import tree_depth
from .lang.stack import stack_room
from .lang.values import TYPE_IDENTS, CelType, Duration, Optional, Timestamp, Uint

VARIABLES = ("model", "params", "now", "inputs", "risks", "item", "key", "index")
"""Every variable a policygate expression may read (SPEC §3); the loader narrows
them per place (``item`` only inside ``for_each``)."""

_LOOP_VARIABLES = frozenset({"item", "key", "index"})
_ENGINE_PLAIN = frozenset({dict, list, str, float, int, bool, type(None)})


# --------------------------------------------------------------------------- documents


def document(value: Any) -> Any:
    """A document as CEL reads it (SPEC §3): every number a double and every map
    key a string; bools, strings and nulls as they are, dates and durations as
    the engine's. ``value`` is never changed: a map or list that needs converting
    is copied, one that does not is shared."""
    kind = type(value)
    if kind is dict:
        return _map(value)
    if kind is list:
        return _list(value)
    return _other(value)


def _map(value: dict[Any, Any]) -> dict[str, Any]:
    """``value`` itself when nothing in it needs converting (string keys, no int, no
    other type), else a copy with what does converted: an evaluation never changes
    a document, so what is already as CEL reads it is shared, not copied."""
    out = None
    new: Any
    for key, item in value.items():
        if type(key) is not str:
            return _copied_map(value)
        kind = type(item)
        if kind is str or kind is float or kind is bool or item is None:
            continue
        if kind is int:
            new = _double(item)
        elif kind is dict:
            new = _map(item)
        elif kind is list:
            new = _list(item)
        else:
            new = _other(item)
        if new is not item:
            if out is None:
                out = dict(value)
            out[key] = new
    return value if out is None else out


def _copied_map(value: dict[Any, Any]) -> dict[str, Any]:
    """A map with a key that is no string: a copy, each key made one (``str``)."""
    out = {}
    for key, item in value.items():
        out[key if type(key) is str else str(key)] = document(item)
    return out


def _list(value: list[Any]) -> list[Any]:
    """``value`` itself when nothing in it needs converting, else a copy (as ``_map``)."""
    out = None
    new: Any
    for position, item in enumerate(value):
        kind = type(item)
        if kind is str or kind is float or kind is bool or item is None:
            continue
        if kind is int:
            new = _double(item)
        elif kind is dict:
            new = _map(item)
        elif kind is list:
            new = _list(item)
        else:
            new = _other(item)
        if new is not item:
            if out is None:
                out = list(value)
            out[position] = new
    return value if out is None else out


def _double(value: int) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond the double range: an infinity of its sign
        return math.inf if value > 0 else -math.inf


def _other(value: Any) -> Any:
    """Whatever a parsed document rarely holds (and the scalars, for :func:`document`)."""
    if value is None or value is True or value is False:
        return value
    if isinstance(value, (str, float, bytes, Timestamp, Duration)):
        return value
    if isinstance(value, int):  # an int subclass (an enum, say); Uint too: documents are doubles
        return _double(int(value))
    if isinstance(value, Mapping):
        return _map(dict(value))
    if isinstance(value, (list, tuple)):
        return _list(list(value))
    if isinstance(value, _dt.datetime):
        return _timestamp(value)
    if isinstance(value, _dt.timedelta):
        return Duration.from_timedelta(value)
    raise TypeError(f"cannot pass {type(value).__name__} to CEL")


def _timestamp(moment: _dt.datetime) -> Timestamp:
    if moment.tzinfo is None:  # policygate's datetimes are UTC; a naive one is read as UTC
        moment = moment.replace(tzinfo=_dt.UTC)
    return Timestamp.from_datetime(moment)


def _native(value: Any) -> Any:
    """``item``, ``key`` or ``index``: the engine's value already, or a plain scalar."""
    if isinstance(value, _dt.datetime):
        return _timestamp(value)
    if isinstance(value, _dt.timedelta):
        return Duration.from_timedelta(value)
    return value


_FROZEN: dict[int, tuple[MappingProxyType[Any, Any], dict[str, Any]]] = {}


def _params(value: Mapping[str, Any]) -> dict[str, Any]:
    """A policy's read-only ``params`` converted once, not once per model (the entry
    holds the mapping, so its id is not reused while it is kept)."""
    if type(value) is not MappingProxyType:
        return _map(dict(value))
    found = _FROZEN.get(id(value))
    if found is None or found[0] is not value:
        if len(_FROZEN) >= 64:
            _FROZEN.clear()
        found = _FROZEN[id(value)] = (value, _map(dict(value)))
    return found[1]


class _OwnActivation(Activation):
    __slots__ = ("variables", "engine", "start", "each", "pairs")

    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables
        # The engine's activation the quick path evaluates on, restarted per program
        # (one per model and policy, not one per rule), made on first use; ``start``
        # is its budget and reserve as made (EngineActivation.restart, inlined).
        self.engine: EngineActivation | None = None
        self.start = (0, 0)
        # quick_each's: on a copy of the variables that each element rebinds item,
        # index and key in (all three, before its check), shared by the for_each
        # rules of a policy.
        self.each: EngineActivation | None = None
        # quick_each's last collection: (program, limit, deadline, its type, its pairs).
        self.pairs: tuple[_OwnProgram, int, Any, type, list[tuple[Any, Any]]] | None = None

    def bind(self, **variables: Any) -> _OwnActivation:
        merged = dict(self.variables)
        for name, value in variables.items():
            if name in _LOOP_VARIABLES:
                # (an element as the engine gave it is its own already: _native's
                # conversions are of datetimes and timedeltas only)
                merged[name] = value if type(value) in _ENGINE_PLAIN else _native(value)
            elif name == "params":
                merged[name] = _params(value)
            else:
                merged[name] = document(value)
        return _OwnActivation(merged)


# --------------------------------------------------------------------------- programs


def _expired(meter: Meter) -> Any:
    """The engine's deadline hook: whether the rule's time is up (the meter says so
    by raising; it then stays exceeded, so the evaluation's stop is the meter's)."""

    def expired() -> bool:
        try:
            meter.charge(0)
        except BudgetExceeded:
            return True
        return False

    return expired


# What Program._run raises, or turns into a CELEvaluationError, for an evaluation that
# gives no value: the quick path calls the compiled root itself and takes any as no answer.
_NO_ANSWER = (CELError, RecursionError, TypeError, ValueError, ArithmeticError)


class _OwnProgram(Program):
    __slots__ = ("text", "_program", "_free", "_bare")

    def __init__(self, text: str, program: lang.Program, free: frozenset[str]) -> None:
        self.text = text
        self._program = program
        self._free = free
        self._bare = program.bare()

    def free_variables(self) -> set[str]:
        """The variables the checked tree reads (no other parser loaded)."""
        return set(self._free)

    def evaluate(self, activation: Activation, meter: Meter | None = None) -> Any:
        assert isinstance(activation, _OwnActivation)
        meter = meter_for(meter)
        meter.begin()
        limit = meter.remaining
        try:
            value, units = self._program.measure(activation.variables, limit, None, _expired(meter))
        except lang.DeadlineExceeded:
            meter.check()  # the meter timed out in the hook: its message
            raise CELEvaluationError(  # pragma: no cover
                "evaluation budget exceeded", "deadline-exceeded"
            ) from None
        except lang.BudgetExceeded:
            meter.charge(limit + 1)  # over the cost limit: the meter's message and option
            raise CELEvaluationError(  # pragma: no cover
                "evaluation budget exceeded", "budget-exceeded"
            ) from None
        except lang.CELEvaluationError as error:
            meter.check()
            raise CELEvaluationError(
                describe(error, self.text), evaluation_code(error.kind)
            ) from None
        meter.charge(units)
        return value

    def quick(self, activation: Activation, limit: int, deadline: Callable[[], bool] | None) -> Any:
        assert isinstance(activation, _OwnActivation)
        act = activation.engine
        if act is None or act.limit != limit or act.deadline is not deadline:
            act = activation.engine = EngineActivation(activation.variables, limit, None, deadline)
            activation.start = act.budget, act.reserve
        else:
            act.budget, act.reserve = activation.start
            if act.locals:  # (a loop puts its locals back even when it raises)
                act.locals = {}
        bare = self._bare
        if bare is None:  # a deep tree: Program._run makes room on the stack for it
            try:
                return self._program._run(act)
            except CELError:  # an error, the budget or the deadline: evaluate() says which
                return UNDECIDED
        closure, cost = bare
        # What Program._run does, but for an error: whatever it raises (or turns into a
        # CELEvaluationError) is no answer here, and evaluate() finds where it arose.
        try:
            act.budget -= cost
            if act.budget < 0:
                act.overdraw()
            return closure(act)
        except _NO_ANSWER:
            return UNDECIDED

    def quick_each(
        self,
        activation: Activation,
        check: Program,
        limit: int,
        deadline: Callable[[], bool] | None,
    ) -> list[tuple[int | str, Any, bool]] | object:
        assert isinstance(activation, _OwnActivation) and isinstance(check, _OwnProgram)
        # The collection's elements, kept on the activation for the next for_each rule
        # over the same program (a policy's rules often range over one list): the
        # activation's variables do not change, nor does a quick value of them.
        kept = activation.pairs
        if kept is not None and kept[0] is self and kept[1] == limit and kept[2] is deadline:
            kind, pairs = kept[3], kept[4]
        else:
            collection = self.quick(activation, limit, deadline)
            kind = type(collection)
            if kind is list:
                pairs = list(enumerate(collection))
            elif kind is dict:
                pairs = sorted(((str(k), v) for k, v in collection.items()), key=lambda kv: kv[0])
            else:
                pairs = []
            activation.pairs = (self, limit, deadline, kind, pairs)
        if not pairs:
            return UNDECIDED
        # One set of variables and one engine activation for all the elements (and
        # the activation's other for_each rules): each element rebinds item, index
        # and key and restarts the budget (EngineActivation.restart, inlined).
        act = activation.each
        if act is None or act.limit != limit or act.deadline is not deadline:
            act = activation.each = EngineActivation(
                dict(activation.variables), limit, None, deadline
            )
        else:
            act.restart()
        variables = act.variables
        budget, reserve = act.budget, act.reserve
        bare = check._bare
        run = check._program._run
        if bare is not None:
            closure, cost = bare
            budget -= cost  # (the root's charge, before it runs)
        outcomes: list[tuple[int | str, Any, bool]] = []
        for position, (key, element) in enumerate(pairs):
            if deadline is not None and position & 255 == 255 and deadline():
                return UNDECIDED  # a long list past the time: the evaluator's meter says so
            variables["item"] = element
            variables["index"] = key if kind is list else position
            variables["key"] = key
            act.budget, act.reserve = budget, reserve
            if act.locals:
                act.locals = {}
            try:
                if bare is None:
                    ok = run(act)
                else:
                    if budget < 0:
                        act.overdraw()
                    ok = closure(act)
            except _NO_ANSWER:
                return UNDECIDED
            if type(ok) is not bool:
                return UNDECIDED
            outcomes.append((key, element, ok))
        return outcomes

    def trace(
        self, activation: Activation, meter: Meter | None = None
    ) -> tuple[Any, str | None, dict[tuple[str, int], tuple[Any, str | None]]]:
        """Evaluate once with the engine's observer: the value (plain Python) or the
        error, and what every sub-expression evaluated to, by
        :func:`~.lang.ast.node_key` (the last value seen: a node inside a macro is
        seen once per element). A node absent from it was not evaluated (``&&``,
        ``||`` and ``?:`` decided without it)."""
        assert isinstance(activation, _OwnActivation)
        meter = meter_for(meter)
        meter.begin()
        seen: dict[tuple[str, int], tuple[Any, str | None]] = {}
        origins: dict[str, ast.Node] = {}  # where each error arose: the first node with it

        def said(error: lang.EvalError) -> str:
            origin = origins.get(error.message)
            located = lang.LocatedError(error.message, error.kind, origin, error.overload)
            return describe(located, self.text)

        def watch(node: ast.Node, value: Any) -> None:
            key = ast.node_key(node)
            if isinstance(value, lang.EvalError):
                origins.setdefault(value.message, node)
                seen[key] = (None, said(value))
            else:
                seen[key] = (value, None)

        limit = meter.remaining
        try:
            value, units = self._program.measure(
                activation.variables, limit, watch, _expired(meter)
            )
        except lang.BudgetExceeded:
            return None, "evaluation budget exceeded", seen
        except lang.CELEvaluationError as error:
            return None, said(error), seen
        meter.charge(units)
        return value, None, seen


def describe(error: lang.CELEvaluationError, text: str) -> str:
    """The engine's reason, naming the sub-expression where it arose when that is
    not the whole expression (``no such key: model.spec.metrics.auc``), and an
    operator as it is written (``no such overload: '>=' (bool, double)``)."""
    reason = _overload(error) or error.reason
    node = error.node if isinstance(error, lang.LocatedError) else None
    where = unparse(node) if node is not None else None
    if where is None:
        return reason
    if error.kind == "no_such_key" and (
        isinstance(node, ast.Select) or (isinstance(node, ast.Call) and node.function == "_[_]")
    ):
        return f"no such key: {_shown(where)}"
    if " ".join(where.split()) == " ".join(text.split()):
        return reason
    return f"{reason} (in `{_shown(where)}`)"


_PREFIX = {"-_": "-", "!_": "!"}


def _overload(error: lang.EvalError) -> str | None:
    """CEL's "no such overload" as people write the operator (``'>=' (bool, double)``
    for ``_>=_(bool, double)``), and a macro over what is not a list or a map, from
    the function and operand types the error carries; ``None`` for any other error."""
    if error.overload is None:
        return None
    function, operands = error.overload
    if function == "comprehension range" and len(operands) == 1:
        return f"no such overload: a macro needs a list or a map, got {operands[0]}"
    symbol = _PREFIX.get(function) or _INFIX.get(function)
    if symbol is None:
        return None
    return f"no such overload: '{symbol}' ({', '.join(operands)})"


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."  # a record can't echo 100 KB


_INFIX = {
    "_&&_": "&&", "_||_": "||", "_+_": "+", "_-_": "-", "_*_": "*", "_/_": "/",
    "_%_": "%", "_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">",
    "_>=_": ">=", "@in": "in",
}  # fmt: skip


def unparse(node: ast.Node, depth: int = 0) -> str | None:
    """CEL text for ``node`` (parenthesized where an operand is an operator), or
    ``None`` for what has no short form (a macro's loop, a deep tree)."""
    if depth > 40:
        return None
    if isinstance(node, ast.Ident):
        return node.name.lstrip(".")
    if isinstance(node, ast.Literal):
        return _literal(node.value)
    if isinstance(node, ast.Select):
        operand = _operand(node.operand, depth)
        if operand is None:
            return None
        if node.test_only:
            return f"has({operand}.{node.field})"
        return f"{operand}{'.?' if node.optional else '.'}{node.field}"
    if isinstance(node, ast.ListExpr):
        parts = [unparse(e, depth + 1) for e in node.elements]
        return None if None in parts else "[" + ", ".join(p for p in parts if p) + "]"
    if isinstance(node, ast.MapExpr):
        pairs = [(unparse(e.key, depth + 1), unparse(e.value, depth + 1)) for e in node.entries]
        if any(k is None or v is None for k, v in pairs):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    if isinstance(node, ast.Call):
        return _call(node, depth)
    return None


def _operand(node: ast.Node, depth: int) -> str | None:
    text = unparse(node, depth + 1)
    if (
        text is not None
        and isinstance(node, ast.Call)
        and (node.function in _INFIX or node.function in ("_?_:_", "!_", "-_"))
    ):
        return f"({text})"
    return text


def _call(node: ast.Call, depth: int) -> str | None:
    function = node.function
    args = [_operand(a, depth) for a in node.args]
    if None in args:
        return None
    parts = [a for a in args if a is not None]
    if function in _INFIX and len(parts) == 2:
        return f"{parts[0]} {_INFIX[function]} {parts[1]}"
    if function == "_?_:_" and len(parts) == 3:
        return f"{parts[0]} ? {parts[1]} : {parts[2]}"
    if function in ("!_", "-_") and len(parts) == 1:
        return f"{function[0]}{parts[0]}"
    if function in ("_[_]", "_[?_]") and len(parts) == 2:
        return f"{parts[0]}[{'?' if function == '_[?_]' else ''}{parts[1]}]"
    if function.startswith(("_", "@")):
        return None
    if node.target is not None:
        target = _operand(node.target, depth)
        if target is None:
            return None
        return f"{target}.{function}({', '.join(parts)})"
    return f"{function}({', '.join(parts)})"


def _literal(value: Any) -> str:
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is str:
        return json.dumps(value, ensure_ascii=False)
    if kind is bytes:
        return "b" + json.dumps(value.decode("latin-1"))
    if kind is Uint:
        return f"{int(value)}u"
    return repr(value)


def free_names(tree: ast.Node) -> frozenset[str]:
    """The variables a checked tree reads: its identifiers outside every loop's own
    (a global shadowed by a loop variable is written ``.name`` by the checker),
    CEL's type names left out."""
    found: set[str] = set()
    stack: list[tuple[ast.Node, frozenset[str]]] = [(tree, frozenset())]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, ast.Ident):
            if node.name.startswith("."):
                found.add(node.name[1:])
            elif node.name not in scope:
                found.add(node.name)
        elif isinstance(node, ast.Comprehension):
            inner = scope | {node.iter_var, node.accu_var}
            if node.iter_var2 is not None:
                inner |= {node.iter_var2}
            stack += [
                (node.iter_range, scope),
                (node.accu_init, scope),
                (node.loop_condition, inner),
                (node.loop_step, inner),
                (node.result, scope | {node.accu_var}),
            ]
        else:
            stack.extend((child, scope) for child in ast.children(node))
    return frozenset(found - set(TYPE_IDENTS))


# --------------------------------------------------------------------------- the backend


# A rule's quick evaluation as planned: (compiled root, its charge, when, check).
_QuickStep = tuple[
    Callable[[EngineActivation], Any] | None, int, "_OwnProgram | None", "_OwnProgram | None"
]


class OwnBackend(Backend):
    name = "policygate"

    _CACHED = 4096

    def __init__(self) -> None:
        self._programs: dict[str, _OwnProgram] = {}
        self._now: tuple[_dt.datetime, Timestamp] | None = None
        self._plans: dict[int, tuple[object, Sequence[_QuickStep]]] = {}

    def compile(self, text: str) -> Program:
        found = self._programs.get(text)
        if found is not None:
            return found
        check_expression(text)
        try:
            tree = lang.parse(text)
        except lang.CELSyntaxError as error:
            raise CELSyntaxError(
                f"syntax error: {error.reason}", error.line, error.column, error.code
            ) from None
        try:
            checked = self._checked(tree)
            with stack_room(8 * tree_depth(checked) + 200):
                program = lang.Program(text, checked)
        except lang.CELCheckError as error:
            raise CELSyntaxError(error.reason, error.line, error.column, error.code) from None
        except RecursionError:
            message = "expression nests too deeply"
            raise CELSyntaxError(message, code="expression-too-large") from None
        compiled = _OwnProgram(text, program, free_names(program.tree))
        if len(self._programs) >= self._CACHED:
            self._programs.clear()
        self._programs[text] = compiled
        return compiled

    @staticmethod
    def _checked(tree: ast.Node) -> ast.Node:
        """``tree`` checked against :data:`VARIABLES` and, when it reads other names,
        those too: refusing them is the loader's (with its message and position)."""
        try:
            return lang.check(tree, VARIABLES)
        except lang.CELCheckError as error:
            if error.code != "undeclared-variable":
                raise
        loose = lang.check(tree, VARIABLES, strict=False)
        return lang.check(tree, set(VARIABLES) | free_names(loose))

    def activation(
        self,
        *,
        model: Any,
        params: Mapping[str, Any],
        now: _dt.datetime,
        inputs: Mapping[str, Any],
    ) -> Activation:
        return _OwnActivation(
            {
                "model": document(model),
                "params": _params(params),
                "now": self._timestamp(now),
                "inputs": document(dict(inputs)),
                "risks": [],  # the model's rated risks, bound by evaluate (SPEC §12)
            }
        )

    def quick_rules(
        self,
        activation: Activation,
        rules: Sequence[tuple[Program | None, Program | None]],
        limit: int,
        deadline: Callable[[], bool] | None,
    ) -> list[Any]:
        """:meth:`_OwnProgram.quick` for each rule's check: :meth:`quick_misses`,
        every rule not in it a plain ``true``."""
        out: list[Any] = [True] * len(rules)
        for position, value in self.quick_misses(activation, rules, limit, deadline):
            out[position] = value
        return out

    def quick_misses(
        self,
        activation: Activation,
        rules: Sequence[tuple[Program | None, Program | None]],
        limit: int,
        deadline: Callable[[], bool] | None,
    ) -> list[tuple[int, Any]]:
        """:meth:`quick_rules`' values that are not a plain ``true``, each with its
        rule's position, in order (most rules pass: the evaluator takes the passes
        between two of them as they are). The wrapping is paid once per policy: one
        engine activation, restarted per check, the root called here. What each
        rule runs is planned once for a tuple of rules (evaluate's, per policy): a
        check without a ``when`` is its compiled root and its charge."""
        assert isinstance(activation, _OwnActivation)
        act = activation.engine
        if act is None or act.limit != limit or act.deadline is not deadline:
            act = activation.engine = EngineActivation(activation.variables, limit, None, deadline)
            activation.start = act.budget, act.reserve
        budget, reserve = activation.start
        misses: list[tuple[int, Any]] = []
        position = -1
        for closure, cost, when, check in self._quick_plan(rules):
            position += 1
            if closure is not None:  # a check without a when: quick()'s restart, inlined
                act.budget = budget - cost
                act.reserve = reserve
                if act.locals:
                    act.locals = {}
                try:
                    if act.budget < 0:
                        act.overdraw()
                    value = closure(act)
                except _NO_ANSWER:
                    value = UNDECIDED
                if value is not True:
                    misses.append((position, value))
                continue
            if check is None:
                misses.append((position, UNDECIDED))
                continue
            if when is not None:
                decided = when.quick(activation, limit, deadline)
                if decided is not True:
                    misses.append((position, SKIPPED if decided is False else UNDECIDED))
                    continue
            value = check.quick(activation, limit, deadline)
            if value is not True:
                misses.append((position, value))
        return misses

    _PLANNED = 4096

    def _quick_plan(
        self, rules: Sequence[tuple[Program | None, Program | None]]
    ) -> Sequence[_QuickStep]:
        """Each rule as ``(root, charge, when, check)``: the check's compiled root and
        its block's charge when it has no ``when`` and a root of its own (not a deep
        tree); else ``(None, 0, when, check)``, run through :meth:`_OwnProgram.quick`.
        Kept by the tuple's id (holding it, so that the id stays its own); a list
        is planned at each call (it may change)."""
        cached = type(rules) is tuple
        if cached:
            found = self._plans.get(id(rules))
            if found is not None and found[0] is rules:
                return found[1]
        steps: list[_QuickStep] = []
        for when, check in rules:
            if check is not None:
                assert isinstance(check, _OwnProgram)
            if when is not None:
                assert isinstance(when, _OwnProgram)
            bare = check._bare if when is None and check is not None else None
            if bare is not None:
                steps.append((bare[0], bare[1], None, None))
            else:
                steps.append((None, 0, when, check))
        plan = tuple(steps)
        if cached:
            if len(self._plans) >= self._PLANNED:
                self._plans.clear()
            self._plans[id(rules)] = (rules, plan)
        return plan

    def _timestamp(self, now: _dt.datetime) -> Timestamp:
        cached = self._now
        if cached is None or cached[0] != now:
            cached = self._now = (now, _timestamp(now))
        return cached[1]

    def to_python(self, value: Any) -> Any:
        kind = type(value)
        if kind is bool or kind is float or kind is str or kind is int or value is None:
            return value
        return _plain(value, {})

    def truth(self, value: Any) -> bool:
        if value is True or value is False:
            return value
        raise CELEvaluationError(
            f"expected a bool, got {type_name(value)}", code="not-a-bool"
        )

    def elements(self, value: Any) -> list[tuple[int | str, Any]]:
        kind = type(value)
        if kind is list:
            return list(enumerate(value))
        if kind is dict:
            return sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0])
        raise CELEvaluationError(
            f"for_each must yield a list or a map, got {type_name(value)}", code="not-a-collection"
        )


def _plain(value: Any, seen: dict[int, Any]) -> Any:
    """:meth:`OwnBackend.to_python`: a list or map held more than once is converted
    once (``n.map(i, model.big)`` holds one list thousands of times)."""
    kind = type(value)
    if kind is bool or kind is float or kind is str or kind is int or value is None:
        return value
    if kind is list or kind is dict:
        done = seen.get(id(value))
        if done is not None:
            return done
        if kind is list:
            done = seen[id(value)] = []
            done.extend(_plain(item, seen) for item in value)
        else:
            done = seen[id(value)] = {}
            for key, item in value.items():
                done[str(_plain(key, seen))] = _plain(item, seen)
        return done
    if kind is Uint:
        return int(value)
    if kind is Timestamp:
        return value.to_datetime()
    if kind is Duration:
        return _timedelta(value.nanos)
    if kind is CelType:
        return value.name
    if kind is Optional:
        return _plain(value.value, seen) if value.has else None
    return value


def _timedelta(nanos: int) -> _dt.timedelta:
    """A duration to the microsecond, rounded down, as ``timedelta`` holds one
    (``days(-1.98)`` is -1.98 days to the microsecond below)."""
    return _dt.timedelta(microseconds=nanos // 1000)


_TYPE_NAMES = {
    bool: "bool", int: "int", Uint: "uint", float: "double", str: "string",
    bytes: "bytes", list: "list", dict: "map", type(None): "null",
    Timestamp: "timestamp", Duration: "duration", Optional: "optional", CelType: "type",
}  # fmt: skip


def type_name(value: Any) -> str:
    """The CEL type of ``value`` as messages name it (``double``, ``map``...)."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


__all__ = ["OwnBackend", "VARIABLES", "describe", "document", "free_names", "unparse"]
