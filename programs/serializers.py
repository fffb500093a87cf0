"""Output serializers of the catalog API: programs as integrators read them.

Read-only by design: programs are written by staff through the workspace, never through these.
"""

import datetime
import re
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matchmaker.engine import (
    CriterionKind,
    CriterionSpec,
    RequirementSpec,
    Wording,
    describe_criterion,
    describe_requirement,
)
from programs.models import Agency, Challenge, Program, Sector, Stage
from programs.rules import ruleset_for

# What a slug in a URL can be (Django's <slug:> converter): nothing to quote.
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


class EnumField(serializers.ChoiceField):
    """A choice field whose choice set is one named enum component of the OpenAPI schema.

    drf-spectacular names an enum after its field. ``kind`` is a program kind in one place and a
    criterion kind in another, and ``country`` and ``partner_countries`` share one set, which it
    can only resolve with a warning; naming the set here makes every use of it one component.
    """

    def __init__(self, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        if value is None or str(value) == "":
            # No choice made: a CountryField without a country reads as Country(code=""), which
            # DRF would hand to the JSON encoder as it is. Null where the field allows it.
            return None if self.allow_null else ""
        return super().to_representation(value)


class EnumFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = EnumField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field: EnumField = self.target
        schema: dict[str, Any] = {"type": "string", "enum": list(field.choices)}
        component = ResolvedComponent(  # type: ignore[no-untyped-call]
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema=schema,
        )
        auto_schema.registry.register_on_missing(component)
        ref: dict[str, Any] = component.ref
        return ref


class LocalDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime with the offset of the program's time zone, not the server's.

    Deadlines are set in the city's local time; a reader should see "closes 18:00+03:00", the
    moment as the agency announced it.
    """

    def __init__(
        self,
        *,
        zone: Callable[[Any], zoneinfo.ZoneInfo],
        value: Callable[[Any], datetime.datetime | None] | None = None,
        **kwargs: Any,
    ) -> None:
        """``zone`` gives the time zone of an instance; ``value``, if given, reads the datetime
        from the instance instead of ``source``."""
        self.zone = zone
        self.value = value
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> datetime.datetime | None:
        value: datetime.datetime | None = (
            self.value(instance) if self.value is not None else super().get_attribute(instance)
        )
        if value is None:
            return None
        return value.astimezone(self.zone(instance))

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        # Already in the program's zone (get_attribute); DRF would move it to the server's.
        return value


def _program_zone(program: Program) -> zoneinfo.ZoneInfo:
    return program.time_zone


def _next_deadline_from_stages(program: Program) -> datetime.datetime | None:
    """program_catalog's ``next_deadline`` rule, read from the prefetched stages."""
    now = timezone.now()
    upcoming = [
        stage.closes_at
        for stage in program.stages.all()
        if stage.closes_at is not None and stage.closes_at > now
    ]
    return min(upcoming, default=None)


def _stage_zone(stage: Stage) -> zoneinfo.ZoneInfo:
    # The stages are prefetched from their program, which Django sets on each of them.
    return stage.program.time_zone


class ErrorSerializer(serializers.Serializer[Any]):
    """DRF's error body for a request that is not about bad fields (404, 429, ...)."""

    detail = serializers.CharField(read_only=True)


class AgencySerializer(serializers.ModelSerializer[Agency]):
    country = serializers.CharField(
        source="country.code", read_only=True, help_text=_("ISO 3166-1 alpha-2 code.")
    )
    time_zone = serializers.CharField(
        read_only=True, help_text=_("IANA time zone, e.g. Europe/Moscow.")
    )

    class Meta:
        model = Agency
        fields = ["slug", "name", "city", "country", "time_zone"]
        read_only_fields = fields


class SectorSerializer(serializers.ModelSerializer[Sector]):
    class Meta:
        model = Sector
        fields = ["code", "name"]
        read_only_fields = fields


class BudgetSerializer(serializers.Serializer[Program]):
    # Read from the program itself (source="*"); null when it has no budget. (No docstring: it
    # would become the schema's description of the component.)

    amount = serializers.DecimalField(
        source="budget_amount",
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text=_('A decimal number written as a string, e.g. "7680000.00".'),
    )
    currency = serializers.CharField(
        source="budget_currency", read_only=True, help_text=_("ISO 4217 code, e.g. EUR.")
    )

    def to_representation(self, instance: Program) -> Any:
        if instance.budget_amount is None:
            return None
        return super().to_representation(instance)


class ProgramUrlField(serializers.HyperlinkedIdentityField):
    """The program's API address, reversed once per response and completed with each slug:
    reversing it for every program of a page costs more than the rest of its fields."""

    MARKER = "__slug__"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._templates: dict[tuple[str, str | None], str] = {}

    def get_url(self, obj: Any, view_name: str, request: Any, format: str | None) -> Any:
        slug = getattr(obj, self.lookup_field, None)
        if not isinstance(slug, str) or not SLUG.fullmatch(slug):
            return super().get_url(obj, view_name, request, format)
        template = self._templates.get((view_name, format))
        if template is None:
            template = self._templates[(view_name, format)] = self.reverse(
                view_name,
                kwargs={self.lookup_url_kwarg: self.MARKER},
                request=request,
                format=format,
            )
        return template.replace(self.MARKER, slug, 1)


NEXT_DEADLINE_HELP = _(
    "The earliest stage closing still ahead, in the program's time zone; null when no stage "
    "closes later."
)


class ProgramSerializer(serializers.ModelSerializer[Program]):
    """A published program of a city agency, as the catalog lists it."""

    # Expects a program from program_catalog() or program_detail(): owner joined, sectors and
    # buyers prefetched as lists, next_deadline annotated. Anything else costs queries per program.

    kind = EnumField(enum_name="ProgramKind", choices=Program.Kind.choices, read_only=True)
    intake = EnumField(enum_name="ProgramIntake", choices=Program.Intake.choices, read_only=True)
    status = EnumField(
        enum_name="ProgramStatus",
        choices=[choice for choice in Program.Status.choices if choice[0] != "draft"],
        read_only=True,
    )
    owner = AgencySerializer(read_only=True)
    buyers = AgencySerializer(
        source="buyer_list",
        many=True,
        read_only=True,
        help_text=_("Agencies that run the program with the owner."),
    )
    sectors = SectorSerializer(source="sector_list", many=True, read_only=True)
    budget = BudgetSerializer(source="*", read_only=True, allow_null=True)
    languages = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_('Languages applications are accepted in, e.g. ["en", "ru"].'),
    )
    next_deadline = LocalDateTimeField(
        zone=_program_zone,
        allow_null=True,
        help_text=NEXT_DEADLINE_HELP,
    )
    rules_version = serializers.IntegerField(
        read_only=True, help_text=_("Bumped on every change to the program's rules.")
    )
    url = ProgramUrlField(view_name="api:program-detail", lookup_field="slug", read_only=True)

    class Meta:
        model = Program
        fields = [
            "slug",
            "title",
            "summary",
            "kind",
            "intake",
            "status",
            "owner",
            "buyers",
            "sectors",
            "budget",
            "languages",
            "next_deadline",
            "rules_version",
            "url",
        ]
        read_only_fields = fields


