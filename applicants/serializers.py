"""Serializers of the companies API and of token sign-in.

Input and output are separate. Facts fields reuse the eligibility endpoint's builders
(``matchmaker.serializers.fact_field``), so a TRL, a country or a sector is validated the same
way whether it is checked anonymously or saved on a profile. Input is strict: JSON types are not
coerced ("5" is not a TRL), and a key the serializer does not accept is a 400 naming it, whether
it is a system field (read-only) or unknown. Rejecting rather than ignoring tells an integrator at
once that the field they wrote did not land.
"""

import copy
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applicants.models import Company, CompanyMembership, Partner
from matchmaker.engine import FACTS
from matchmaker.serializers import StrictBooleanField, country_codes, fact_field
from programs.models import Sector
from programs.serializers import EnumField

# The portable range of PositiveIntegerField (PostgreSQL's integer); SQLite would take more, and
# the API should not accept on one database what it refuses on the other.
_MAX_POSITIVE_INTEGER = 2_147_483_647


def _check_length_as_sent(field: serializers.CharField, data: str) -> None:
    """The schema's maxLength counts the string as sent; DRF counts it after trimming the
    whitespace around it, and would take 201 characters of which one is a trailing space."""
    if field.max_length is not None and len(data) > field.max_length:
        field.fail("max_length", max_length=field.max_length)


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's CharField would turn 12 into "12"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        _check_length_as_sent(self, data)
        value: str = super().to_internal_value(data)
        return value


