"""A program's settings, for its agency admins: stage dates and sizes, reminder days.

Dates are typed and shown in the program's time zone. The form parses; the service
(``programs.reminders.schedule``) validates the whole schedule, saves it, rescores the program
and tells companies with a draft when the application deadline moved.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from programs.models import Program, Stage
from programs.reminders.schedule import program_schedule_update
from programs.staff_settings_forms import ProgramSettingsForm
from programs.staff_views.access import READ_WRITE, program_view, staff_user


@program_view(methods=READ_WRITE, admin=True)
def program_settings(request: HttpRequest, program: Program) -> HttpResponse:
    stages = list(Stage.objects.filter(program=program).order_by("order"))
    form = ProgramSettingsForm(
        request.POST if request.method == "POST" else None, program=program, stages=stages
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = program_schedule_update(
                program=program,
                actor=staff_user(request),
                stages=form.schedules(),
                reminder_offsets=form.cleaned_data["reminder_days"],
            )
        except ValidationError as error:
            form.add_service_error(error, fields={"reminder_offsets": "reminder_days"})
        else:
            if not change.changed:
                messages.info(request, _("Nothing changed, so nothing was saved."))
            elif change.deadlines_moved:
                messages.success(
                    request,
                    ngettext(
                        "Saved. The application deadline moved: %(count)d member of a company "
                        "with a draft is told by email.",
                        "Saved. The application deadline moved: %(count)d members of companies "
                        "with a draft are told by email.",
                        change.mails,
                    )
                    % {"count": change.mails},
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("staff:settings", slug=program.slug)
    return render(
        request,
        "staff/program_settings.html",
        {
            "program": program,
            "is_admin": True,
            "section": "settings",
            "form": form,
            "zone": program.owner.time_zone,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
