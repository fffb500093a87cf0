"""The partners section: add, edit, remove, or declare that there are none."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from applicants import progress as sections
from applicants import selectors, services
from applicants.company_forms import PartnerForm
from applicants.company_views.layout import (
    company_or_404,
    redirect_saved,
    render_confirm,
    render_section,
    request_user,
)
from applicants.models import Company, Partner


def _partner_fields(form: PartnerForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "country": data["country"],
        "relationship": data["relationship"],
        "linked_company": data["linked_company"],
    }


@login_required
def company_partners(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    user = request_user(request)
    if request.method == "POST" and request.POST.get("action") == "declare-none":
        services.partners_declare_none(company=company, user=user)
        return redirect_saved(
            request, _("Noted: you have no partners."), "companies:partners", company.pk
        )
    form = PartnerForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_add(company=company, user=user, **_partner_fields(form))
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect_saved(
                request,
                _("%(name)s added to your partners.") % {"name": partner.name},
                "companies:partners",
                company.pk,
            )
    return render_section(
        request,
        company,
        sections.PARTNERS,
        "company_partners.html",
        form=form,
        partners=company.partners.all(),
    )


def _partner(company: Company, partner_pk: int) -> Partner:
    # From the prefetched list: a partner of another company is simply not there.
    for partner in company.partners.all():
        if partner.pk == partner_pk:
            return partner
    raise Http404


@login_required
def partner_edit(request: HttpRequest, pk: int, partner_pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    partner = _partner(company, partner_pk)
    form = PartnerForm(
        request.POST or None,
        company=company,
        initial={
            "name": partner.name,
            "country": partner.country.code,
            "relationship": partner.relationship,
            "linked_company": partner.linked_company_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(
                partner=partner, user=request_user(request), **_partner_fields(form)
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect_saved(
                request,
                _("%(name)s saved.") % {"name": partner.name},
                "companies:partners",
                company.pk,
            )
    # The preview adds the form's country to the other partners' countries.
    base = selectors.company_facts(company)
    base["partner_countries"] = sorted(
        {other.country.code for other in company.partners.all() if other.pk != partner.pk}
    )
    return render_section(
        request,
        company,
        sections.PARTNERS,
        "partner_edit.html",
        form=form,
        partner=partner,
        preview_base=base,
    )


@login_required
def partner_delete(request: HttpRequest, pk: int, partner_pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    partner = _partner(company, partner_pk)
    if request.method == "POST":
        services.partner_remove(partner=partner, user=request_user(request))
        return redirect_saved(
            request,
            _("%(name)s removed from your partners.") % {"name": partner.name},
            "companies:partners",
            company.pk,
        )
    return render_confirm(
        request,
        company,
        sections.PARTNERS,
        title=_("Remove %(name)s from your partners?") % {"name": partner.name},
        button=_("Remove partner"),
        cancel=reverse("companies:partners", args=[company.pk]),
    )
