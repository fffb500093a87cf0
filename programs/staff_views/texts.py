"""A program's texts in every language, for its agency admins (``programs.texts``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from programs.models import Program
from programs.staff_texts_forms import ProgramTextsForm
from programs.staff_views.access import READ_WRITE, program_view
from programs.texts import program_texts, program_texts_update


@program_view(methods=READ_WRITE, admin=True)
def program_texts_edit(request: HttpRequest, program: Program) -> HttpResponse:
    texts = list(program_texts(program))
    form = ProgramTextsForm(request.POST if request.method == "POST" else None, texts=texts)
    if request.method == "POST" and form.is_valid():
        try:
            change = program_texts_update(program=program, texts=texts, values=form.values())
        except ValidationError as error:
            form.add_service_error(error, fields=form.error_fields())
        else:
            if not change.changed:
                messages.info(request, _("Nothing changed, so nothing was saved."))
            elif change.rescored:
                messages.success(
                    request,
                    _("Saved. The rules' words changed, so every company's match is recomputed."),
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("staff:texts", slug=program.slug)
    return render(
        request,
        "staff/program_texts.html",
        {"program": program, "is_admin": True, "section": "texts", "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )
