"""The facts a rule can ask about, and how each is read from a company profile.

One registry (`FACTS`) says, for every fact, its type, its label and its bounds; a new fact is one
entry. `read_facts` turns a profile (a plain mapping, as the Django side or an API client gives
it) into a `FactsRecord`: a tuple with one slot per fact, in registry order, holding either a
clean value or `MISSING`. Reading never raises: anything of the wrong shape is simply unknown.
"""

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final, Literal, NewType


def gettext_noop(message: str) -> str:
    """Marks a label for `makemessages`; `Wording.gettext` translates it when it is shown."""
    return message


class FactType(enum.StrEnum):
    COUNTRY = "country"  # one ISO 3166-1 alpha-2 code
    COUNTRIES = "countries"  # a set of such codes
    SECTORS = "sectors"  # a set of sector codes
    INTEGER = "integer"
    BOOLEAN = "boolean"


class _Missing(enum.Enum):
    MISSING = "missing"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing.MISSING
"""Stands in a `FactsRecord` slot for a fact the profile does not tell (absent, None, malformed)."""

Missing = Literal[_Missing.MISSING]

FactsRecord = NewType("FactsRecord", tuple[Any, ...])
"""One value per fact, indexed by `Fact.slot`; sets are frozensets, country codes upper case."""


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    type: FactType
    label: str  # English msgid, marked with gettext_noop; translate it before showing it
    minimum: int | None = None  # integer facts only; None means unbounded
    maximum: int | None = None
    # False for facts a vendor cannot change by acting (where it is registered, when it was
    # founded); a fix asking for them is a last resort, so fix selection ranks it last.
    changeable: bool = True
    slot: int = -1  # position in FactsRecord, assigned by the registry

    def read(self, raw: Any) -> Any:
        """The profile value `raw` as this fact holds it, or `MISSING` when it does not fit."""
        return _READERS[self.type](self, raw)

    def within_bounds(self, number: int) -> bool:
        return (self.minimum is None or number >= self.minimum) and (
            self.maximum is None or number <= self.maximum
        )


def _read_code(raw: Any) -> str | Missing:
    if isinstance(raw, str) and len(raw) == 2 and raw.isascii() and raw.isalpha():
        return raw.upper()
    return MISSING


def _read_country(fact: Fact, raw: Any) -> str | Missing:
    return _read_code(raw)


def _read_countries(fact: Fact, raw: Any) -> frozenset[str] | Missing:
    # A string is iterable too, but "RU" is not a set of countries: only real collections count.
    if not isinstance(raw, list | tuple | set | frozenset):
        return MISSING
    codes = []
    for item in raw:
        code = _read_code(item)
        if code is MISSING:
            # One unreadable entry makes the whole set untrustworthy: report it unknown rather
            # than pass or fail a rule on a partial list.
            return MISSING
        codes.append(code)
    return frozenset(codes)


def _read_sectors(fact: Fact, raw: Any) -> frozenset[str] | Missing:
    if not isinstance(raw, list | tuple | set | frozenset):
        return MISSING
    if not all(isinstance(item, str) and item for item in raw):
        return MISSING
    return frozenset(raw)


def _read_integer(fact: Fact, raw: Any) -> int | Missing:
    # bool is an int subclass; True employees is a bug upstream, not the number 1.
    if isinstance(raw, bool):
        return MISSING
    if isinstance(raw, float):
        if not raw.is_integer():  # also rejects nan and inf
            return MISSING
        raw = int(raw)
    if not isinstance(raw, int) or not fact.within_bounds(raw):
        return MISSING
    return raw


def _read_boolean(fact: Fact, raw: Any) -> bool | Missing:
    return raw if isinstance(raw, bool) else MISSING


_READERS: Final[Mapping[FactType, Callable[[Fact, Any], Any]]] = {
    FactType.COUNTRY: _read_country,
    FactType.COUNTRIES: _read_countries,
    FactType.SECTORS: _read_sectors,
    FactType.INTEGER: _read_integer,
    FactType.BOOLEAN: _read_boolean,
}

_REGISTRY: Final = (
    Fact("country", FactType.COUNTRY, gettext_noop("Country of registration"), changeable=False),
    Fact("partner_countries", FactType.COUNTRIES, gettext_noop("Partner countries")),
    Fact("sectors", FactType.SECTORS, gettext_noop("Sectors")),
    Fact("trl", FactType.INTEGER, gettext_noop("TRL"), minimum=1, maximum=9),
    Fact("has_demo", FactType.BOOLEAN, gettext_noop("Working demo")),
    Fact("employees", FactType.INTEGER, gettext_noop("Number of employees"), minimum=0),
    Fact(
        "founded_year",
        FactType.INTEGER,
        gettext_noop("Year founded"),
        minimum=1800,
        maximum=2100,
        changeable=False,
    ),
    Fact("prior_pilots", FactType.INTEGER, gettext_noop("Number of prior pilots"), minimum=0),
)

FACTS: Final[Mapping[str, Fact]] = MappingProxyType(
    {fact.name: replace(fact, slot=slot) for slot, fact in enumerate(_REGISTRY)}
)

# Bound once so read_facts does no per-fact dispatch on the type.
_SLOTS: Final = tuple((fact.name, fact, _READERS[fact.type]) for fact in FACTS.values())
_NOTHING_KNOWN: Final = FactsRecord((MISSING,) * len(_SLOTS))


def read_facts(profile: Mapping[str, Any]) -> FactsRecord:
    """The facts of `profile` in slot order; never raises, whatever the profile holds.

    A key that is absent, None or of the wrong shape reads as `MISSING`. An empty list of partner
    countries or sectors is known (the company has none), not missing.
    """
    if not isinstance(profile, Mapping):
        return _NOTHING_KNOWN
    values = []
    for name, fact, reader in _SLOTS:
        try:
            raw = profile.get(name)
        except Exception:  # a hostile Mapping must not break scoring: its value is unknown
            raw = None
        values.append(MISSING if raw is None else reader(fact, raw))
    return FactsRecord(tuple(values))
