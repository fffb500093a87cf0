"""The vendor's applications: starting one, the draft form with autosave, submitting,
withdrawing, and after submission the answers, the verdict kept then and the timeline.

Every page needs a signed-in member with a verified email address (unverified accounts cannot
apply: they are sent to the page that explains why). An application is found only through the
company (``company_or_404``), so another vendor's application is a 404 like anything else of
theirs. The services in ``applicants.applications`` do every write.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants import selectors
from applicants.application_forms import AnswersForm, ApplyForm, WithdrawForm, field_name
from applicants.application_selectors import (
    application_window,
    company_applications,
    program_questions,
    program_stages,
    submission_verdict,
    vendor_timeline,
)
from applicants.applications import (
    Reason,
    SubmissionRefusedError,
    application_save_answers,
    application_start,
    application_submit,
    application_withdraw,
    deadline_text,
)
from applicants.company_views.layout import company_or_404, render_section, request_user
from applicants.models import Application, Company, Document
from applicants.registration import verified_email_required
from matchmaker.eligibility import eligibility_report
from matchmaker.engine import CriterionKind, Outcome
from programs.models import Program, Question
from programs.rules import wording

# The key of these pages in the company's navigation.
APPLICATIONS = "applications"

Status = Application.Status


# --- starting ------------------------------------------------------------------------------------


@verified_email_required
def application_apply(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: which of the user's companies applies to the program (and which already did).
    POST: starts that company's application, or finds the one it has, and opens it.

    The "Apply" buttons of the program page and of "My matches" lead here.
    """
    program = get_object_or_404(Program.objects.published().select_related("owner"), slug=slug)
    user = request_user(request)
    companies = selectors.companies_for(user).order_by("legal_name", "pk")
    rows = list(companies)
    # Every company of the user is a valid choice (one that applied already gets its
    # application back), but only those that can start one are offered.
    form = ApplyForm(request.POST if request.method == "POST" else None, companies=companies)
    if request.method == "POST" and form.is_valid():
        company: Company = form.cleaned_data["company"]
        try:
            application = application_start(company=company, user=user, program=program)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if application.status == Status.DRAFT:
                messages.success(
                    request,
                    _("Your draft application to %(program)s is open: it saves as you type.")
                    % {"program": program.title},
                )
            return redirect("companies:application", company.pk, application.pk)
    existing = {
        application.company_id: application
        for application in Application.objects.filter(program=program, company__in=rows)
    }
    startable = [
        company
        for company in rows
        if company.pk not in existing or _restartable(existing[company.pk])
    ]
    stages = program_stages(program)
    return render(
        request,
        "applicants/application_apply.html",
        {
            "program": program,
            "form": form,
            "companies": rows,
            "applied": [
                (company, existing[company.pk])
                for company in rows
                if company.pk in existing and not _restartable(existing[company.pk])
            ],
            "startable": startable,
            "chosen": form["company"].value() or (startable[0].pk if len(startable) == 1 else None),
            "window": application_window(stages, now=timezone.now()),
        },
    )


def _restartable(application: Application) -> bool:
    """A draft withdrawn before it was submitted: starting again reopens it."""
    return application.status == Status.WITHDRAWN and application.submitted_at is None


# --- the list ------------------------------------------------------------------------------------