class StrictURLField(serializers.URLField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        _check_length_as_sent(self, data)
        value: str = super().to_internal_value(data)
        return value


def _fact(name: str, **overrides: Any) -> serializers.Field[Any, Any, Any, Any]:
    """The eligibility endpoint's field for the fact ``name``, rebuilt with ``overrides``.

    Rebuilt from its constructor's arguments rather than changed after construction: DRF copies
    a field by calling its constructor again with those arguments, which would silently drop a
    changed attribute. They are deep-copied because a list's child is bound to its first list.
    """
    base = fact_field(FACTS[name])
    # Field.__new__ keeps the constructor's arguments for exactly this; the stubs omit them.
    arguments = copy.deepcopy(base._kwargs)  # type: ignore[attr-defined]
    return type(base)(*base._args, **{**arguments, **overrides})  # type: ignore[attr-defined]


class StrictInputSerializer(serializers.Serializer[Any]):
    """Rejects every key it does not declare, all of them in one 400 with the other errors.

    A key the ``representation`` (the output serializer's fields) shows but this serializer does
    not accept is a system field: it gets "read-only" rather than "unknown", saying why.
    """

    representation: ClassVar[Sequence[str]] = ()
    # A nested object (a partner in a list) is always written whole. DRF skips the missing
    # required fields of every serializer under a partial update's root, so it would let a
    # partner without a name through to the database.
    whole: ClassVar[bool] = False

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        undeclared = (
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
        if self.whole and isinstance(data, Mapping):
            for name, field in self.fields.items():
                if field.required and name not in data:
                    errors[name] = [field.error_messages["required"]]
        for key in undeclared:
            if key in self.representation:
                errors[key] = [gettext("This field is read-only.")]
            else:
                errors[key] = [
                    gettext("Unknown field. The fields you can write are: %(fields)s.")
                    % {"fields": ", ".join(self.fields)}
                ]
        if errors:
            raise serializers.ValidationError(errors)
        return validated


class StrictInputSerializerExtension(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """Tells the schema what the serializer enforces: no keys beyond its fields."""

    target_class = StrictInputSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(
            self.target, direction, bypass_extensions=True
        )
        return {**schema, "additionalProperties": False}


# --- token sign-in ---------------------------------------------------------------------------


class CredentialsSerializer(StrictInputSerializer):
    email = serializers.EmailField(help_text=_("The email address the account signs in with."))
    password = StrictCharField(
        trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(
        read_only=True,
        help_text=_('Send it on every request as the header "Authorization: Token <token>".'),
    )


# --- companies -------------------------------------------------------------------------------


class PartnerSerializer(serializers.ModelSerializer[Partner]):
    country = EnumField(enum_name="CountryCode", choices=country_codes(), read_only=True)

    class Meta:
        model = Partner
        fields = ["name", "country"]
        read_only_fields = fields


class PartnerWriteSerializer(StrictInputSerializer):
    whole = True

    name = StrictCharField(max_length=200)
    country = EnumField(
        enum_name="CountryCode",
        choices=country_codes(),
        help_text=_("Where the partner is registered: ISO 3166-1 alpha-2 code, e.g. RU."),
    )


@extend_schema_field(
    {"anyOf": [{"type": "string", "format": "uri"}, {"type": "string", "maxLength": 0}]}
)
class LinkField(serializers.URLField):
    """A company's link as it reads: a URL, or "" when none was given.

    Declared because a read-only model field loses allow_blank, and the schema would then
    promise a URL. anyOf, not drf-spectacular's oneOf: a validator that ignores formats takes
    "" for a URL too, and would find it matching both.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("Empty when not given."))
        super().__init__(allow_blank=True, **kwargs)


class CompanySerializer(serializers.ModelSerializer[Company]):
    """A vendor company as its members see it."""

    # Expects a company from companies_with_role(): sectors and partners prefetched and the
    # reader's role annotated. Anything else costs queries per company.

    # Null for a company saved without one (before the country was required): unknown, as the
    # other facts are when not stated.
    country = EnumField(
        enum_name="CountryCode", choices=country_codes(), read_only=True, allow_null=True
    )
    website = LinkField(read_only=True)
    demo_url = LinkField(read_only=True, label=_("Demo link"))
    sectors: serializers.SlugRelatedField[Sector] = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text=_("Sector codes of the catalog's taxonomy, e.g. mobility."),
    )
    trl = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        min_value=1,
        max_value=9,
        help_text=_("Technology readiness level, 1-9; null when not stated."),
    )
    partners = PartnerSerializer(many=True, read_only=True)
    partners_declared = serializers.BooleanField(
        read_only=True,
        help_text=_(
            "True once the partner list has been written, even empty: an empty list is then "
            "known to mean no partners."
        ),
    )
    profile_version = serializers.IntegerField(
        read_only=True, help_text=_("Rises on every change to the company's facts.")
    )
    role = EnumField(
        enum_name="CompanyRole",
        choices=CompanyMembership.Role.choices,
        read_only=True,
        help_text=_("Your role in the company's team."),
    )

    class Meta:
        model = Company
        fields = [
            "id",
            "legal_name",
            "country",
            "registration_id",
            "website",
            "founded_year",
            "employees",
            "sectors",
            "trl",
            "has_demo",
            "demo_url",
            "description",
            "prior_pilots",
            "discoverable",
            "partners",
            "partners_declared",
            "profile_version",
            "role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CompanyWriteSerializer(StrictInputSerializer):
    """A company's writable fields. On create ``legal_name`` and ``country`` are required;
    on update every field is optional and only the given ones change."""

    representation = CompanySerializer.Meta.fields

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Built per serializer, as FactsSerializer does, so the facts' labels are translated
        # into the request's language.
        return {
            "legal_name": StrictCharField(max_length=200),
            "country": _fact("country", required=True, allow_null=False),
            "registration_id": StrictCharField(max_length=64, required=False, allow_blank=True),
            "website": StrictURLField(max_length=200, required=False, allow_blank=True),
            "founded_year": _fact("founded_year"),
            "employees": _fact("employees", max_value=_MAX_POSITIVE_INTEGER),
            "sectors": _fact("sectors", allow_null=False),
            "trl": _fact("trl"),
            "has_demo": _fact("has_demo"),
            "demo_url": StrictURLField(max_length=200, required=False, allow_blank=True),
            "description": StrictCharField(required=False, allow_blank=True),
            "prior_pilots": _fact("prior_pilots", max_value=_MAX_POSITIVE_INTEGER),
            "discoverable": StrictBooleanField(
                required=False,
                help_text=gettext("Consent to be shown to program staff before applying."),
            ),
            "partners": serializers.ListField(
                child=PartnerWriteSerializer(),
                required=False,
                help_text=gettext(
                    "Replaces every partner. An empty list records that the company has none, "
                    "which rules can then rely on."
                ),
            ),
        }

    def validate_sectors(self, codes: list[str]) -> list[Sector]:
        # The codes are known (SectorCodeField); the services take sectors.
        return list(Sector.objects.filter(code__in=codes))
