"""Catalog filters, shared by the public list page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from programs.models import Program, Sector


class ProgramFilter(django_filters.FilterSet):
    sector = django_filters.ModelChoiceFilter(
        label=_("Sector"),
        field_name="sectors",
        queryset=Sector.objects.order_by("name"),
        to_field_name="code",
        empty_label=_("All sectors"),
    )
    city = django_filters.CharFilter(
        label=_("City"), method="filter_city", help_text=_("Owner or buyer city.")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            (Program.Status.OPEN, Program.Status.OPEN.label),
            (Program.Status.CLOSED, Program.Status.CLOSED.label),
            (Program.Status.ARCHIVED, Program.Status.ARCHIVED.label),
        ],
        empty_label=_("Any status"),
    )
    agency = django_filters.CharFilter(
        label=_("Agency"), method="filter_agency", help_text=_("Owner or buyer agency slug.")
    )

    class Meta:
        model = Program
        fields = ["sector", "city", "status", "agency", "kind", "intake"]

    def filter_city(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Program.owner_or_buyer_q("city__iexact", value.strip())).distinct()

    def filter_agency(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Program.owner_or_buyer_q("slug", value.strip())).distinct()
