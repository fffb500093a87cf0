"""Program content in several languages (django-modeltranslation).

Each field named here gets one column per language of ``settings.LANGUAGES`` (``title_en``,
``title_zh_hant``, ``title_ru``); reading ``program.title`` gives the reader's language, or the
first of ``MODELTRANSLATION_FALLBACK_LANGUAGES`` that has a text. Staff enter the languages on the
program's "Texts and languages" tab; the demo programs ship in English and their city's language.
"""

from modeltranslation.translator import TranslationOptions, register

from programs.models import (
    Agency,
    Challenge,
    Criterion,
    Program,
    Question,
    Requirement,
    Sector,
    Stage,
)


@register(Sector)
class SectorTranslation(TranslationOptions):
    fields = ("name",)


@register(Agency)
class AgencyTranslation(TranslationOptions):
    fields = ("name", "city")


@register(Program)
class ProgramTranslation(TranslationOptions):
    fields = ("title", "summary")


@register(Stage)
class StageTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Challenge)
class ChallengeTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Criterion)
class CriterionTranslation(TranslationOptions):
    fields = ("label", "help_text")


@register(Requirement)
class RequirementTranslation(TranslationOptions):
    fields = ("hint",)


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("label", "help_text")
