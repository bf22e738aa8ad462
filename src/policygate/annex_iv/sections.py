"""Annex IV of Regulation (EU) 2024/1689: the technical documentation referred
to in Article 11(1), section by section, and where a model record holds each part.

Every part names the record fields that fill it (``Source``). A part whose text
says "where applicable" or "where relevant" is optional: leaving it out never
makes a section partial. Sections 1 to 9 are all mandatory (Art. 11(1): the
documentation contains "at a minimum" the elements of Annex IV).

Free-text parts live under ``spec.documentation`` (a map of document
references, as ``model_card`` already is); the keys are listed in
docs/annex-iv.md. The shipped pack policies/eu-ai-act-technical-file.yaml
judges the same sources (tests/annex_iv/ holds them to this table).
"""

from __future__ import annotations

from dataclasses import dataclass

DATASHEETS = "datasheets"  # a source kind: every training dataset names its datasheet


@dataclass(frozen=True)
class Source:
    """A record field that fills (part of) a part of Annex IV."""

    path: tuple[str, ...]
    label: str
    kind: str = "value"  # "value": present when non-empty; DATASHEETS: see above

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Part:
    """A point of a section ("1(a)") or, in section 3, one of its listed elements."""

    ref: str  # "1(a)", "3", "4"
    text: str  # the point's words, shortened
    sources: tuple[Source, ...]
    optional: bool = False  # "where applicable" / "where relevant"


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    parts: tuple[Part, ...]

    @property
    def mandatory_sources(self) -> tuple[Source, ...]:
        return tuple(s for p in self.parts if not p.optional for s in p.sources)


def _doc(key: str, label: str) -> Source:
    return Source(("spec", "documentation", key), label)


def _spec(*path: str, label: str, kind: str = "value") -> Source:
    return Source(("spec", *path), label, kind)


INTENDED_USE = _spec("intended_use", label="intended purpose")
OWNER = Source(("metadata", "owner"), "provider (accountable owner)")
VERSION = Source(("metadata", "version"), "version")
HUMAN_OVERSIGHT = _doc("human_oversight", "human oversight measures (Art. 14)")

