"""Serializers of the eligibility API: the facts a company states, and the verdict it gets back.

The input fields are generated from the engine's fact registry by fact type, so a new fact is
one registry entry and one more optional key here. Validation is strict about JSON types: "5" is
not a TRL and 1 is not a yes, because an integrator sending them has a bug we should tell them
about rather than guess around.
"""

import functools
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from matchmaker.engine import FACTS, CriterionKind, Eligibility, Fact, FactType, Outcome
from programs.models import Sector
from programs.serializers import EnumField, LocalDateTimeField


@functools.cache
def country_codes() -> tuple[str, ...]:
    """Every ISO 3166-1 alpha-2 code django-countries knows, sorted."""
    return tuple(sorted(code for code, _name in countries))


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: no numeric strings, no floats, no booleans."""

    def to_internal_value(self, data: Any) -> int:
        # bool is an int subclass in Python, but true is not a number in JSON.
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        value: int = super().to_internal_value(data)
        return value


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: not 1, "yes" or "true"."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class SectorCodeField(serializers.CharField):
    """A sector code on file. Loads the codes once per field, so a long list costs one query."""

    default_error_messages = {
        "unknown_sector": _("“{code}” is not a known sector code."),
    }

    def __init__(self, **kwargs: Any) -> None:
        self._known: frozenset[str] | None = None
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        code: str = super().to_internal_value(data)
        if self._known is None:
            self._known = frozenset(Sector.objects.values_list("code", flat=True))
        if code not in self._known:
            self.fail("unknown_sector", code=code)
        return code


def _integer_help(fact: Fact) -> str:
    if fact.minimum is not None and fact.maximum is not None:
        return gettext("A whole number from %(minimum)s to %(maximum)s.") % {
            "minimum": fact.minimum,
            "maximum": fact.maximum,
        }
    if fact.minimum is not None:
        return gettext("A whole number, at least %(minimum)s.") % {"minimum": fact.minimum}
    return gettext("A whole number.")


def fact_field(fact: Fact) -> serializers.Field[Any, Any, Any, Any]:
    """The input field for one fact of the registry: optional, and null means unknown."""
    label = gettext(fact.label)
    common: dict[str, Any] = {"required": False, "allow_null": True, "label": label}
    match fact.type:
        case FactType.COUNTRY:
            return EnumField(
                enum_name="CountryCode",
                choices=country_codes(),
                help_text=gettext("ISO 3166-1 alpha-2 code, e.g. TW."),
                **common,
            )
        case FactType.COUNTRIES:
            return serializers.ListField(
                child=EnumField(enum_name="CountryCode", choices=country_codes()),
                help_text=gettext(
                    "ISO 3166-1 alpha-2 codes; an empty list means none, which is known."
                ),
                **common,
            )
        case FactType.SECTORS:
            return serializers.ListField(
                child=SectorCodeField(),
                help_text=gettext("Sector codes of the catalog's taxonomy, e.g. mobility."),
                **common,
            )
        case FactType.INTEGER:
            return StrictIntegerField(
                min_value=fact.minimum,
                max_value=fact.maximum,
                help_text=_integer_help(fact),
                **common,
            )
        case FactType.BOOLEAN:
            return StrictBooleanField(help_text=gettext("true or false."), **common)
    raise AssertionError(f"no API field for fact type {fact.type!r}")  # pragma: no cover


class FactsSerializer(serializers.Serializer[Mapping[str, Any]]):
    """A company's facts; every key optional. Absent or null means unknown, which a rule
    never counts as met."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {name: fact_field(fact) for name, fact in FACTS.items()}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Reject unknown keys rather than drop them: a misspelt "trl_level" would otherwise
        # silently read as an unknown TRL. Reported with the other bad fields, all at once.
        unknown = (
            sorted(str(key) for key in data if key not in self.fields)
            if isinstance(data, Mapping)
            else []
        )
        errors: dict[str, Any] = {}
        validated: dict[str, Any] = {}
        try:
            validated = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):  # pragma: no cover - DRF always gives a dict
                raise
            errors.update(exc.detail)
        if unknown:
            message = gettext("Unknown fact. The known facts are: %(known)s.") % {
                "known": ", ".join(self.fields)
            }
            errors.update({key: [message] for key in unknown})
        if errors:
            raise serializers.ValidationError(errors)
        return validated


