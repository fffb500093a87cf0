"""Partnership requests between companies: asking from a suggestion on "My matches", and the
asked company's page where its owners accept or decline."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from applicants import selectors, services
from applicants.company_forms import PartnershipAnswerForm, PartnershipRequestForm
from applicants.company_views.layout import company_or_404, render_section, request_user
from applicants.models import Company

# The key of these pages in the company's navigation.
PARTNERSHIPS = "partnerships"


@login_required
def partnership_requests(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the requests the company received and sent. POST: ask another company (the
    suggestions' button on "My matches", where the answer is shown)."""
    company = company_or_404(request, pk)
    if request.method == "POST":
        return _ask(request, company)
    return render_section(
        request,
        company,
        PARTNERSHIPS,
        "partnership_list.html",
        preview=False,
        received=list(selectors.partnership_inbox(company)),
        sent=list(selectors.partnership_outbox(company)),
    )


def _ask(request: HttpRequest, company: Company) -> HttpResponseRedirect:
    form = PartnershipRequestForm(request.POST)
    back = reverse("companies:matches", args=[company.pk])
    if not form.is_valid():
        messages.error(request, _("Choose a company to ask from the suggestions."))
        return redirect(back)
    try:
        partnership = services.partnership_request_send(
            company=company,
            user=request_user(request),
            to_company_id=form.cleaned_data["to_company"],
            program_id=form.cleaned_data["program"],
            base_url=request.build_absolute_uri("/"),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    messages.success(
        request,
        _(
            "Request sent to %(name)s. Their owners got an email; once they accept, each of you "
            "lists the other as a partner and your matches are updated."
        )
        % {"name": partnership.to_company.legal_name},
    )
    anchor = f"#program-{partnership.program.slug}" if partnership.program else ""
    return redirect(back + anchor)


@login_required
def partnership_respond(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    """One request the company received: GET shows it with the owner's two buttons, POST
    accepts or declines. Only requests *to* this company are found here."""
    company = company_or_404(request, pk)
    partnership = get_object_or_404(selectors.partnership_inbox(company), pk=request_pk)
    if request.method == "POST":
        form = PartnershipAnswerForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose whether to accept or decline the request."))
            return redirect("companies:partnership-respond", company.pk, partnership.pk)
        user = request_user(request)
        name = partnership.from_company.legal_name
        try:
            if form.cleaned_data["decision"] == PartnershipAnswerForm.ACCEPT:
                services.partnership_request_accept(partnership=partnership, user=user)
                message = _(
                    "You and %(name)s are partners now: each company lists the other, and the "
                    "matches of both are being updated."
                )
            else:
                services.partnership_request_decline(partnership=partnership, user=user)
                message = _("You declined the request of %(name)s.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, message % {"name": name})
        return redirect("companies:partnership-requests", company.pk)
    return render_section(
        request,
        company,
        PARTNERSHIPS,
        "partnership_detail.html",
        preview=False,
        partnership=partnership,
    )
