"""Catalog filters, shared by the public list page and the API, and the filters' select."""

from typing import Any

import django_filters
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from programs.models import Program, Sector


class PlainSelect(forms.Select):
    """Django's ``Select`` with the same markup, its options written out in Python.

    Django renders a select through a template per option, which makes a filter form a good
    part of a list page's cost; a list of filters needs no more than value, label and which one
    is chosen. Flat choices only (no option groups), one value.
    """

    def options_html(self) -> str:
        """The options, none of them selected."""
        return format_html_join("", '<option value="{}">{}</option>', self.choices)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        options = self.options_html()
        for chosen in self.format_value(value)[:1]:
            option = format_html('<option value="{}">', chosen)
            options = options.replace(option, f"{option[:-1]} selected>", 1)
        return format_html(
            "<select{}>{}</select>",
            flatatt({"name": name, **self.build_attrs(self.attrs, attrs)}),
            SafeString(options),
        )


class ListedModelChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """Model choices read by one plain query. Django reads them through ``QuerySet.iterator()``,
    which on PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round trips
    for a list of two dozen rows."""

    def __iter__(self) -> Any:
        field = self.field
        if field.empty_label is not None:
            yield ("", field.empty_label)
        if field.null_label is not None:
            yield (field.null_value, field.null_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ListedModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ListedModelChoiceIterator


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedModelChoiceField


class ProgramFilter(django_filters.FilterSet):
    sector = ListedModelChoiceFilter(
        label=_("Sector"),
        field_name="sectors",
        queryset=Sector.objects.order_by("name"),
        to_field_name="code",
        empty_label=_("All sectors"),
        widget=PlainSelect,
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
        widget=PlainSelect,
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
