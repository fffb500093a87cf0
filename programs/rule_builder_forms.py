"""Forms of the rule builder: a requirement whose inputs fit its fact, and a criterion.

The requirement form's fields depend on the chosen fact and operator: a country picker for a
country, sector checkboxes for sectors, number inputs within the fact's bounds for a number, two
of them for a range, none for yes/no. Choosing another fact and sending the form with "Update
the inputs" re-renders it with the right ones; ``static/js/rule_builder.js`` swaps them in place
from the ``<template>`` elements that ``value_templates`` renders, without a round trip.

The inputs are deliberately lenient (any code, any text): the value is assembled into the
engine's JSON shape here and validated by the engine, so staff read the engine's messages next
to the fields, whatever the browser sent.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from matchmaker.engine import (
    FACTS,
    CriterionKind,
    CriterionSpec,
    Fact,
    FactType,
    GroupSpec,
    RequirementSpec,
    allowed_operators,
)
from matchmaker.engine.operators import VALUE_SHAPES, ValueShape
from programs.models import Criterion
from programs.rule_builder import criterion_errors
from programs.rules import requirement_errors, sector_names

# Operators as staff read them after the fact's name: "TRL" "is at least" 5.
OPERATOR_LABELS: Final[Mapping[str, Promise]] = {
    "eq": _("is"),
    "ne": _("is not"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "contains": _("includes"),
    "overlaps": _("includes at least one of"),
    "gte": _("is at least"),
    "lte": _("is at most"),
    "between": _("is between"),
    "is_true": _("is yes"),
    "is_false": _("is no"),
    "present": _("is answered (any answer)"),
    "scale": _("scores more the higher it is (award only)"),
    "overlap_ratio": _("scores by how many of these it includes (award only)"),
}

# The names a value's inputs may have, in form order; the engine's value errors go to the first.
VALUE_FIELDS: Final = ("value", "value_low", "value_high")

_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_LIST_SEPARATORS = re.compile(r"[\s,;]+")


def operator_label(operator: str) -> str:
    label = OPERATOR_LABELS.get(operator)
    return str(label) if label is not None else operator


def fact_choices() -> list[tuple[str, str]]:
    return [(name, gettext(fact.label)) for name, fact in FACTS.items()]


def operator_choices(fact: Fact, kind: CriterionKind) -> list[tuple[str, str]]:
    return [(operator, operator_label(operator)) for operator in allowed_operators(fact, kind)]


def country_choices() -> list[tuple[str, str]]:
    """Every country by name in the active language."""
    return [(code, str(name)) for code, name in countries]


def _number(raw: str) -> int | str:
    """A whole number, or the text as typed so the engine can say what is wrong with it."""
    text = raw.strip()
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else text


class LenientChoiceField(forms.ChoiceField):
    """A choice field that passes any value on: the engine, not the list, decides validity."""

    def valid_value(self, value: Any) -> bool:
        return True


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    def valid_value(self, value: Any) -> bool:
        return True


def input_key(fact: Fact | None, operator: str) -> str:
    """Names the value inputs that fit ``fact`` and ``operator``; forms with the same key have
    the same inputs, so the script swaps inputs only when the key changes."""
    shape = VALUE_SHAPES.get(operator)
    if fact is None or shape is None or shape is ValueShape.NONE:
        return "none"
    many = shape is ValueShape.MANY
    match fact.type:
        case FactType.COUNTRY | FactType.COUNTRIES:
            return "countries" if many else "country"
        case FactType.SECTORS:
            return "sectors" if many else "sector"
        case FactType.INTEGER:
            variant = {ValueShape.ONE: "one", ValueShape.MANY: "many"}.get(shape, operator)
            return f"{fact.name}-{variant}"
    return "none"


def _bounds_help(fact: Fact) -> str:
    if fact.minimum is not None and fact.maximum is not None:
        return gettext("A whole number from %(minimum)s to %(maximum)s.") % {
            "minimum": fact.minimum,
            "maximum": fact.maximum,
        }
    if fact.minimum is not None:
        return gettext("A whole number, at least %(minimum)s.") % {"minimum": fact.minimum}
    return gettext("A whole number.")


def _number_input(fact: Fact) -> forms.NumberInput:
    attrs: dict[str, Any] = {"step": 1, "inputmode": "numeric"}
    if fact.minimum is not None:
        attrs["min"] = fact.minimum
    if fact.maximum is not None:
        attrs["max"] = fact.maximum
    return forms.NumberInput(attrs=attrs)


def _value_fields(
    fact: Fact, operator: str, sectors: Sequence[tuple[str, str]]
) -> dict[str, forms.Field]:
    shape = VALUE_SHAPES[operator]
    many = shape is ValueShape.MANY
    if shape is ValueShape.NONE:
        return {}
    if fact.type in (FactType.COUNTRY, FactType.COUNTRIES):
        if many:
            return {
                "value": LenientMultipleChoiceField(
                    label=_("Countries"),
                    choices=country_choices,
                    help_text=_("Hold Ctrl (⌘ on a Mac) to choose more than one."),
                    error_messages={"required": _("Choose at least one country.")},
                    widget=forms.SelectMultiple(attrs={"size": 8}),
                )
            }
        return {
            "value": LenientChoiceField(
                label=_("Country"),
                choices=[("", gettext("Choose a country")), *country_choices()],
                error_messages={"required": _("Choose a country.")},
            )
        }
    if fact.type is FactType.SECTORS:
        if many:
            return {
                "value": LenientMultipleChoiceField(
                    label=_("Sectors"),
                    choices=sectors,
                    error_messages={"required": _("Choose at least one sector.")},
                    widget=forms.CheckboxSelectMultiple,
                )
            }
        return {
            "value": LenientChoiceField(
                label=_("Sector"),
                choices=sectors,
                error_messages={"required": _("Choose a sector.")},
                widget=forms.RadioSelect,
            )
        }
    # Integers.
    if many:
        return {
            "value": forms.CharField(
                label=_("Numbers"),
                max_length=200,
                help_text=gettext("Separate them with commas. %(bounds)s")
                % {"bounds": _bounds_help(fact)},
                error_messages={"required": _("Enter at least one number.")},
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
        }
    if shape is ValueShape.ONE:
        return {
            "value": forms.CharField(
                label=_("Number"),
                max_length=20,
                help_text=_bounds_help(fact),
                error_messages={"required": _("Enter a number.")},
                widget=_number_input(fact),
            )
        }
    if operator == "scale":
        low_label, high_label = _("No points at or below"), _("Full points at or above")
    else:
        low_label, high_label = _("From"), _("To")
    return {
        "value_low": forms.CharField(
            label=low_label,
            max_length=20,
            error_messages={"required": _("Enter the lower bound.")},
            widget=_number_input(fact),
        ),
        "value_high": forms.CharField(
            label=high_label,
            max_length=20,
            help_text=_bounds_help(fact),
            error_messages={"required": _("Enter the upper bound.")},
            widget=_number_input(fact),
        ),
    }


class RequirementForm(forms.Form):
    """One requirement: a fact, an operator that fits it, and a value in the fact's terms."""

    fact = LenientChoiceField(
        label=_("Fact about the company"),
        choices=fact_choices,
        error_messages={"required": _("Choose a fact.")},
        widget=forms.Select(attrs={"data-rule-fact": ""}),
    )
    operator = LenientChoiceField(
        label=_("Condition"),
        error_messages={"required": _("Choose a condition.")},
        widget=forms.Select(attrs={"data-rule-operator": ""}),
    )
    hint = forms.CharField(
        label=_("Hint for vendors"),
        max_length=300,
        required=False,
        help_text=_("Optional. Tells a vendor how to meet this requirement."),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        kind: str,
        sectors: Sequence[tuple[str, str]] | None = None,
        initial: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, initial=initial, prefix=prefix)  # type: ignore[arg-type]
        self.kind = CriterionKind(kind)
        self.sectors = list(sectors) if sectors is not None else _sector_choices()
        self.chosen_fact = FACTS.get(str(self._chosen("fact") or ""))
        operator = str(self._chosen("operator") or "")
        choices = (
            operator_choices(self.chosen_fact, self.kind) if self.chosen_fact is not None else []
        )
        if not self.is_bound and choices and operator not in dict(choices):
            operator = choices[0][0]  # a fresh form, or one whose fact just changed
            self.initial = {**self.initial, "operator": operator}
        self.chosen_operator = operator
        self.fields["operator"].choices = choices  # type: ignore[attr-defined]
        self.input_key = input_key(self.chosen_fact, operator)
        value_fields = (
            _value_fields(self.chosen_fact, operator, self.sectors)
            if self.chosen_fact is not None and operator in VALUE_SHAPES
            else {}
        )
        hint = self.fields.pop("hint")
        self.fields.update(value_fields)
        self.fields["hint"] = hint
        self.spec: RequirementSpec | None = None

    def _chosen(self, name: str) -> Any:
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name, self.fields[name].initial)

    @property
    def value_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in VALUE_FIELDS if name in self.fields]

    @property
    def is_range(self) -> bool:
        return "value_low" in self.fields

    @property
    def value_error_field(self) -> str:
        """Where the engine's value errors go: the (first) value input, else the operator."""
        for name in VALUE_FIELDS:
            if name in self.fields:
                return name
        return "operator"

    def _value(self) -> Any:
        data = self.cleaned_data
        if self.is_range:
            return [_number(data["value_low"]), _number(data["value_high"])]
        if "value" not in self.fields:
            return None
        value = data["value"]
        if isinstance(value, list):
            return value
        if self.chosen_fact is not None and self.chosen_fact.type is FactType.INTEGER:
            if VALUE_SHAPES[self.chosen_operator] is ValueShape.MANY:
                return [_number(item) for item in _LIST_SEPARATORS.split(value) if item]
            return _number(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        spec = RequirementSpec(
            fact=cleaned["fact"],
            operator=cleaned["operator"],
            value=self._value(),
            hint=cleaned.get("hint", ""),
        )
        errors = requirement_errors(
            fact=spec.fact, operator=spec.operator, value=spec.value, hint=spec.hint, kind=self.kind
        )
        for field, messages in errors.items():
            target = field if field in ("fact", "operator") else self.value_error_field
            for message in messages:
                self.add_error(target, message)
        if not errors:
            self.spec = spec
        return cleaned

    def add_service_error(self, error: ValidationError, *, non_field: bool = True) -> None:
        """Shows a service's errors about the requirement next to its fields; errors about no
        field too, with ``non_field``."""
        for field, messages in _error_items(error):
            target: str | None
            if field == "value":
                target = self.value_error_field
            elif field in self.fields:
                target = field
            elif field == NON_FIELD_ERRORS and non_field:
                target = None
            else:
                continue  # another form's field
            for message in messages:
                self.add_error(target, message)

    def refreshed(self) -> "RequirementForm":
        """The same requirement as a fresh form whose inputs fit the fact and operator just
        chosen, keeping what was typed wherever it still fits."""
        initial: dict[str, Any] = {}
        probe = RequirementForm(
            kind=self.kind,
            sectors=self.sectors,
            prefix=self.prefix,
            initial={
                "fact": self.data.get(self.add_prefix("fact")),
                "operator": self.chosen_operator,
            },
        )
        for name, field in probe.fields.items():
            initial[name] = field.widget.value_from_datadict(
                self.data, self.files, self.add_prefix(name)
            )
        initial["operator"] = probe.chosen_operator
        return RequirementForm(
            kind=self.kind, sectors=self.sectors, prefix=self.prefix, initial=initial
        )

    @staticmethod
    def initial_for(spec: RequirementSpec) -> dict[str, Any]:
        """The form's initial data for a saved requirement."""
        initial: dict[str, Any] = {"fact": spec.fact, "operator": spec.operator, "hint": spec.hint}
        value = spec.value
        if isinstance(value, list) and VALUE_SHAPES.get(spec.operator) in (
            ValueShape.RANGE,
            ValueShape.STRICT_RANGE,
        ):
            if len(value) == 2:
                initial["value_low"], initial["value_high"] = value
        elif isinstance(value, list) and all(isinstance(item, int) for item in value):
            initial["value"] = ", ".join(str(item) for item in value)
        elif value is not None:
            initial["value"] = value
        return initial


def _sector_choices() -> list[tuple[str, str]]:
    return sorted(sector_names().items(), key=lambda item: item[1])


def _error_items(error: ValidationError) -> Iterable[tuple[str, list[str]]]:
    if hasattr(error, "error_dict"):
        return error.message_dict.items()
    return [(NON_FIELD_ERRORS, error.messages)]


class CriterionForm(forms.Form):
    """A criterion's own fields. Editing one checks its existing requirements still fit the
    kind (an award-only scale in a gate would not)."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Criterion.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a gate or an award criterion.")},
    )
    label = forms.CharField(
        label=_("Label"),
        max_length=200,
        help_text=_("What vendors and staff read, e.g. “Prototype ready to pilot”."),
        error_messages={"required": _("Give the criterion a label.")},
    )
    weight = forms.DecimalField(
        label=_("Weight"),
        required=False,
        max_digits=7,
        decimal_places=2,
        help_text=_(
            "Award criteria only: its share of the score relative to the other award criteria."
        ),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    help_text = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        help_text=_("Optional. Why the program asks this, shown with the rule."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        groups: Sequence[GroupSpec] = (),
        names: Mapping[str, str] | None = None,
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)  # type: ignore[arg-type]
        self.groups = tuple(groups)
        self.names = names

    @property
    def chosen_kind(self) -> str:
        """The kind chosen so far (for the requirement's operators), a gate when unclear."""
        raw = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        return str(raw) if raw in Criterion.Kind.values else Criterion.Kind.GATE

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        weight: Decimal | None = cleaned.get("weight")
        if kind == Criterion.Kind.AWARD and weight is None and "weight" not in self.errors:
            self.add_error("weight", gettext("Give the award criterion a weight."))
        if self.errors or kind is None:
            return cleaned
        spec = CriterionSpec(
            key="form",
            label=cleaned["label"],
            kind=CriterionKind(kind),
            weight=float(weight) if weight is not None else 1.0,
            groups=self.groups,
        )
        for field, messages in criterion_errors(spec, names=self.names).items():
            if field == NON_FIELD_ERRORS and not self.groups:
                continue  # a new criterion's requirement is checked by its own form
            for message in messages:
                self.add_error(None if field == NON_FIELD_ERRORS else field, message)
        return cleaned

    def add_service_error(self, error: ValidationError, *, non_field: bool = True) -> None:
        for field, messages in _error_items(error):
            if field in self.fields or (field == NON_FIELD_ERRORS and non_field):
                for message in messages:
                    self.add_error(None if field == NON_FIELD_ERRORS else field, message)

    def refreshed(self) -> "CriterionForm":
        """The same entries as a fresh form (no errors yet), after "Update the inputs"."""
        initial = {
            name: field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            for name, field in self.fields.items()
        }
        return CriterionForm(groups=self.groups, names=self.names, initial=initial)


def builder_config() -> dict[str, Any]:
    """What ``rule_builder.js`` needs to fit the inputs to a fact without a round trip: per
    kind and fact, the operators (with labels) and the value inputs' key for each."""
    return {
        kind.value: {
            name: {
                "operators": operator_choices(fact, kind),
                "inputs": {
                    operator: input_key(fact, operator)
                    for operator in allowed_operators(fact, kind)
                },
            }
            for name, fact in FACTS.items()
        }
        for kind in CriterionKind
    }


def value_templates(
    *, prefix: str | None, sectors: Sequence[tuple[str, str]]
) -> list[tuple[str, RequirementForm]]:
    """One unbound form per distinct set of value inputs, for the script's ``<template>``s."""
    templates: dict[str, RequirementForm] = {}
    for name, fact in FACTS.items():
        for operator in allowed_operators(fact, CriterionKind.AWARD):
            key = input_key(fact, operator)
            if key not in templates:
                templates[key] = RequirementForm(
                    kind=CriterionKind.AWARD,
                    sectors=sectors,
                    prefix=prefix,
                    initial={"fact": name, "operator": operator},
                )
    return list(templates.items())