class FactsSerializerExtension(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """Tells the schema what the serializer enforces: no keys beyond the registry's facts."""

    target_class = FactsSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(
            self.target_class, direction, bypass_extensions=True
        )
        return {**schema, "additionalProperties": False}


class CriterionVerdictSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(read_only=True)
    # The metaclass pops declared fields, so this shadows Field.label only in the stubs.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    kind = EnumField(
        enum_name="CriterionKind",
        choices=[(kind.value, kind.value) for kind in CriterionKind],
        read_only=True,
        help_text=_("gate: must pass to be eligible; award: adds to the score."),
    )
    outcome = serializers.ChoiceField(
        choices=[(outcome.value, outcome.value) for outcome in Outcome],
        read_only=True,
        help_text=_("unknown: a fact the rule needs was not given."),
    )
    message = serializers.CharField(
        read_only=True, help_text=_("The rule in plain language, in the request's language.")
    )
    fixes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_(
            "For a gate that does not pass: the fewest changes that would pass it. Empty otherwise."
        ),
    )


class EligibilityReportSerializer(serializers.Serializer[Any]):
    program = serializers.SlugField(read_only=True, help_text=_("The program's slug."))
    eligibility = serializers.ChoiceField(
        choices=[(value.value, value.value) for value in Eligibility],
        read_only=True,
        help_text=_(
            "eligible: every gate passes; ineligible: a gate fails; incomplete: no gate fails "
            "but some cannot be decided without more facts."
        ),
    )
    score = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "0-100, the weighted mean of the award criteria; null when the program has none."
        ),
    )
    rules_version = serializers.IntegerField(
        read_only=True, help_text=_("The version of the rules this verdict was computed from.")
    )
    criteria = CriterionVerdictSerializer(many=True, read_only=True)


def _match_zone(view: Any) -> Any:
    return view.program.time_zone


class CompanyMatchSerializer(serializers.Serializer[Any]):
    """A stored match of one of your companies, as the background scorer computed it."""

    # Expects a MatchView of matchmaker.selectors: criteria worded in the request's language,
    # the program's owner joined for its time zone.

    program = serializers.SlugField(
        source="program.slug", read_only=True, help_text=_("The program's slug.")
    )
    program_title = serializers.CharField(source="program.title", read_only=True)
    eligibility = serializers.ChoiceField(
        source="match.eligibility",
        choices=[(value.value, value.value) for value in Eligibility],
        read_only=True,
        help_text=_(
            "eligible: every gate passes; incomplete: no gate fails but some cannot be decided "
            "without more facts; ineligible: exactly one gate fails (a near miss — programs "
            "missed by more are not listed)."
        ),
    )
    score = serializers.FloatField(
        source="match.score",
        read_only=True,
        allow_null=True,
        help_text=_(
            "0-100, the weighted mean of the award criteria; null when the program has none."
        ),
    )
    criteria = CriterionVerdictSerializer(many=True, read_only=True)
    rules_version = serializers.IntegerField(
        source="match.rules_version",
        read_only=True,
        help_text=_("The version of the program's rules this match was computed from."),
    )
    profile_version = serializers.IntegerField(
        source="match.profile_version",
        read_only=True,
        help_text=_("The version of the company's profile this match was computed from."),
    )
    computed_at = serializers.DateTimeField(source="match.computed_at", read_only=True)
    next_deadline = LocalDateTimeField(
        zone=_match_zone,
        allow_null=True,
        help_text=_(
            "The earliest stage closing still ahead, in the program's time zone; null when no "
            "stage closes later."
        ),
    )
    stale = serializers.BooleanField(
        source="is_stale",
        read_only=True,
        help_text=_(
            "True when the company's profile or the program's rules changed since this match "
            "was computed: a new one is on its way, usually within seconds."
        ),
    )
