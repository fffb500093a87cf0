"""A program's texts in every language: what staff translate, and the service that saves them.

The texts are the translated fields of ``programs/translation.py`` that vendors read: the
program's title and summary, its stages, challenges, application questions, and the words of its
rules (criterion labels and help, requirement hints). A text needed to show the program (a title,
a stage's name, a criterion's label, a question) must exist in at least one language.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from programs.models import Challenge, Criterion, Program, Question, Requirement, Stage
from programs.services import program_bump_rules_version

# Models whose words are part of the compiled rules: changing them rescores, as a rule edit does.
_RULE_MODELS: tuple[type[models.Model], ...] = (Criterion, Requirement)
# Fields that may be empty in every language.
_OPTIONAL = {"summary", "description", "help_text", "hint"}


@dataclass(frozen=True, slots=True)
class Text:
    """One translatable field of one row, e.g. the name of the program's second stage."""

    obj: models.Model
    field: str
    heading: str

    @property
    def key(self) -> str:
        return f"{self.obj._meta.model_name}-{self.obj.pk}-{self.field}"

    @property
    def required(self) -> bool:
        return self.field not in _OPTIONAL

    @property
    def max_length(self) -> int | None:
        return getattr(self.obj._meta.get_field(self.field), "max_length", None)

    @property
    def multiline(self) -> bool:
        return isinstance(self.obj._meta.get_field(self.field), models.TextField)

    def column(self, language: str) -> str:
        return build_localized_fieldname(self.field, language)

    def value(self, language: str) -> str:
        return getattr(self.obj, self.column(language)) or ""


def program_texts(program: Program) -> Iterator[Text]:
    """Every text of ``program`` in the order its page shows them (5 queries)."""
    yield Text(program, "title", _("Program title"))
    yield Text(program, "summary", _("Summary"))
    for stage in Stage.objects.filter(program=program).order_by("order"):
        number = stage.order + 1
        yield Text(stage, "name", _("Stage %(number)d: name") % {"number": number})
        yield Text(stage, "description", _("Stage %(number)d: description") % {"number": number})
    for challenge in Challenge.objects.filter(program=program).order_by("order", "pk"):
        yield Text(challenge, "title", _("Challenge: title"))
        yield Text(challenge, "description", _("Challenge: description"))
    requirements: dict[int, list[Requirement]] = {}
    for requirement in (
        Requirement.objects.filter(group__criterion__program=program)
        .select_related("group")
        .order_by("group__order", "group_id", "order", "pk")
    ):
        requirements.setdefault(requirement.group.criterion_id, []).append(requirement)
    for criterion in Criterion.objects.filter(program=program).order_by("order", "pk"):
        yield Text(criterion, "label", _("Criterion: label"))
        yield Text(criterion, "help_text", _("Criterion: help text"))
        for requirement in requirements.get(criterion.pk, []):
            yield Text(
                requirement, "hint", _("Requirement hint (%(fact)s)") % {"fact": requirement.fact}
            )
    for question in Question.objects.filter(program=program).order_by("order", "pk"):
        yield Text(question, "label", _("Application question"))
        yield Text(question, "help_text", _("Application question: help text"))


@dataclass(frozen=True, slots=True)
class TextsChange:
    changed: int
    rescored: bool


def program_texts_update(
    *, program: Program, texts: list[Text], values: Mapping[tuple[str, str], str]
) -> TextsChange:
    """Save the texts given as ``values[(text.key, language)]``; only changed rows are written
    (and so appear in the program's history). Refuses the lot, saving nothing, when a needed text
    is left empty in every language or one is too long."""
    languages = [code for code, _name in settings.LANGUAGES]
    errors: dict[str, list[str]] = {}
    for text in texts:
        given = [
            values.get((text.key, language), text.value(language)).strip() for language in languages
        ]
        if text.required and not any(given):
            errors[text.key] = [_("Give this text in at least one language.")]
        elif text.max_length and any(len(value) > text.max_length for value in given):
            errors[text.key] = [
                _("Keep it to %(max)d characters in each language.") % {"max": text.max_length}
            ]
    if errors:
        raise ValidationError(errors)
    changed: dict[models.Model, list[str]] = {}
    for text in texts:
        for language in languages:
            new = values.get((text.key, language), text.value(language)).strip()
            if new != text.value(language):
                setattr(text.obj, text.column(language), new)
                changed.setdefault(text.obj, []).append(text.column(language))
    rescore = any(isinstance(obj, _RULE_MODELS) for obj in changed)
    with transaction.atomic():
        for obj, columns in changed.items():
            obj.save(update_fields=[*columns, "updated_at"])
        if rescore:
            # The rules' words are compiled with the rules: a new version recompiles them.
            program_bump_rules_version(program_id=program.pk)
    return TextsChange(changed=sum(len(columns) for columns in changed.values()), rescored=rescore)
