"""Translated fields in queries (the fields are registered in ``programs/translation.py``)."""

from django.conf import settings
from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language
from modeltranslation.utils import build_localized_fieldname, resolution_order


def localized(field: str) -> Coalesce:
    """A query expression for a translated field in the active language, with the fallbacks that
    reading it on an instance has: ``localized("program__title")`` orders matches by the title the
    reader sees. For annotations, subqueries and other querysets' lookups, where
    django-modeltranslation does not rewrite the field's name for us.
    """
    language = get_language() or settings.LANGUAGE_CODE
    order = resolution_order(language, dict(settings.MODELTRANSLATION_FALLBACK_LANGUAGES))
    columns = [NullIf(F(build_localized_fieldname(field, code)), Value("")) for code in order]
    return Coalesce(*columns, Value(""), output_field=CharField())


def with_translations(*fields: str) -> list[str]:
    """``fields`` with the columns of every translation of each, for ``QuerySet.only()`` across
    a relation (``"program__title"``), where django-modeltranslation does not add them: reading
    the field on an instance falls back through them, and a missing one is a query per row."""
    languages = [code for code, _name in settings.LANGUAGES]
    return [
        name
        for field in fields
        for name in (field, *(build_localized_fieldname(field, code) for code in languages))
    ]
