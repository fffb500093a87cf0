"""Agency admins' actions on an application: advance, decline, an internal note, reviewers.

Each action's page shows its form alone (GET) and takes it (POST); the application's page shows
the same forms inline. A refused action comes back on its own page, the service's reason next
to the field it concerns or above the form. The services decide: ``applicants.applications``
for moves and notes, ``programs.reviews`` for assignments.
"""

import copy
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from applicants import applications as lifecycle
from applicants.models import Application
from programs import staff_selectors
from programs.models import Program
from programs.reviews import reviews_assign
from programs.staff_forms import AdvanceForm, AssignReviewersForm, DeclineForm, NoteForm, StaffForm
from programs.staff_views.access import READ_WRITE, base_url, program_view, staff_user
from programs.staff_views.applications import next_stage


def _application(program: Program, pk: int) -> Application:
    application = staff_selectors.program_application_only(program, pk)
    # For the page's heading: the company and the stage it is at.
    return Application.objects.select_related("company", "stage").get(pk=application.pk)


def _action(
    request: HttpRequest,
    program: Program,
    application: Application,
    form: StaffForm,
    *,
    action: str,
    act: Callable[[], str],
    title: str,
    button: str,
) -> HttpResponse:
    """Runs ``act`` (which returns the success message) when the POSTed form is valid; shows the
    form, with its errors, otherwise."""
    if request.method == "POST" and form.is_valid():
        try:
            message = act()
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, message)
            return redirect("staff:application", slug=program.slug, pk=application.pk)
    return render(
        request,
        "staff/application_action.html",
        {
            "program": program,
            "is_admin": True,
            "section": "applications",
            "application": application,
            "form": form,
            "action": action,
            "title": title,
            "button": button,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _as_seen(application: Application, stage_id: int) -> Application:
    """The application as the admin saw it: the services move it only from that stage."""
    seen = copy.copy(application)
    seen.stage_id = stage_id
    return seen


@program_view(methods=READ_WRITE, admin=True)
def application_advance(request: HttpRequest, program: Program, pk: int) -> HttpResponse:
    application = _application(program, pk)
    stages = list(program.stages.order_by("order"))
    following = next_stage(stages, application.stage)
    form = AdvanceForm(_data(request), seen_stage=application.stage_id)

    def act() -> str:
        moved = lifecycle.application_advance(
            application=_as_seen(application, form.cleaned_data["stage"]),
            actor=staff_user(request),
            note=form.cleaned_data["note"],
            base_url=base_url(request),
        )
        if moved.status == Application.Status.COMPLETED:
            return _("%(company)s completed the program.") % {"company": application.company}
        return _("%(company)s moved to %(stage)s.") % {
            "company": application.company,
            "stage": moved.stage.name if moved.stage else "",
        }

    return _action(
        request,
        program,
        application,
        form,
        action="advance",
        act=act,
        title=(
            _("Move %(company)s to %(stage)s")
            % {"company": application.company, "stage": following.name}
            if following
            else _("Mark %(company)s as having completed the program")
            % {"company": application.company}
        ),
        button=_("Move to %(stage)s") % {"stage": following.name}
        if following
        else _("Mark as completed"),
    )


@program_view(methods=READ_WRITE, admin=True)
def application_decline(request: HttpRequest, program: Program, pk: int) -> HttpResponse:
    application = _application(program, pk)
    form = DeclineForm(_data(request), seen_stage=application.stage_id)

    def act() -> str:
        lifecycle.application_decline(
            application=_as_seen(application, form.cleaned_data["stage"]),
            actor=staff_user(request),
            note=form.cleaned_data["note"],
            base_url=base_url(request),
        )
        return _("%(company)s was declined.") % {"company": application.company}

    return _action(
        request,
        program,
        application,
        form,
        action="decline",
        act=act,
        title=_("Decline %(company)s") % {"company": application.company},
        button=_("Decline the application"),
    )


@program_view(methods=READ_WRITE, admin=True)
def application_note(request: HttpRequest, program: Program, pk: int) -> HttpResponse:
    application = _application(program, pk)
    form = NoteForm(_data(request))

    def act() -> str:
        lifecycle.application_add_note(
            application=application, actor=staff_user(request), note=form.cleaned_data["note"]
        )
        return _("Note added.")

    return _action(
        request,
        program,
        application,
        form,
        action="note",
        act=act,
        title=_("An internal note on %(company)s") % {"company": application.company},
        button=_("Add note"),
    )


@program_view(methods=READ_WRITE, admin=True)
def application_assign(request: HttpRequest, program: Program, pk: int) -> HttpResponse:
    application = _application(program, pk)
    form = AssignReviewersForm(
        _data(request), choices=staff_selectors.reviewer_choices(program, application)
    )

    def act() -> str:
        reviewers = list(form.cleaned_data["reviewers"])
        reviews_assign(
            application=application, reviewers=reviewers, assigned_by=staff_user(request)
        )
        return _("Assigned: %(reviewers)s.") % {
            "reviewers": ", ".join(reviewer.email for reviewer in reviewers)
        }

    return _action(
        request,
        program,
        application,
        form,
        action="assign",
        act=act,
        title=_("Reviewers for %(company)s") % {"company": application.company},
        button=_("Assign reviewers"),
    )
