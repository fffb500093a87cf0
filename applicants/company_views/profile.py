"""The list of a user's companies, registering one, and the sections that hold plain
fields: identity, offering, visibility; and the full eligibility report."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from applicants import progress as sections
from applicants import selectors, services
from applicants.company_forms import (
    HasDemo,
    IdentityForm,
    OfferingForm,
    VisibilityForm,
)
from applicants.company_views.layout import (
    company_or_404,
    redirect_saved,
    render_section,
    request_user,
)
from applicants.progress import profile_progress


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    companies = list(
        selectors.company_workspace(request_user(request)).order_by("legal_name", "pk")
    )
    rows = []
    for company in companies:
        progress = profile_progress(company)
        todo = next((s for s in progress.sections if s.complete is False), progress.sections[0])
        rows.append((company, progress, todo))
    return render(request, "applicants/company_list.html", {"rows": rows})


@login_required
def company_create(request: HttpRequest) -> HttpResponse:
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(user=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect_saved(
                request,
                _("%(name)s is registered. Next, tell programs what you offer.")
                % {"name": company.legal_name},
                "companies:offering",
                company.pk,
            )
    return render(request, "applicants/company_create.html", {"form": form})


@login_required
def company_identity(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    form = IdentityForm(
        request.POST or None,
        initial={
            "legal_name": company.legal_name,
            "country": company.country.code,
            "registration_id": company.registration_id,
            "website": company.website,
            "founded_year": company.founded_year,
            "employees": company.employees,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(
                company=company, user=request_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect_saved(request, _("Identity saved."), "companies:identity", company.pk)
    return render_section(request, company, sections.IDENTITY, "company_identity.html", form=form)


@login_required
def company_offering(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    form = OfferingForm(
        request.POST or None,
        initial={
            "sectors": [sector.code for sector in company.sectors.all()],
            "trl": company.trl or "",
            "has_demo": HasDemo.to_answer(company.has_demo),
            "demo_url": company.demo_url,
            "description": company.description,
            "prior_pilots": company.prior_pilots,
        },
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        chosen = list(fields.pop("sectors"))
        try:
            services.company_update(
                company=company, user=request_user(request), sectors=chosen, **fields
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect_saved(request, _("Offering saved."), "companies:offering", company.pk)
    return render_section(request, company, sections.OFFERING, "company_offering.html", form=form)


@login_required
def company_visibility(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    form = VisibilityForm(
        request.POST or None, initial={"discoverable": "yes" if company.discoverable else "no"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(
                company=company,
                user=request_user(request),
                discoverable=form.cleaned_data["discoverable"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect_saved(
                request, _("Visibility saved."), "companies:visibility", company.pk
            )
    return render_section(
        request, company, sections.VISIBILITY, "company_visibility.html", form=form
    )


@login_required
def company_preview(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    return render_section(request, company, "preview", "company_preview.html")
