"""What every part of the ClinicalTrials.gov study parser shares: the document, the notes
and the parts of the record built so far."""

from __future__ import annotations

from evidence.importers.ctgov_doc import JsonDoc, Obj, locator_of
from evidence.importers.ctgov_values import UniqueKeys
from evidence.records import (
    AdverseEvent,
    Arm,
    ArmResult,
    Comparison,
    Endpoint,
    Intervention,
    Population,
    Provenance,
)

SOURCE_KEY = "ctgov"


class StudyState:
    """The study being read and what has been built from it; the parser's parts extend it."""

    def __init__(self, study: Obj, locator: str, source_format: str) -> None:
        self.doc = JsonDoc(locator)
        self.study = study
        self.source_format = source_format
        self.notes: list[str] = []
        self.arm_keys = UniqueKeys()
        self.iv_keys = UniqueKeys()
        self.arms: list[Arm] = []
        self.arm_by_title: dict[str, str] = {}  # normalised label -> key (registered arms)
        self.arm_by_description: dict[str, str | None] = {}  # None: shared by several arms
        self.group_arms: dict[str, str] = {}  # normalised title -> key (matched or made)
        self.interventions: list[Intervention] = []
        self.endpoints: list[Endpoint] = []
        self.planned: list[tuple[str, Endpoint]] = []  # (normalised title, endpoint)
        self.matched: set[str] = set()
        self.populations: list[Population] = []
        self.population_by_text: dict[str, str] = {}
        self.results: list[ArmResult] = []
        self.comparisons: list[Comparison] = []
        self.adverse_events: list[AdverseEvent] = []

    def prov(self, obj: Obj, path: str, derivation: str | None = None) -> Provenance:
        return Provenance(source=SOURCE_KEY, locator=locator_of(obj, path), derivation=derivation)

    def arm(self, key: str) -> Arm:
        return next(arm for arm in self.arms if arm.key == key)
