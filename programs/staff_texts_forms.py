"""The form of a program's texts: one field per text and language, laid out as a row per text.

It parses input only; ``programs.texts.program_texts_update`` decides what is valid and saves.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings

from programs.staff_forms import StaffForm
from programs.texts import Text


@dataclass(frozen=True, slots=True)
class TextRow:
    text: Text
    fields: list[forms.BoundField]


class ProgramTextsForm(StaffForm):
    def __init__(self, *args: Any, texts: Sequence[Text], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.texts = texts
        for text in texts:
            for code, name in settings.LANGUAGES:
                widget: forms.Widget = (
                    forms.Textarea(attrs={"rows": 3, "lang": code})
                    if text.multiline
                    else forms.TextInput(attrs={"lang": code})
                )
                self.fields[self.field_name(text, code)] = forms.CharField(
                    label=name, required=False, initial=text.value(code), widget=widget
                )

    @staticmethod
    def field_name(text: Text, language: str) -> str:
        return f"{text.key}-{language}"

    def rows(self) -> Iterator[TextRow]:
        for text in self.texts:
            yield TextRow(
                text=text,
                fields=[self[self.field_name(text, code)] for code, _name in settings.LANGUAGES],
            )

    def values(self) -> dict[tuple[str, str], str]:
        return {
            (text.key, code): self.cleaned_data[self.field_name(text, code)]
            for text in self.texts
            for code, _name in settings.LANGUAGES
        }

    def error_fields(self) -> dict[str, str]:
        """The service names a text by its key; its error goes next to its first language."""
        first = settings.LANGUAGES[0][0]
        return {text.key: self.field_name(text, first) for text in self.texts}
