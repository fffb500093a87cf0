"""The rules engine: facts, rules, validation, compiled evaluation and wording.

Pure Python: no Django, no settings, no clock. Frozen dataclasses in, typed results out. The
background scorer, the vendor's live preview, the staff impact preview and the API all use it.
"""

from matchmaker.engine.evaluation import CompiledProgram, InvalidRuleSetError, compile_ruleset
from matchmaker.engine.facts import FACTS, MISSING, Fact, FactsRecord, FactType, read_facts
from matchmaker.engine.operators import AWARD_ONLY_OPERATORS, OPERATORS_BY_TYPE, Outcome
from matchmaker.engine.results import (
    CriterionResult,
    Eligibility,
    Fix,
    ProgramResult,
    RequirementResult,
    rank_key,
)
from matchmaker.engine.rules import (
    CriterionKind,
    CriterionSpec,
    GroupSpec,
    RequirementSpec,
    RuleSet,
)
from matchmaker.engine.validation import (
    RuleProblem,
    Vocabulary,
    allowed_operators,
    validate_criterion,
    validate_requirement,
    validate_ruleset,
)
from matchmaker.engine.wording import (
    Wording,
    describe_criterion,
    describe_fix,
    describe_problem,
    describe_requirement,
)

__all__ = [
    "AWARD_ONLY_OPERATORS",
    "FACTS",
    "MISSING",
    "OPERATORS_BY_TYPE",
    "CompiledProgram",
    "CriterionKind",
    "CriterionResult",
    "CriterionSpec",
    "Eligibility",
    "Fact",
    "FactType",
    "FactsRecord",
    "Fix",
    "GroupSpec",
    "InvalidRuleSetError",
    "Outcome",
    "ProgramResult",
    "RequirementResult",
    "RequirementSpec",
    "RuleProblem",
    "RuleSet",
    "Vocabulary",
    "Wording",
    "allowed_operators",
    "compile_ruleset",
    "describe_criterion",
    "describe_fix",
    "describe_problem",
    "describe_requirement",
    "rank_key",
    "read_facts",
    "validate_criterion",
    "validate_requirement",
    "validate_ruleset",
]
