"""Django admin, for platform operators only. Agency staff get their own workspace.

Translated texts (``programs/translation.py``) are edited in every language side by side, as on
the staff's "Texts and languages" tab.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)

from programs.models import (
    Agency,
    Challenge,
    Criterion,
    Program,
    Requirement,
    RequirementGroup,
    Sector,
    StaffMembership,
    Stage,
)
from programs.rules import fact_choices, operator_choices
from programs.services import program_bump_rules_version

# A web address typed without a scheme is taken as https://, as on the company forms (and
# Django 6.0's default).
HTTPS_URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


@admin.register(Sector)
class SectorAdmin(TranslationAdmin[Sector]):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class StaffMembershipInline(admin.TabularInline[StaffMembership, Agency]):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(TranslationAdmin[Agency]):
    list_display = ["name", "city", "country", "time_zone"]
    list_filter = ["country"]
    search_fields = ["name", "city", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StaffMembershipInline]
    formfield_overrides = HTTPS_URL_FIELDS


class StageInline(TranslationTabularInline[Stage, Program]):
    model = Stage
    extra = 0


class ChallengeInline(TranslationStackedInline[Challenge, Program]):
    model = Challenge
    extra = 0


class CriterionInline(TranslationTabularInline[Criterion, Program]):
    model = Criterion
    extra = 0
    fields = ["order", "kind", "label", "weight"]
    show_change_link = True


class RulesChangeAdminMixin:
    """Any saved change to rules or stages bumps the program's rules version."""

    def program_id_for(self, obj: Any) -> int:
        raise NotImplementedError

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formsets: list[BaseInlineFormSet[Any, Any, Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        if form.has_changed() or any(formset.has_changed() for formset in formsets):
            program_bump_rules_version(program_id=self.program_id_for(form.instance))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        program_id = self.program_id_for(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        program_bump_rules_version(program_id=program_id)


@admin.register(Program)
class ProgramAdmin(RulesChangeAdminMixin, TranslationAdmin[Program]):
    list_display = ["title", "slug", "owner", "kind", "intake", "status", "rules_version"]
    list_filter = ["status", "kind", "intake", "owner"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["buyers", "sectors"]
    readonly_fields = ["rules_version"]
    formfield_overrides = HTTPS_URL_FIELDS
    inlines = [StageInline, ChallengeInline, CriterionInline]
    rule_fields = frozenset({"status"})

    def program_id_for(self, obj: Program) -> int:
        return obj.pk

    def get_queryset(self, request: HttpRequest) -> QuerySet[Program]:
        return super().get_queryset(request).select_related("owner")


class RequirementGroupInline(admin.TabularInline[RequirementGroup, Criterion]):
    model = RequirementGroup
    extra = 0
    show_change_link = True


@admin.register(Criterion)
class CriterionAdmin(RulesChangeAdminMixin, TranslationAdmin[Criterion]):
    list_display = ["label", "program", "kind", "weight", "order"]
    list_filter = ["kind", "program"]
    search_fields = ["label", "program__title"]
    inlines = [RequirementGroupInline]
    rule_fields = frozenset({"kind", "label", "weight", "program"})

    def program_id_for(self, obj: Criterion) -> int:
        return obj.program_id

    def get_queryset(self, request: HttpRequest) -> QuerySet[Criterion]:
        return super().get_queryset(request).select_related("program")


class RequirementForm(forms.ModelForm[Requirement]):
    """Facts and operators as drop-downs, from the engine's registry (no migration per fact)."""

    fact = forms.ChoiceField(label=_("fact"), choices=fact_choices)
    operator = forms.ChoiceField(label=_("operator"), choices=operator_choices)

    class Meta:
        model = Requirement
        fields = ["order", "fact", "operator", "value", "hint"]


class RequirementInline(TranslationTabularInline[Requirement, RequirementGroup]):
    model = Requirement
    form = RequirementForm
    extra = 1


@admin.register(RequirementGroup)
class RequirementGroupAdmin(RulesChangeAdminMixin, admin.ModelAdmin[RequirementGroup]):
    list_display = ["__str__", "criterion", "order"]
    list_filter = ["criterion__program"]
    inlines = [RequirementInline]
    rule_fields = frozenset({"criterion"})

    def program_id_for(self, obj: RequirementGroup) -> int:
        return obj.criterion.program_id

    def get_queryset(self, request: HttpRequest) -> QuerySet[RequirementGroup]:
        return super().get_queryset(request).select_related("criterion__program")
