"""Forms of the staff workspace: decisions, notes, reviewer assignment, reviews, abstentions,
the team.

They validate input only; the services (``applicants.applications``, ``programs.reviews``) decide
and write, and their errors come back onto these forms next to the field they concern.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from applicants.models import User
from programs.models import StaffMembership
from programs.reviews import MAX_SCORE, MIN_SCORE, ReviewCriterion

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOTE_MAX = 5_000


def _note(*, required: bool, label: "StrOrPromise", help_text: "StrOrPromise") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StaffForm(forms.Form):
    def add_service_error(
        self, error: ValidationError, *, fields: dict[str, str] | None = None
    ) -> None:
        """Puts a service's ``ValidationError`` on the form: a field's message next to the field
        (``fields`` maps the service's keys to this form's names), the rest above the form."""
        fields = fields or {}
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                name = fields.get(key, key)
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class MoveForm(StaffForm):
    """A decision on an application at the stage the deciding admin saw (``stage``), so that a
    second click, or a page left open while a colleague decided, moves it only once."""

    stage = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, seen_stage: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"stage": seen_stage})
        super().__init__(*args, **kwargs)


class AdvanceForm(MoveForm):
    note = _note(
        required=False,
        label=_("Note to the company"),
        help_text=_("Optional. Shown on the company's timeline and in the email it gets."),
    )


class DeclineForm(MoveForm):
    note = _note(
        required=True,
        label=_("Reason for the company"),
        help_text=_("Shown on the company's timeline and in the email it gets."),
    )


class NoteForm(StaffForm):
    note = _note(
        required=True,
        label=_("Internal note"),
        help_text=_("Only the program's staff see it; the company never does."),
    )


class AssignReviewersForm(StaffForm):
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Staff of the program's agencies who do not review this application yet."),
    )

    def __init__(self, *args: Any, choices: QuerySet[User], **kwargs: Any) -> None:
        """``choices`` is read once (one query): the checkboxes render from that list, and a
        submission is checked against the queryset again."""
        super().__init__(*args, **kwargs)
        field = self.fields["reviewers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = choices
        candidates = list(choices)
        field.choices = [(user.pk, user.email) for user in candidates]
        self.has_candidates = bool(candidates)


def score_field_name(key: str) -> str:
    return f"score_{key}"


class ReviewForm(StaffForm):
    """One 0-10 score per criterion (fields ``score_<key>``), then a comment."""

    comment = forms.CharField(
        label=_("Comment"),
        help_text=_("What the scores rest on: strengths, risks, questions for the company."),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, criteria: Iterable[ReviewCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        comment = self.fields.pop("comment")
        for criterion in self.criteria:
            self.fields[score_field_name(criterion.key)] = forms.IntegerField(
                label=criterion.label,
                min_value=MIN_SCORE,
                max_value=MAX_SCORE,
                help_text=criterion.help_text
                or _("From %(low)s (not at all) to %(high)s (fully).")
                % {"low": MIN_SCORE, "high": MAX_SCORE},
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
            )
        self.fields["comment"] = comment

    def scores(self) -> dict[str, int]:
        return {
            criterion.key: self.cleaned_data[score_field_name(criterion.key)]
            for criterion in self.criteria
        }

    def service_fields(self) -> dict[str, str]:
        return {criterion.key: score_field_name(criterion.key) for criterion in self.criteria}


class AbstainForm(StaffForm):
    reason = _note(
        required=True,
        label=_("Your conflict of interest"),
        help_text=_(
            "E.g. you worked for the company or a competitor. Your scores, if any, stop counting."
        ),
    )


class TeamMemberForm(StaffForm):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The address your colleague signs in with."),
        max_length=254,
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=StaffMembership.Role.choices,
        initial=StaffMembership.Role.REVIEWER,
        help_text=_(
            "Agency admins manage rules, stages, decisions and the team; reviewers review the "
            "applications assigned to them."
        ),
    )


class TeamRoleForm(StaffForm):
    role = forms.ChoiceField(label=_("Role"), choices=StaffMembership.Role.choices)
