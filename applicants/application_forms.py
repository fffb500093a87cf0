"""Forms of the vendor's application pages.

The answers form is built from the program's questions, one field per question, named
``q<question id>``; no other key can be posted into an application. Required questions are
marked but not enforced here: a draft may be incomplete until it is submitted, when
``applicants.applications.application_submit`` checks them. The services validate every answer
again; these fields only turn what a browser posts into typed answers.
"""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from applicants.application_checks import LONG_TEXT_MAX, NOTE_MAX, NUMBER_MAX, SHORT_TEXT_MAX
from applicants.company_forms import ProfileForm
from applicants.models import Company, Document
from programs.models import Question


def field_name(question: Question | int) -> str:
    return f"q{question if isinstance(question, int) else question.pk}"


def _number(value: float | None) -> int | float | None:
    # 3.0 typed as "3" is the answer 3: kept as an integer, it reads back as typed.
    if value is not None and value.is_integer():
        return int(value)
    return value


class AnswersForm(ProfileForm):
    """One field per question of the program, in the questions' order."""

    def __init__(
        self,
        *args: Any,
        questions: Sequence[Question],
        documents: Sequence[Document],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            field = self._field(question, documents)
            field.label = question.label
            field.help_text = question.help_text
            field.required = False
            # Shown as "(required)" and announced, but only enforced on submission.
            field.answer_required = question.required  # type: ignore[attr-defined]
            field.question = question  # type: ignore[attr-defined]
            if question.required:
                field.widget.attrs["aria-required"] = "true"
            field.widget.attrs["data-autosave"] = ""
            self.fields[field_name(question)] = field

    @staticmethod
    def _field(question: Question, documents: Sequence[Document]) -> forms.Field:
        match question.kind:
            case Question.Kind.SHORT_TEXT:
                return forms.CharField(max_length=SHORT_TEXT_MAX)
            case Question.Kind.LONG_TEXT:
                return forms.CharField(
                    max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 8})
                )
            case Question.Kind.NUMBER:
                return forms.FloatField(
                    min_value=-NUMBER_MAX,
                    max_value=NUMBER_MAX,
                    widget=forms.NumberInput(attrs={"step": "any"}),
                    error_messages={"invalid": _("Give a number, e.g. 12 or 3.5.")},
                )
            case Question.Kind.CHOICE:
                return forms.ChoiceField(
                    choices=[("", _("Choose an answer")), *((c, c) for c in question.choices)],
                    error_messages={"invalid_choice": _("Choose one of the answers listed.")},
                )
            case Question.Kind.FILE:
                return forms.TypedChoiceField(
                    coerce=int,
                    empty_value=None,
                    choices=[
                        ("", _("No document chosen")),
                        *(
                            (document.pk, f"{document.title} ({document.get_kind_display()})")
                            for document in documents
                        ),
                    ],
                    error_messages={"invalid_choice": _("Choose one of your company's documents.")},
                )
        raise AssertionError(f"no field for question kind {question.kind!r}")  # pragma: no cover

    def answers(self) -> dict[str, Any]:
        """Question id → answer, None for an empty one (which clears it). After is_valid()."""
        answers: dict[str, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if question.kind == Question.Kind.NUMBER:
                value = _number(value)
            answers[str(question.pk)] = None if value in ("", None) else value
        return answers

    def add_service_error(self, error: ValidationError) -> None:
        """The services name questions by id; this form names its fields ``q<id>``."""
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                name = f"q{key}"
                for message in ValidationError(errors).messages:
                    self.add_error(name if name in self.fields else None, message)
        else:
            for message in error.messages:
                self.add_error(None, message)

    def answer_error(self, question_id: int, message: str) -> None:
        """A submission's reason about one answer, shown beside its field."""
        name = field_name(question_id)
        self.add_error(name if name in self.fields else None, message)


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The program's staff will see this note."),
    )


class ApplyForm(forms.Form):
    """Which of the user's companies applies."""

    company = forms.ModelChoiceField(
        label=_("Apply as"),
        queryset=Company.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the company that applies."),
            "invalid_choice": _("Choose one of your companies."),
        },
    )

    def __init__(self, *args: Any, companies: QuerySet[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["company"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = companies