class StageSerializer(serializers.ModelSerializer[Stage]):
    opens_at = LocalDateTimeField(zone=_stage_zone, allow_null=True)
    closes_at = LocalDateTimeField(zone=_stage_zone, allow_null=True)
    budget = serializers.DecimalField(
        source="budget_amount",
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        help_text=_("In the program's budget currency; a decimal number written as a string."),
    )

    class Meta:
        model = Stage
        fields = [
            "order",
            "name",
            "description",
            "opens_at",
            "closes_at",
            "budget",
            "max_participants",
        ]
        read_only_fields = fields


class ChallengeSerializer(serializers.ModelSerializer[Challenge]):
    sector = SectorSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Challenge
        fields = ["title", "description", "sector"]
        read_only_fields = fields


class _WordedSerializer(serializers.Serializer[Any]):
    # Words rules with the engine's wording (translations, country and sector names), which the
    # view puts in the context once per response.

    @property
    def wording(self) -> Wording:
        words: Wording = self.context["wording"]
        return words


class RequirementSerializer(_WordedSerializer):
    """One condition on one fact of a company's profile."""

    fact = serializers.CharField(read_only=True)
    operator = serializers.CharField(read_only=True)
    value = serializers.JSONField(
        read_only=True, help_text=_("The operator's argument: a code, a number, a list, or null.")
    )
    hint = serializers.CharField(
        read_only=True, help_text=_("The agency's advice on how to meet the requirement.")
    )
    description = serializers.SerializerMethodField(
        help_text=_("The requirement in plain language, in the request's language.")
    )

    def get_description(self, requirement: RequirementSpec) -> str:
        return str(describe_requirement(requirement, self.wording))


class GroupSerializer(_WordedSerializer):
    """Requirements that must all pass together."""

    requirements = RequirementSerializer(
        many=True,
        read_only=True,
        help_text=_("The group passes when all of its requirements pass."),
    )


class CriterionSerializer(_WordedSerializer):
    """A gate (must pass to be eligible) or a weighted award criterion."""

    key = serializers.CharField(read_only=True)
    kind = EnumField(
        enum_name="CriterionKind",
        choices=[(kind.value, kind.value) for kind in CriterionKind],
        read_only=True,
        help_text=_("gate: must pass to be eligible; award: adds to the score."),
    )
    # The metaclass pops declared fields, so these shadow Field.label/help_text only in stubs.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    weight = serializers.SerializerMethodField(
        help_text=_("Relative weight in the score of an award criterion; null for gates.")
    )
    help_text = serializers.CharField(read_only=True)  # type: ignore[assignment]
    description = serializers.SerializerMethodField(
        help_text=_("The criterion in plain language, in the request's language.")
    )
    groups = GroupSerializer(
        many=True,
        read_only=True,
        help_text=_("The criterion passes when any of its groups passes."),
    )

    def get_weight(self, criterion: CriterionSpec) -> float | None:
        return criterion.weight if criterion.kind == CriterionKind.AWARD else None

    def get_description(self, criterion: CriterionSpec) -> str:
        return str(describe_criterion(criterion, self.wording))


class ProgramDetailSerializer(ProgramSerializer):
    """A published program with its stages, challenges and eligibility and award rules."""

    # Expects a program from program_detail() (rules, stages and challenges prefetched) and a
    # "wording" in the context.

    next_deadline = LocalDateTimeField(
        zone=_program_zone,
        value=_next_deadline_from_stages,
        source="*",
        allow_null=True,
        help_text=NEXT_DEADLINE_HELP,
    )
    stages = StageSerializer(many=True, read_only=True)
    challenges = ChallengeSerializer(many=True, read_only=True)
    criteria = serializers.SerializerMethodField()

    class Meta(ProgramSerializer.Meta):
        fields = [*ProgramSerializer.Meta.fields, "stages", "challenges", "criteria"]
        read_only_fields = fields

    @extend_schema_field(CriterionSerializer(many=True))
    def get_criteria(self, program: Program) -> list[dict[str, Any]]:
        criteria: Iterable[CriterionSpec] = ruleset_for(program).criteria
        return list(CriterionSerializer(criteria, many=True, context=self.context).data)
