"""Engine benchmark: compiled rules against the same rules in JsonLogic (panzi-json-logic).

    python -m bench.engine [--seed N] [--rulesets N] [--profiles N] [--repeats N]

Generates random valid rulesets and random profiles (some facts missing) from a fixed seed, then
computes eligibility and score for every (profile, ruleset) pair on both sides in this process:

- engine: `read_facts` once per profile (timed), then `eligibility_and_score` per ruleset;
- baseline: each ruleset translated once to JsonLogic (`bench.jsonlogic`, not timed, like our
  compile step), then `jsonLogic(rule, profile)` per pair on the plain profile dict.

Each side gets a warm-up and the best of `--repeats` runs. Prints the counts, evaluations per
second, the ratio and the agreement; exits 1 unless both sides agree on every pair.
"""

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from importlib.metadata import version
from typing import Any, TypeVar

from bench import jsonlogic
from matchmaker.engine import (
    FACTS,
    CompiledProgram,
    CriterionKind,
    CriterionSpec,
    Eligibility,
    Fact,
    FactType,
    GroupSpec,
    RequirementSpec,
    RuleSet,
    Vocabulary,
    allowed_operators,
    compile_ruleset,
    read_facts,
    validate_ruleset,
)

COUNTRIES = (
    "RU", "TW", "IL", "ES", "TR", "SI", "PT", "DE", "GB", "US", "FR", "IT", "NL", "SE", "FI",
    "EE", "PL", "JP", "KR", "SG", "IN", "BR", "CA", "AU", "CN", "AE", "CH", "AT", "DK", "NO",
)  # fmt: skip
SECTORS = (
    "government-services", "buildings", "mobility", "education", "health", "public-safety",
    "environment", "economy", "energy", "logistics", "telecom", "ai-data", "iot", "fintech",
    "retail", "tourism", "water", "waste", "construction", "creative-media", "manufacturing",
    "agriculture-food",
)  # fmt: skip
VOCABULARY = Vocabulary(countries=frozenset(COUNTRIES), sectors=frozenset(SECTORS))

# Realistic ranges inside each integer fact's bounds, so rules and profiles meet often enough
# to give a mix of eligible, incomplete and ineligible results.
INTEGER_RANGES = {
    "trl": (1, 9),
    "employees": (0, 300),
    "founded_year": (1980, 2025),
    "prior_pilots": (0, 8),
}

T = TypeVar("T")


def _range_of(fact: Fact) -> tuple[int, int]:
    low, high = INTEGER_RANGES.get(fact.name, (fact.minimum or 0, (fact.minimum or 0) + 100))
    return max(low, fact.minimum or low), min(high, fact.maximum or high)


def _value(rng: random.Random, fact: Fact, operator: str) -> Any:
    if operator in ("present", "is_true", "is_false"):
        return None
    if fact.type is FactType.INTEGER:
        low, high = _range_of(fact)
        if operator in ("in", "not_in"):
            return sorted(rng.sample(range(low, high + 1), rng.randint(1, 3)))
        if operator in ("between", "scale"):
            first, second = sorted(rng.sample(range(low, high + 1), 2))
            return [first, second]
        return rng.randint(low, high)
    codes: Sequence[str] = SECTORS if fact.type is FactType.SECTORS else COUNTRIES
    if operator in ("eq", "ne", "contains"):
        return rng.choice(codes)
    return rng.sample(codes, rng.randint(1, 5))


def _requirement(rng: random.Random, kind: CriterionKind) -> RequirementSpec:
    fact = rng.choice(list(FACTS.values()))
    operator = rng.choice(allowed_operators(fact, kind))
    return RequirementSpec(fact=fact.name, operator=operator, value=_value(rng, fact, operator))


def _criterion(rng: random.Random, key: str, kind: CriterionKind) -> CriterionSpec:
    groups = tuple(
        GroupSpec(tuple(_requirement(rng, kind) for _ in range(rng.choice((1, 1, 1, 2, 3)))))
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))
    )
    weight = rng.choice((0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0, round(rng.uniform(0.5, 50), 2)))
    return CriterionSpec(key=key, label=key, kind=kind, weight=weight, groups=groups)


