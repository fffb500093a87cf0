"""Rules, fixes and rule problems in plain language, for vendors and staff.

Pure: everything language- or data-specific comes in through `Wording` (Django's gettext and
ngettext, country names from django-countries, sector names from the database). Every message is
a literal inside `_()` or `ngettext()` with named placeholders, so `makemessages` extracts it and
a translator can reorder the parts.

Phrases are generic per fact type, built on the fact's label, so a new fact reads sensibly with
no change here; a few facts get a more natural phrase ("Registered in Russia" rather than "Country
of registration is Russia").
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from matchmaker.engine.facts import FACTS, Fact, FactType
from matchmaker.engine.operators import Outcome
from matchmaker.engine.results import Fix
from matchmaker.engine.rules import CriterionKind, CriterionSpec, RequirementSpec
from matchmaker.engine.validation import RuleProblem, validate_requirement


def _identity(text: str) -> str:
    return text


def _english_plural(singular: str, plural: str, number: int) -> str:
    return singular if number == 1 else plural


@dataclass(frozen=True)
class Wording:
    gettext: Callable[[str], str] = _identity
    ngettext: Callable[[str, str, int], str] = _english_plural
    country_name: Callable[[str], str] = _identity
    sector_name: Callable[[str], str] = _identity


PLAIN = Wording()


def _mid_sentence(text: str) -> str:
    """`text` as it reads after the start of a sentence: "A partner…" becomes "a partner…".

    An acronym keeps its capitals ("TRL at least 6"). This is English casing; it suits the
    languages we ship, and a language that capitalises nouns can avoid it by translating labels
    and phrases so they start with a word that is lower case mid-sentence anyway.
    """
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _listed(names: Iterable[str]) -> str:
    return ", ".join(names)


def _params(fact: Fact, value: Any, wording: Wording) -> dict[str, str]:
    """Every placeholder a phrase about `fact` with `value` may use, already in words."""
    label = wording.gettext(fact.label)
    params = {"fact": label, "fact_mid": _mid_sentence(label)}
    if value is None:  # present, is_true, is_false
        return params
    items = list(value) if isinstance(value, list | tuple) else [value]
    if fact.type in (FactType.COUNTRY, FactType.COUNTRIES):
        names = [wording.country_name(code) for code in items]
        params.update(country=names[0], countries=_listed(names))
    elif fact.type is FactType.SECTORS:
        names = [wording.sector_name(code) for code in items]
        params.update(sector=names[0], sectors=_listed(names))
    elif fact.type is FactType.INTEGER:
        params.update(value=str(items[0]), values=_listed(str(item) for item in items))
        if len(items) == 2:
            params.update(low=str(items[0]), high=str(items[1]))
    return params


def _is_valid(spec: RequirementSpec) -> bool:
    # Words are only built for runnable rules; anything else is shown as the raw data, so that
    # describing a stale or broken rule never raises.
    return not validate_requirement(spec, kind=CriterionKind.AWARD, vocabulary=None)


def _raw(spec: RequirementSpec) -> str:
    return f"{spec.fact} {spec.operator} {spec.value!r}"


_ONE_VALUE_FORM = {"in": "eq", "not_in": "ne", "overlaps": "contains"}


def _single(spec: RequirementSpec) -> str:
    """The operator with a one-element list read as its one-value form: in [RU] is eq RU."""
    if isinstance(spec.value, list | tuple) and len(spec.value) == 1:
        return _ONE_VALUE_FORM.get(spec.operator, spec.operator)
    return spec.operator


def describe_requirement(spec: RequirementSpec, wording: Wording = PLAIN) -> str:
    """One requirement as a vendor reads it: "TRL at least 6", "A partner registered in Russia"."""
    _ = wording.gettext
    ngettext = wording.ngettext
    if not _is_valid(spec):
        return _raw(spec)
    fact = FACTS[spec.fact]
    p = _params(fact, spec.value, wording)
    operator = _single(spec)
    if operator == "present":
        if fact.name == "has_demo":
            return _("Says whether it has a working demo")
        return _("%(fact)s provided") % p
    if operator == "overlap_ratio":
        return _("The more of these %(fact_mid)s, the higher the score: %(sectors)s") % p
    if operator == "scale":
        return _("Higher %(fact_mid)s scores more (from %(low)s to %(high)s)") % p
    match fact.type, fact.name, operator:
        case FactType.COUNTRY, "country", "eq":
            return _("Registered in %(country)s") % p
        case FactType.COUNTRY, "country", "in":
            return _("Registered in one of: %(countries)s") % p
        case FactType.COUNTRY, "country", "ne":
            return _("Not registered in %(country)s") % p
        case FactType.COUNTRY, "country", "not_in":
            return _("Not registered in any of: %(countries)s") % p
        case FactType.COUNTRY, _name, "eq":
            return _("%(fact)s is %(country)s") % p
        case FactType.COUNTRY, _name, "in":
            return _("%(fact)s is one of: %(countries)s") % p
        case FactType.COUNTRY, _name, "ne":
            return _("%(fact)s is not %(country)s") % p
        case FactType.COUNTRY, _name, "not_in":
            return _("%(fact)s is none of: %(countries)s") % p
        case FactType.COUNTRIES, "partner_countries", "contains":
            return _("A partner registered in %(country)s") % p
        case FactType.COUNTRIES, "partner_countries", "overlaps":
            return _("A partner registered in one of: %(countries)s") % p
        case FactType.COUNTRIES, _name, "contains":
            return _("%(fact)s include %(country)s") % p
        case FactType.COUNTRIES, _name, "overlaps":
            return _("%(fact)s include one of: %(countries)s") % p
        case FactType.SECTORS, "sectors", "contains":
            return _("Works in %(sector)s") % p
        case FactType.SECTORS, "sectors", "overlaps":
            return _("Works in at least one of: %(sectors)s") % p
        case FactType.SECTORS, _name, "contains":
            return _("%(fact)s include %(sector)s") % p
        case FactType.SECTORS, _name, "overlaps":
            return _("%(fact)s include one of: %(sectors)s") % p
        case FactType.INTEGER, "employees", "gte":
            count = spec.value
            return ngettext(
                "At least %(count)s employee", "At least %(count)s employees", count
            ) % {"count": count}
        case FactType.INTEGER, "prior_pilots", "gte":
            count = spec.value
            return ngettext(
                "At least %(count)s prior pilot", "At least %(count)s prior pilots", count
            ) % {"count": count}
        case FactType.INTEGER, "founded_year", "gte":
            return _("Founded in %(value)s or later") % p
        case FactType.INTEGER, "founded_year", "lte":
            return _("Founded in %(value)s or earlier") % p
        case FactType.INTEGER, _name, "eq":
            return _("%(fact)s is %(value)s") % p
        case FactType.INTEGER, _name, "in":
            return _("%(fact)s is one of: %(values)s") % p
        case FactType.INTEGER, _name, "ne":
            return _("%(fact)s is not %(value)s") % p
        case FactType.INTEGER, _name, "not_in":
            return _("%(fact)s is none of: %(values)s") % p
        case FactType.INTEGER, _name, "gte":
            return _("%(fact)s at least %(value)s") % p
        case FactType.INTEGER, _name, "lte":
            return _("%(fact)s at most %(value)s") % p
        case FactType.INTEGER, _name, "between":
            return _("%(fact)s between %(low)s and %(high)s") % p
        case FactType.BOOLEAN, "has_demo", "is_true":
            return _("Has a working demo")
        case FactType.BOOLEAN, "has_demo", "is_false":
            return _("Has no working demo")
        case FactType.BOOLEAN, _name, "is_true":
            return _("%(fact)s: yes") % p
        case FactType.BOOLEAN, _name, "is_false":
            return _("%(fact)s: no") % p
    return _raw(spec)


def describe_criterion(spec: CriterionSpec, wording: Wording = PLAIN) -> str:
    """The criterion's rule in one sentence: groups joined by "or", requirements by "and".

    "Registered in Russia, or a partner registered in Russia".
    """
    _ = wording.gettext
    groups = []
    for group in spec.groups:
        parts = [describe_requirement(requirement, wording) for requirement in group.requirements]
        text = parts[0] if parts else ""
        for part in parts[1:]:
            text = _("%(first)s and %(then)s") % {"first": text, "then": _mid_sentence(part)}
        groups.append(text)
    sentence = groups[0] if groups else ""
    for group_text in groups[1:]:
        sentence = _("%(first)s, or %(then)s") % {
            "first": sentence,
            "then": _mid_sentence(group_text),
        }
    return sentence


def _actual(fact: Fact, actual: Any, wording: Wording) -> str:
    _ = wording.gettext
    if isinstance(actual, bool):
        return _("yes") if actual else _("no")
    if fact.type is FactType.COUNTRY and isinstance(actual, str):
        return wording.country_name(actual)
    if isinstance(actual, frozenset | set | list | tuple):
        name = wording.sector_name if fact.type is FactType.SECTORS else wording.country_name
        return _listed(sorted(name(code) for code in actual)) or _("none")
    return str(actual)


def describe_fix(fix: Fix, wording: Wording = PLAIN) -> str:
    """What the vendor can do: "Add a partner registered in Russia", "Tell us your TRL"."""
    _ = wording.gettext
    spec = fix.requirement
    if not _is_valid(spec):
        return _raw(spec)
    fact = FACTS[spec.fact]
    p = _params(fact, spec.value, wording)
    operator = _single(spec)
    if Outcome(fix.outcome) is Outcome.UNKNOWN or operator == "present":
        if fact.name == "has_demo":
            return _("Tell us whether you have a working demo")
        if fact.type is FactType.BOOLEAN:
            return _("Answer: %(fact)s") % p
        return _("Tell us your %(fact_mid)s") % p
    p["actual"] = _actual(fact, fix.actual, wording)
    match fact.type, fact.name, operator:
        case FactType.COUNTRY, _name, "eq":
            return _("%(fact)s must be %(country)s — yours is %(actual)s") % p
        case FactType.COUNTRY, _name, "in":
            return _("%(fact)s must be one of: %(countries)s — yours is %(actual)s") % p
        case FactType.COUNTRY, _name, "ne":
            return _("%(fact)s must not be %(country)s") % p
        case FactType.COUNTRY, _name, "not_in":
            return _("%(fact)s must not be any of: %(countries)s — yours is %(actual)s") % p
        case FactType.COUNTRIES, "partner_countries", "contains":
            return _("Add a partner registered in %(country)s") % p
        case FactType.COUNTRIES, "partner_countries", "overlaps":
            return _("Add a partner registered in one of: %(countries)s") % p
        case FactType.COUNTRIES, _name, "contains":
            return _("Add %(country)s to your %(fact_mid)s") % p
        case FactType.COUNTRIES, _name, "overlaps":
            return _("Add one of these to your %(fact_mid)s: %(countries)s") % p
        case FactType.SECTORS, "sectors", "contains":
            return _("Add the sector %(sector)s") % p
        case FactType.SECTORS, "sectors", "overlaps":
            return _("Add one of these sectors: %(sectors)s") % p
        case FactType.SECTORS, _name, "contains":
            return _("Add %(sector)s to your %(fact_mid)s") % p
        case FactType.SECTORS, _name, "overlaps":
            return _("Add one of these to your %(fact_mid)s: %(sectors)s") % p
        case FactType.INTEGER, _name, "eq":
            return _("%(fact)s must be %(value)s — yours is %(actual)s") % p
        case FactType.INTEGER, _name, "in":
            return _("%(fact)s must be one of: %(values)s — yours is %(actual)s") % p
        case FactType.INTEGER, _name, "ne":
            return _("%(fact)s must not be %(value)s") % p
        case FactType.INTEGER, _name, "not_in":
            return _("%(fact)s must not be any of: %(values)s — yours is %(actual)s") % p
        case FactType.INTEGER, _name, "gte":
            return _("%(fact)s must be at least %(value)s — yours is %(actual)s") % p
        case FactType.INTEGER, _name, "lte":
            return _("%(fact)s must be at most %(value)s — yours is %(actual)s") % p
        case FactType.INTEGER, _name, "between":
            return _("%(fact)s must be between %(low)s and %(high)s — yours is %(actual)s") % p
        case FactType.BOOLEAN, "has_demo", "is_true":
            return _("Have a working demo")
        case FactType.BOOLEAN, "has_demo", "is_false":
            return _("Must not have a working demo")
        case FactType.BOOLEAN, _name, "is_true":
            return _("%(fact)s must be yes") % p
        case FactType.BOOLEAN, _name, "is_false":
            return _("%(fact)s must be no") % p
    # Award-only operators never produce fixes; describe the rule itself just in case.
    return describe_requirement(spec, wording)


def _fact_label(name: Any, wording: Wording) -> str:
    fact = FACTS.get(name) if isinstance(name, str) else None
    return wording.gettext(fact.label) if fact is not None else str(name)


def describe_problem(problem: RuleProblem, wording: Wording = PLAIN) -> str:
    """A staff-facing message for a rule problem, such as "“XX” is not a country code."."""
    _ = wording.gettext
    ngettext = wording.ngettext
    params = problem.params
    match problem.code:
        case "unknown_fact":
            return _("Unknown fact “%(fact)s”.") % {"fact": params.get("fact", "")}
        case "unknown_operator":
            return _("Unknown operator “%(operator)s”; use one of: %(allowed)s.") % {
                "operator": params.get("operator", ""),
                "allowed": _listed(params.get("allowed", ())),
            }
        case "operator_mismatch":
            return _("Operator “%(operator)s” does not fit %(fact)s; use one of: %(allowed)s.") % {
                "operator": params.get("operator", ""),
                "fact": _fact_label(params.get("fact"), wording),
                "allowed": _listed(params.get("allowed", ())),
            }
        case "award_only":
            return _(
                "Operator “%(operator)s” only scores award criteria; in a gate use one of: "
                "%(allowed)s."
            ) % {
                "operator": params.get("operator", ""),
                "allowed": _listed(params.get("allowed", ())),
            }
        case "value_not_expected":
            return _("Operator “%(operator)s” takes no value; leave it empty.") % {
                "operator": params.get("operator", "")
            }
        case "expected_list":
            return _("Enter a list of values.")
        case "expected_range":
            return _("Enter two whole numbers: the lower bound, then the upper bound.")
        case "empty_list":
            return _("Enter at least one value.")
        case "duplicate_values":
            values = [str(value) for value in params.get("values", ())]
            return ngettext(
                "Remove the repeated value: %(values)s.",
                "Remove the repeated values: %(values)s.",
                len(values),
            ) % {"values": _listed(values)}
        case "expected_country_code" | "unknown_country":
            code = params.get("code", params.get("value", ""))
            return _("“%(code)s” is not a country code.") % {"code": code}
        case "expected_sector_code" | "unknown_sector":
            code = params.get("code", params.get("value", ""))
            return _("“%(code)s” is not a sector code.") % {"code": code}
        case "expected_integer":
            return _("Enter a whole number, not “%(value)s”.") % {"value": params.get("value")}
        case "out_of_bounds":
            bounds = {
                "fact": _fact_label(params.get("fact"), wording),
                "minimum": params.get("minimum"),
                "maximum": params.get("maximum"),
            }
            if bounds["minimum"] is not None and bounds["maximum"] is not None:
                return _("%(fact)s must be between %(minimum)s and %(maximum)s.") % bounds
            if bounds["minimum"] is not None:
                return _("%(fact)s must be at least %(minimum)s.") % bounds
            return _("%(fact)s must be at most %(maximum)s.") % bounds
        case "range_reversed":
            return _("The lower bound (%(low)s) must not be above the upper bound (%(high)s).") % {
                "low": params.get("low"),
                "high": params.get("high"),
            }
        case "range_empty":
            return _("The lower bound must be below the upper bound; both are %(low)s.") % {
                "low": params.get("low")
            }
        case "invalid_weight":
            return _("Enter the weight as a number.")
        case "negative_weight":
            return _("The weight must be zero or more.")
        case "no_groups":
            return _("Add at least one group of requirements.")
        case "empty_group":
            return _("Group %(group)s has no requirements; add one or remove the group.") % {
                "group": params.get("group")
            }
    return _("This rule is not valid (%(code)s).") % {"code": problem.code}
