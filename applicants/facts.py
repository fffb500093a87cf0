"""A company profile as the engine's facts (DESIGN §4): one definition for every reader."""

from collections.abc import Iterable
from typing import Any


def profile_facts(
    *,
    country: str | None,
    sectors: Iterable[str],
    partner_countries: Iterable[str],
    partners_declared: bool,
    trl: int | None,
    has_demo: bool | None,
    employees: int | None,
    founded_year: int | None,
    prior_pilots: int | None,
) -> dict[str, Any]:
    """The engine's facts; ``None`` or an absent key means unknown.

    Every company works in some sector, so no sectors means that section is not filled in yet.
    Partners are unknown until declared, even when the declaration is "none"; a company that has
    partners has declared them.
    """
    partner_codes = sorted(set(partner_countries))
    facts: dict[str, Any] = {
        "country": country or None,
        "sectors": sorted(sectors) or None,
        "trl": trl,
        "has_demo": has_demo,
        "employees": employees,
        "founded_year": founded_year,
        "prior_pilots": prior_pilots,
    }
    if partners_declared or partner_codes:
        facts["partner_countries"] = partner_codes
    return facts