def generate_rulesets(rng: random.Random, count: int) -> list[RuleSet]:
    """`count` valid rulesets, each with 0-3 gates and 0-4 award criteria."""
    rulesets = []
    for number in range(count):
        kinds = [CriterionKind.GATE] * rng.choice((0, 1, 1, 2, 2, 3))
        kinds += [CriterionKind.AWARD] * rng.choice((0, 1, 2, 3, 3, 4))
        criteria = tuple(_criterion(rng, f"c{index}", kind) for index, kind in enumerate(kinds))
        rulesets.append(RuleSet(program=f"program-{number:03d}", version=1, criteria=criteria))
    return rulesets


def _maybe(rng: random.Random, present: float, make: Callable[[], T]) -> T | None:
    return make() if rng.random() < present else None


def generate_profiles(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """`count` profiles as plain dicts (lists for sets); a missing fact is absent or None."""
    profiles = []
    for _ in range(count):
        values: dict[str, Any] = {
            "country": _maybe(rng, 0.9, lambda: rng.choice(COUNTRIES)),
            "partner_countries": _maybe(
                rng, 0.8, lambda: rng.sample(COUNTRIES, rng.choice((0, 0, 1, 1, 2, 3)))
            ),
            "sectors": _maybe(rng, 0.9, lambda: rng.sample(SECTORS, rng.randint(0, 4))),
            "trl": _maybe(rng, 0.85, lambda: rng.randint(1, 9)),
            "has_demo": _maybe(rng, 0.85, lambda: rng.random() < 0.5),
            "employees": _maybe(rng, 0.85, lambda: int(rng.expovariate(1 / 40))),
            "founded_year": _maybe(rng, 0.85, lambda: rng.randint(1980, 2025)),
            "prior_pilots": _maybe(rng, 0.8, lambda: rng.choice((0, 0, 1, 1, 2, 3, 5))),
        }
        # Half the missing facts are absent keys, half explicit nulls: both mean unknown.
        profile = {
            name: value for name, value in values.items() if value is not None or rng.random() < 0.5
        }
        profiles.append(profile)
    return profiles


Result = tuple[Eligibility, float | None]


def run_engine(
    profiles: Sequence[dict[str, Any]], programs: Sequence[CompiledProgram]
) -> list[Result]:
    results: list[Result] = []
    append = results.append
    for profile in profiles:
        facts = read_facts(profile)
        for program in programs:
            append(program.eligibility_and_score(facts))
    return results


def run_engine_detailed(
    profiles: Sequence[dict[str, Any]], programs: Sequence[CompiledProgram]
) -> list[Result]:
    results: list[Result] = []
    for profile in profiles:
        facts = read_facts(profile)
        for program in programs:
            result = program.evaluate(facts)
            results.append((result.eligibility, result.score))
    return results


def run_jsonlogic(profiles: Sequence[dict[str, Any]], rules: Sequence[Any]) -> list[Result]:
    results: list[Result] = []
    append = results.append
    run = jsonlogic.run
    for profile in profiles:
        for rule in rules:
            append(run(rule, profile))
    return results


def best_of(repeats: int, job: Callable[[], T]) -> tuple[float, T]:
    """Fastest wall time of `repeats` runs of `job`, and the last run's result."""
    best = float("inf")
    result = job()  # warm-up: first-call costs (imports, caches) are not what we measure
    for _ in range(repeats):
        start = time.perf_counter()
        result = job()
        best = min(best, time.perf_counter() - start)
    return best, result


def agree(left: Result, right: Result) -> bool:
    if left[0] != right[0]:
        return False
    if left[1] is None or right[1] is None:
        return left[1] is right[1]
    return abs(left[1] - right[1]) <= 1e-6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=20240501, help="random seed (%(default)s)")
    parser.add_argument(
        "--rulesets",
        "--rules",
        dest="rulesets",
        type=int,
        default=120,
        help="generated rulesets (programs) of 0-3 gates and 0-4 awards each (%(default)s)",
    )
    parser.add_argument("--profiles", type=int, default=1000, help="profiles (%(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side (%(default)s)")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    rulesets = generate_rulesets(rng, args.rulesets)
    profiles = generate_profiles(rng, args.profiles)
    invalid = [r.program for r in rulesets if validate_ruleset(r, VOCABULARY)]
    if invalid:
        print(f"generator bug: invalid rulesets {invalid}")
        return 2

    criteria = [c for r in rulesets for c in r.criteria]
    gates = sum(1 for c in criteria if c.kind == CriterionKind.GATE)
    requirements = sum(len(g.requirements) for c in criteria for g in c.groups)
    known = sum(1 for p in profiles for name in FACTS if p.get(name) is not None)
    pairs = len(rulesets) * len(profiles)
    print(f"Engine benchmark, seed {args.seed}, best of {args.repeats} runs after a warm-up")
    print(
        f"  generated: {len(rulesets)} rulesets with {len(criteria)} criteria "
        f"({gates} gates, {len(criteria) - gates} awards) and {requirements} requirements; "
        f"{len(profiles)} profiles ({100 - 100 * known / (len(profiles) * len(FACTS)):.1f}% "
        f"of facts missing)"
    )
    print(f"  evaluations: {pairs:,} (every profile against every ruleset; eligibility + score)")

    compile_time, programs = best_of(
        args.repeats, lambda: [compile_ruleset(ruleset) for ruleset in rulesets]
    )
    print(
        f"  compile_ruleset: {compile_time * 1e3:.2f} ms for {len(rulesets)} rulesets "
        f"({compile_time / len(rulesets) * 1e6:.1f} µs each)"
    )
    rules = [jsonlogic.translate(ruleset) for ruleset in rulesets]

    engine_time, ours = best_of(args.repeats, lambda: run_engine(profiles, programs))
    detailed_time, detailed = best_of(args.repeats, lambda: run_engine_detailed(profiles, programs))
    baseline_time, theirs = best_of(args.repeats, lambda: run_jsonlogic(profiles, rules))

    ratio = baseline_time / engine_time
    print(
        f"  engine, read_facts + eligibility_and_score: {engine_time:.3f} s, "
        f"{pairs / engine_time:,.0f} evaluations/s"
    )
    print(
        f"  engine, read_facts + evaluate (full explanation): {detailed_time:.3f} s, "
        f"{pairs / detailed_time:,.0f} evaluations/s"
    )
    print(
        f"  JsonLogic (panzi-json-logic {version('panzi-json-logic')}): {baseline_time:.3f} s, "
        f"{pairs / baseline_time:,.0f} evaluations/s"
    )
    print(
        f"  ratio: engine is {ratio:.1f}x faster than JsonLogic "
        f"(target >= 10x: {'met' if ratio >= 10 else 'MISSED'}); "
        f"evaluate() is {baseline_time / detailed_time:.1f}x faster"
    )

    agreed = sum(1 for left, right in zip(ours, theirs, strict=True) if agree(left, right))
    detail_agreed = sum(1 for left, right in zip(ours, detailed, strict=True) if agree(left, right))
    mix = Counter(eligibility.value for eligibility, _ in ours)
    print(
        f"  agreement with JsonLogic: {agreed:,}/{pairs:,} ({100 * agreed / pairs:.2f}%); "
        f"eligibility_and_score vs evaluate: {100 * detail_agreed / pairs:.2f}%"
    )
    print(
        "  outcomes: "
        + ", ".join(f"{name} {mix[name]:,}" for name in ("eligible", "incomplete", "ineligible"))
        + f"; scored pairs {sum(1 for _, score in ours if score is not None):,}"
    )
    return 0 if agreed == pairs and detail_agreed == pairs else 1


if __name__ == "__main__":
    sys.exit(main())
