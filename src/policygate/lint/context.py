"""What every lint check reads: the parsed policies of one run, their expressions,
their load errors, and the one place problems are reported.

The linter (:mod:`.linter`) builds a :class:`LintRun` from the same parse step
the loader uses (:func:`policygate.policy.parse`); each module of
:mod:`.checks` then looks at it for the findings of its own codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import cel
from ..documents import Document
from ..errors import Location, PolicygateError
from ..policy import PolicyDocument, RuleDocument, Source, inner_locator
from .fields import Path as FieldPath
from .fields import SchemaFields
from .problem import Check, Cost, Level, Problem

if TYPE_CHECKING:
    from .checks.unknown_rating import RatingScales


@dataclass
class LintedPolicy:
    """One policy document of the run and what its ``extends`` chain says."""

    parsed: PolicyDocument
    parents: list[tuple[Source, PolicyDocument]]
    """The policies its ``extends`` names that load, in order, each with its entry."""
    params: set[str]
    """Every param the chain declares."""
    fields: SchemaFields | None
    """The model schema field references are checked against (``None``: unknown)."""
    load_errors: list[PolicygateError]
    """What compiling it (as ``check`` does) refused, one error each."""
    schema_ok: bool
    """False when the Policy schema refused the document itself."""
    given: bool
    """Named on the command line (or found in a directory given), not only extended."""

    @property
    def document(self) -> Document:
        return self.parsed.document


@dataclass
class Expression:
    """One CEL text in a policy (a whole expression, or a message placeholder),
    and what its variables stand for."""

    policy: LintedPolicy
    json_path: tuple[str | int, ...]
    text: str
    offset: int  # where ``text`` starts in the string at json_path (message placeholders)
    variables: tuple[str, ...]
    analysis: cel.analysis.Analysis
    rule: RuleDocument | None = None
    item_paths: tuple[FieldPath, ...] | None = None  # what `item` stands for, below model

    @property
    def document(self) -> Document:
        return self.policy.document

    @property
    def place(self) -> str:
        """``when``, ``check``, ``applies_to``, ``message``...: the key it is written under."""
        return str(self.json_path[-1])


@dataclass
class LintRun:
    """One run of the linter: the checks read it and report through :meth:`report`."""

    checks: Mapping[str, Check]
    error_checks: Mapping[str, str | None]
    """The lint code of each load error code (absent: ``load``; ``None``: not reported
    as a load error, a check says it better)."""
    controls: list[str]
    """Every control id the catalogs define, sorted."""
    file_errors: list[PolicygateError] = field(default_factory=list)
    """Files that do not load, documents of no known kind."""
    policies: list[LintedPolicy] = field(default_factory=list)
    expressions: list[Expression] = field(default_factory=list)
    problems: dict[tuple[Location, str, str], Problem] = field(default_factory=dict)
    costs: list[Cost] = field(default_factory=list)
    chains: dict[str, list[PolicyDocument]] = field(default_factory=dict)
    rating_scales: RatingScales | None = None
    """The loaded risk registers' labels (``lint --risk-register``); ``None``: the
    default matrix's."""
    _lines: dict[str, list[str]] = field(default_factory=dict)
    # Each expression's string aligned with the file once, however many findings.
    _locators: dict[tuple[str, int, tuple[str | int, ...]], Callable[[int], Location]] = field(
        default_factory=dict
    )

    def report(
        self,
        location: Location,
        code: str,
        message: str,
        level: Level | None = None,
        error_code: str | None = None,
    ) -> None:
        """A finding; the same place, code and message is reported once."""
        chosen = level or self.checks[code].level
        self.problems.setdefault(
            (location, code, message), Problem(location, chosen, code, message, error_code)
        )

    def load_errors(self) -> Iterator[PolicygateError]:
        """Every load error of the run: the files', then each policy's."""
        yield from self.file_errors
        for policy in self.policies:
            yield from policy.load_errors

    def report_error(self, error: PolicygateError, code: str) -> None:
        """A load error as a finding of ``code``, its message as ``check`` prints it."""
        text = str(error)
        location = error.location or Location("<unknown>")
        prefix = f"{location}: "
        message = text[len(prefix) :] if text.startswith(prefix) else error.message
        self.report(location, code, message, error_code=error.code)

    def chain(self, parsed: PolicyDocument) -> list[PolicyDocument]:
        """``parsed`` and every policy it extends, parents first, each once."""
        return self.chains.get(parsed.key, [parsed])

    def at(self, expression: Expression, offset: int) -> Location:
        """Where character ``offset`` of the expression's text is written in the file."""
        document = expression.document
        key = (document.source, document.index, expression.json_path)
        locate = self._locators.get(key)
        if locate is None:
            locate = inner_locator(document, expression.json_path, self._file_lines(document))
            self._locators[key] = locate
        return locate(expression.offset + offset)

    def _file_lines(self, document: Document) -> list[str]:
        source = document.source
        if source not in self._lines:
            try:
                text = Path(source).read_text("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._lines[source] = text.splitlines()
        return self._lines[source]
