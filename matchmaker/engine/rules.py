"""Rules as staff edit them: plain data, validated on save, compiled before scoring.

The shape follows OCDS selectionCriteria: a criterion passes when any of its requirement groups
passes, and a group passes when all of its requirements pass. Values are JSON-shaped (str, int,
bool, None and lists of those), exactly as they are stored.
"""

import enum
from dataclasses import dataclass
from typing import Any


class CriterionKind(enum.StrEnum):
    GATE = "gate"  # must pass for the company to be eligible
    AWARD = "award"  # adds to the score, weighted


@dataclass(frozen=True, slots=True)
class RequirementSpec:
    fact: str
    operator: str
    value: Any
    hint: str = ""  # staff's own advice to the vendor on how to meet it


@dataclass(frozen=True, slots=True)
class GroupSpec:
    requirements: tuple[RequirementSpec, ...]


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    key: str
    label: str
    kind: CriterionKind
    weight: float  # award criteria only; gates ignore it
    groups: tuple[GroupSpec, ...]
    help_text: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    program: str
    version: int
    criteria: tuple[CriterionSpec, ...]