SECTIONS: tuple[Section, ...] = (
    Section(1, "A general description of the AI system", (
        Part("1(a)", "its intended purpose, the name of the provider and the version of the "
             "system reflecting its relation to previous versions",
             (INTENDED_USE, OWNER, VERSION)),
        Part("1(b)", "how the AI system interacts with, or can be used to interact with, "
             "hardware or software, including other AI systems, that are not part of it",
             (_doc("interactions", "interactions with other hardware or software"),),
             optional=True),
        Part("1(c)", "the versions of relevant software or firmware, and any requirements "
             "related to version updates",
             (_spec("lineage", "code", "commit", label="code version (commit)"),
              _doc("software_versions", "software versions and update requirements"))),
        Part("1(d)", "the description of all the forms in which the AI system is placed on "
             "the market or put into service (software packages, downloads, APIs)",
             (_doc("distribution", "forms of placing on the market"),)),
        Part("1(e)", "the description of the hardware on which the AI system is intended to run",
             (_doc("hardware", "target hardware"),)),
        Part("1(f)", "where the AI system is a component of products, photographs or "
             "illustrations of those products",
             (_doc("product_illustrations", "product photographs or illustrations"),),
             optional=True),
        Part("1(g)", "a basic description of the user-interface provided to the deployer",
             (_doc("user_interface", "user interface for the deployer"),)),
        Part("1(h)", "instructions for use for the deployer",
             (_doc("instructions_for_use", "instructions for use"),)),
    )),
    Section(2, "A detailed description of the elements of the AI system and of the process "
            "for its development", (
        Part("2(a)", "the methods and steps performed for the development, including recourse "
             "to pre-trained systems or tools provided by third parties",
             (_doc("development_process", "development methods and steps"),)),
        Part("2(b)", "the design specifications: general logic, key design choices and "
             "assumptions, what the system optimises for, expected output and trade-offs",
             (_doc("design_specification", "design specification"),
              _doc("model_card", "model card"))),
        Part("2(c)", "the system architecture, and the computational resources used to "
             "develop, train, test and validate the AI system",
             (_doc("architecture", "system architecture"),
              _doc("compute_resources", "computational resources"))),
        Part("2(d)", "the data requirements: datasheets of the training data sets, their "
             "provenance, scope and main characteristics, selection, labelling and cleaning",
             (_spec("lineage", "training_data", label="training data sets"),
              _spec("lineage", "training_data", label="a datasheet for every training data set",
                    kind=DATASHEETS))),
        Part("2(e)", "the assessment of the human oversight measures needed (Art. 14) and of "
             "the technical measures to interpret the outputs (Art. 13(3)(d))",
             (HUMAN_OVERSIGHT, _doc("explainability_report", "explainability report"))),
        Part("2(f)", "where applicable, pre-determined changes to the AI system and its "
             "performance", (_doc("predetermined_changes", "pre-determined changes"),),
             optional=True),
        Part("2(g)", "the validation and testing procedures, data and metrics (accuracy, "
             "robustness, potentially discriminatory impacts), test logs and reports dated "
             "and signed by the responsible persons",
             (_spec("evaluations", label="evaluations on test data sets"),
              _spec("robustness", label="robustness tests"),
              _spec("fairness", "metrics", label="fairness metrics"),
              _spec("approvals", label="dated approvals by the responsible persons"))),
        Part("2(h)", "the cybersecurity measures put in place",
             (_doc("cybersecurity", "cybersecurity measures"),)),
    )),
    Section(3, "Detailed information about the monitoring, functioning and control of the "
            "AI system", (
        Part("3", "its capabilities and limitations in performance, including the degrees of "
             "accuracy for specific persons or groups and the overall expected accuracy",
             (_spec("metrics", label="headline metrics"),
              _spec("fairness", "metrics", label="metrics per group"))),
        Part("3", "the foreseeable unintended outcomes and sources of risks to health and "
             "safety, fundamental rights and discrimination",
             (_spec("risks", label="identified risks"),)),
        Part("3", "the human oversight measures needed (Art. 14), including the technical "
             "measures to interpret the outputs", (HUMAN_OVERSIGHT,)),
        Part("3", "specifications on input data",
             (_doc("input_specification", "input data specification"),)),
    )),
    Section(4, "A description of the appropriateness of the performance metrics", (
        Part("4", "why the performance metrics fit the specific AI system",
             (_doc("performance_metrics", "appropriateness of the performance metrics"),)),
    )),
    Section(5, "A detailed description of the risk management system (Art. 9)", (
        Part("5", "the risk management system in accordance with Article 9",
             (_spec("risks", label="identified risks"),
              _doc("risk_management", "risk management system"))),
    )),
    Section(6, "A description of relevant changes made by the provider through the lifecycle", (
        Part("6", "relevant changes made by the provider to the system through its lifecycle",
             (_doc("changelog", "change log"),)),
    )),
    Section(7, "Harmonised standards applied, or the solutions adopted to meet Chapter III, "
            "Section 2", (
        Part("7", "the harmonised standards applied in full or in part; where none, the "
             "solutions adopted and the other standards and technical specifications applied",
             (_doc("standards", "standards and specifications applied"),)),
    )),
    Section(8, "A copy of the EU declaration of conformity (Art. 47)", (
        Part("8", "the EU declaration of conformity referred to in Article 47",
             (_doc("declaration_of_conformity", "EU declaration of conformity"),)),
    )),
    Section(9, "The post-market monitoring system (Art. 72), including the monitoring plan "
            "(Art. 72(3))", (
        Part("9", "the system in place to evaluate the AI system performance in the "
             "post-market phase, including the post-market monitoring plan",
             (_spec("monitoring", label="post-market monitoring (dashboard, checks)"),
              _doc("post_market_monitoring_plan", "post-market monitoring plan"))),
    )),
)  # fmt: skip