@verified_email_required
def application_list(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    return render_section(
        request,
        company,
        APPLICATIONS,
        "application_list.html",
        preview=False,
        applications=list(company_applications(company)),
    )


# --- one application -----------------------------------------------------------------------------


def _application(company: Company, application_pk: int) -> Application:
    """One of the company's applications (one query); 404 for anyone else's."""
    return get_object_or_404(company_applications(company), pk=application_pk)


def _documents(company: Company, questions: list[Question]) -> list[Document]:
    """The company's documents, read only when a question asks for one."""
    if not any(question.kind == Question.Kind.FILE for question in questions):
        return []
    return list(Document.objects.filter(company=company).order_by("-created_at", "-pk"))


@verified_email_required
def application_detail(request: HttpRequest, pk: int, application_pk: int) -> HttpResponse:
    """A draft: the form, autosaved (POST with ``action=autosave`` answers JSON), the current
    eligibility with its fixes, the deadline, Submit. Anything later: read-only."""
    company = company_or_404(request, pk)
    application = _application(company, application_pk)
    if application.status == Status.DRAFT:
        return _draft(request, company, application)
    if request.method == "POST":
        return _no_longer_a_draft(request, application)
    return _submitted(request, company, application)


def _no_longer_a_draft(request: HttpRequest, application: Application) -> HttpResponse:
    """A form posted from a page that still showed the draft: a colleague submitted or withdrew
    it meanwhile. The script gets the reason as JSON, a browser the page as it is now."""
    message = _("This application is %(status)s: its answers can no longer change.") % {
        "status": application.get_status_display().lower()
    }
    if request.POST.get("action") == "autosave":
        return JsonResponse({"saved": False, "errors": {}, "form_errors": [message]}, status=409)
    messages.info(request, message)
    return redirect("companies:application", application.company_id, application.pk)


def _initial(application: Application) -> dict[str, Any]:
    initial = {}
    for key, value in application.answers.items():
        if key.isdigit():
            initial[field_name(int(key))] = value
    return initial


def _draft(request: HttpRequest, company: Company, application: Application) -> HttpResponse:
    user = request_user(request)
    program = application.program
    questions = program_questions(program)
    documents = _documents(company, questions)
    form = AnswersForm(
        request.POST if request.method == "POST" else None,
        questions=questions,
        documents=documents,
        initial=_initial(application),
    )
    refusal: list[Reason] = []
    if request.method == "POST":
        action = request.POST.get("action", "save")
        saved = False
        if form.is_valid():
            try:
                application_save_answers(application=application, user=user, answers=form.answers())
            except ValidationError as error:
                if getattr(error, "code", None) == "not_draft":
                    application.refresh_from_db(fields=["status"])
                    return _no_longer_a_draft(request, application)
                form.add_service_error(error)
            else:
                saved = True
        if action == "autosave":
            return _autosave_answer(form, saved=saved)
        if saved and action == "submit":
            try:
                application_submit(
                    application=application, user=user, base_url=request.build_absolute_uri("/")
                )
            except SubmissionRefusedError as refused:
                refusal = list(refused.reasons)
                for reason in refusal:
                    if reason.question is not None:
                        form.answer_error(reason.question, reason.message)
            else:
                messages.success(
                    request,
                    _(
                        "Your application to %(program)s is submitted. Its progress shows below; "
                        "your team gets an email at each step."
                    )
                    % {"program": program.title},
                )
                return redirect("companies:application", company.pk, application.pk)
        elif saved:
            messages.success(request, _("Your answers are saved."))
            return redirect("companies:application", company.pk, application.pk)

    now = timezone.now()
    stages = program_stages(program)
    report = eligibility_report(program=program, facts=selectors.company_facts(company))
    return render_section(
        request,
        company,
        APPLICATIONS,
        "application_form.html",
        preview=False,
        form=form,
        application=application,
        program=program,
        stages=stages,
        window=application_window(stages, now=now),
        report=report,
        open_gates=[
            verdict
            for verdict in report.criteria
            if verdict.kind == CriterionKind.GATE and verdict.outcome != Outcome.PASS
        ],
        refusal=refusal,
        refused_gates=[reason for reason in refusal if reason.code == "gate"],
        other_reasons=[reason for reason in refusal if reason.code != "gate"],
        autosave_strings={
            "saving": _("Saving…"),
            "saved": _("Saved"),
            "invalid": _("Not saved: correct the answers marked below."),
            "failed": _("Not saved: the connection failed. Use the Save button to try again."),
        },
    )


def _autosave_answer(form: AnswersForm, *, saved: bool) -> JsonResponse:
    """What ``static/js/autosave.js`` reads: saved or not, and each field's errors by the id of
    its input."""
    if saved:
        return JsonResponse({"saved": True, "errors": {}, "form_errors": []})
    errors = {
        form[name].auto_id: [str(message) for message in messages_]
        for name, messages_ in form.errors.items()
        if name in form.fields
    }
    return JsonResponse(
        {
            "saved": False,
            "errors": errors,
            "form_errors": [str(message) for message in form.non_field_errors()],
        },
        status=400,
    )


def _answer_rows(
    questions: list[Question], answers: dict[str, Any], documents: list[Document]
) -> list[tuple[Question, Any, Document | None]]:
    by_id = {document.pk: document for document in documents}
    rows = []
    for question in questions:
        value = answers.get(str(question.pk))
        document = (
            by_id.get(value)
            if question.kind == Question.Kind.FILE and isinstance(value, int)
            else None
        )
        rows.append((question, value, document))
    return rows


def _submitted(request: HttpRequest, company: Company, application: Application) -> HttpResponse:
    program = application.program
    questions = program_questions(program)
    stages = program_stages(program)
    words = wording()
    return render_section(
        request,
        company,
        APPLICATIONS,
        "application_detail.html",
        preview=False,
        application=application,
        program=program,
        stages=stages,
        answers=_answer_rows(questions, application.answers, _documents(company, questions)),
        verdict=submission_verdict(application, words=words),
        timeline=vendor_timeline(application),
        can_withdraw=application.status == Status.SUBMITTED,
        submitted_at=(
            deadline_text(application.submitted_at, program.time_zone)
            if application.submitted_at
            else None
        ),
    )


@verified_email_required
def application_withdraw_view(request: HttpRequest, pk: int, application_pk: int) -> HttpResponse:
    """A confirmation page (GET) and the withdrawal (POST), so it works without JavaScript."""
    company = company_or_404(request, pk)
    application = _application(company, application_pk)
    if application.status not in (Status.DRAFT, Status.SUBMITTED):
        messages.info(
            request,
            _("This application is %(status)s: it can no longer be withdrawn.")
            % {"status": application.get_status_display().lower()},
        )
        return redirect("companies:application", company.pk, application.pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            application_withdraw(
                application=application,
                user=request_user(request),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("You withdrew your application to %(program)s.")
                % {"program": application.program.title},
            )
        return redirect("companies:application", company.pk, application.pk)
    return render_section(
        request,
        company,
        APPLICATIONS,
        "application_withdraw.html",
        preview=False,
        withdraw_form=form,
        application=application,
        program=application.program,
    )
