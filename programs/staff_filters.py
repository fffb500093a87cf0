"""Filters of the staff workspace's lists, shared by the pages, the CSV export and the staff API."""

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from applicants.models import Application
from matchmaker.engine import Eligibility
from matchmaker.models import Match
from matchmaker.scoring import RANKS
from programs.filters import PlainSelect
from programs.models import Program, Sector, Stage


class CountrySelect(PlainSelect):
    """The country filter's select, its ~250 options written out once per language and kept for
    the process: through Django's per-option templates they cost about half of the staff's
    matches page. Only for choices that depend on nothing but the language (the country names
    and the empty label)."""

    _options: ClassVar[dict[str, str]] = {}

    def options_html(self) -> str:
        language = translation.get_language() or ""
        options = self._options.get(language)
        if options is None:
            options = self._options[language] = super().options_html()
        return options


class StaffMatchFilter(django_filters.FilterSet):
    eligibility = django_filters.ChoiceFilter(
        label=_("Eligibility"),
        choices=[
            (Match.Eligibility.ELIGIBLE, Match.Eligibility.ELIGIBLE.label),
            (Match.Eligibility.INCOMPLETE, Match.Eligibility.INCOMPLETE.label),
        ],
        empty_label=_("Eligible or incomplete"),
        widget=PlainSelect,
        method="filter_eligibility",
    )
    min_score = django_filters.NumberFilter(
        label=_("Minimum score"),
        field_name="score",
        lookup_expr="gte",
        min_value=0,
        max_value=100,
        help_text=_("0 to 100."),
    )
    sector = django_filters.ModelChoiceFilter(
        label=_("Sector"),
        field_name="company__sectors",
        queryset=Sector.objects.order_by("name"),
        to_field_name="code",
        empty_label=_("All sectors"),
        widget=PlainSelect,
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        field_name="company__country",
        choices=countries,
        empty_label=_("All countries"),
        help_text=_("Where the company is registered."),
        widget=CountrySelect,
    )

    class Meta:
        model = Match
        fields: list[str] = []

    def filter_eligibility(
        self, queryset: QuerySet[Match], name: str, value: str
    ) -> QuerySet[Match]:
        # By rank, which a constraint ties to eligibility: rank leads the program's ranking index
        # and eligibility is in no index, so the database reads only the rows asked for.
        return queryset.filter(rank=RANKS[Eligibility(value)])


class StageChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        # The stage's own name: its __str__ names the program too, which costs a query each.
        return str(obj.name)


class StageFilter(django_filters.ModelChoiceFilter):
    field_class = StageChoiceField


SORTS = {
    "newest": (F("submitted_at").desc(), "-pk"),
    "oldest": (F("submitted_at").asc(), "pk"),
    "score": (F("auto_score").desc(nulls_last=True), "company__legal_name", "pk"),
    "company": ("company__legal_name", "pk"),
}


class StaffApplicationFilter(django_filters.FilterSet):
    """Needs the ``program``: its stages are the stage filter's choices."""

    stage = StageFilter(
        label=_("Stage"),
        queryset=Stage.objects.none(),
        empty_label=_("All stages"),
        widget=PlainSelect,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            (status.value, status.label)
            for status in Application.Status
            if status != Application.Status.DRAFT
        ],
        empty_label=_("Any status"),
        widget=PlainSelect,
    )
    eligibility = django_filters.ChoiceFilter(
        label=_("Eligibility at submission"),
        field_name="eligibility_at_submission__eligibility",
        choices=Match.Eligibility.choices,
        empty_label=_("Any eligibility"),
        widget=PlainSelect,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        method="sort_by",
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("score", _("Highest automatic score first")),
            ("company", _("Company name")),
        ],
        # No empty choice: newest first is the default, and the list's own order.
        empty_label=None,
        widget=PlainSelect,
    )

    class Meta:
        model = Application
        fields: list[str] = []

    def __init__(self, *args: Any, program: Program | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if program is not None:
            self.filters["stage"].queryset = Stage.objects.filter(program=program).order_by("order")

    def sort_by(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.order_by(*SORTS[value])
