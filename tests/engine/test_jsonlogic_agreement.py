"""The benchmark's JsonLogic baseline must compute exactly what the engine computes.

Otherwise the benchmark's ratio would compare different work, and its agreement check could
drift without anyone noticing.
"""

import random

import pytest

from bench import jsonlogic
from bench.engine import VOCABULARY, agree, generate_profiles, generate_rulesets
from matchmaker.engine import (
    CriterionKind,
    CriterionSpec,
    GroupSpec,
    RequirementSpec,
    RuleSet,
    compile_ruleset,
    read_facts,
    validate_ruleset,
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_jsonlogic_translation_agrees_with_the_engine_on_every_generated_pair(seed):
    rng = random.Random(seed)
    rulesets = generate_rulesets(rng, 20)
    profiles = generate_profiles(rng, 50)
    assert all(validate_ruleset(ruleset, VOCABULARY) == [] for ruleset in rulesets)
    programs = [compile_ruleset(ruleset) for ruleset in rulesets]
    rules = [jsonlogic.translate(ruleset) for ruleset in rulesets]

    disagreements = [
        (ruleset.program, profile, ours, theirs)
        for profile in profiles
        for ruleset, program, rule in zip(rulesets, programs, rules, strict=True)
        if not agree(
            ours := program.eligibility_and_score(read_facts(profile)),
            theirs := jsonlogic.run(rule, profile),
        )
    ]

    assert disagreements == []


def test_generated_pairs_cover_every_eligibility_and_unscored_programs():
    # An agreement check on a set where everything is ineligible would prove little.
    rng = random.Random(1)
    rulesets = generate_rulesets(rng, 20)
    profiles = generate_profiles(rng, 50)
    results = [
        compile_ruleset(ruleset).eligibility_and_score(read_facts(profile))
        for ruleset in rulesets
        for profile in profiles
    ]
    assert {eligibility.value for eligibility, _ in results} == {
        "eligible",
        "incomplete",
        "ineligible",
    }
    assert any(score is None for _, score in results)
    assert len({score for _, score in results}) > 50


def test_jsonlogic_translation_agrees_on_the_moscow_rules():
    r = RequirementSpec
    ruleset = RuleSet(
        "moscow-pilots",
        1,
        (
            CriterionSpec(
                "origin",
                "Origin",
                CriterionKind.GATE,
                1.0,
                (
                    GroupSpec((r("country", "in", ["RU"]),)),
                    GroupSpec((r("partner_countries", "contains", "RU"),)),
                ),
            ),
            CriterionSpec(
                "trl", "TRL", CriterionKind.GATE, 1.0, (GroupSpec((r("trl", "gte", 5),)),)
            ),
            CriterionSpec(
                "maturity",
                "Maturity",
                CriterionKind.AWARD,
                20.0,
                (GroupSpec((r("trl", "scale", [5, 9]),)),),
            ),
            CriterionSpec(
                "pilots",
                "Pilots",
                CriterionKind.AWARD,
                20.0,
                (GroupSpec((r("prior_pilots", "gte", 1),)),),
            ),
        ),
    )
    program = compile_ruleset(ruleset)
    rule = jsonlogic.translate(ruleset)
    for profile in [
        {"country": "TW", "trl": 8, "partner_countries": []},
        {"country": "TW", "trl": 8, "partner_countries": ["RU"], "prior_pilots": 0},
        {"country": "RU", "prior_pilots": 2},
        {"country": "RU", "trl": 3, "partner_countries": None},
        {},
    ]:
        assert jsonlogic.run(rule, profile) == program.eligibility_and_score(read_facts(profile))
