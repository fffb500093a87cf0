"""The team section: members, invitations by email with a signed link, leaving and removing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from applicants import progress as sections
from applicants import selectors, services
from applicants.company_forms import InvitationForm
from applicants.company_views.layout import (
    company_or_404,
    redirect_saved,
    render_confirm,
    render_section,
    request_user,
)
from applicants.invitations import invitation_from_token, invitation_path
from applicants.models import CompanyMembership, Invitation


@login_required
def company_team(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_send(
                company=company,
                user=request_user(request),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect_saved(
                request,
                _(
                    "Invitation sent to %(email)s. You can also copy its link from the list of "
                    "invitations."
                )
                % {"email": invitation.email},
                "companies:team",
                company.pk,
            )
    invitations = [
        (invitation, request.build_absolute_uri(invitation_path(invitation)))
        for invitation in company.invitations.filter(accepted_at__isnull=True).order_by(
            "-created_at", "-pk"
        )
    ]
    return render_section(
        request,
        company,
        sections.TEAM,
        "company_team.html",
        form=form,
        members=list(selectors.company_team(company)),
        invitations=invitations,
    )


@login_required
def member_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    user = request_user(request)
    membership = get_object_or_404(
        CompanyMembership.objects.select_related("user", "company").filter(company=company),
        pk=membership_pk,
    )
    leaving = membership.user_id == user.pk
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, user=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("companies:team", company.pk)
        if leaving:
            messages.success(request, _("You left %(company)s.") % {"company": company.legal_name})
            return redirect("companies:list")
        return redirect_saved(
            request,
            _("%(email)s removed from the team.") % {"email": membership.user.email},
            "companies:team",
            company.pk,
        )
    return render_confirm(
        request,
        company,
        sections.TEAM,
        title=(
            _("Leave %(company)s?") % {"company": company.legal_name}
            if leaving
            else _("Remove %(email)s from the team?") % {"email": membership.user.email}
        ),
        button=_("Leave the team") if leaving else _("Remove from the team"),
        cancel=reverse("companies:team", args=[company.pk]),
    )


@login_required
def invitation_cancel(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    invitation = get_object_or_404(
        Invitation.objects.select_related("company").filter(
            company=company, accepted_at__isnull=True
        ),
        pk=invitation_pk,
    )
    if request.method == "POST":
        services.invitation_cancel(invitation=invitation, user=request_user(request))
        return redirect_saved(
            request,
            _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email},
            "companies:team",
            company.pk,
        )
    return render_confirm(
        request,
        company,
        sections.TEAM,
        title=_("Withdraw the invitation to %(email)s?") % {"email": invitation.email},
        button=_("Withdraw invitation"),
        cancel=reverse("companies:team", args=[company.pk]),
        detail=_("Its link will stop working."),
    )


@login_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    user = request_user(request)
    invitation = invitation_from_token(token)
    if invitation is None:
        raise Http404
    # A 404 rather than a 403 for someone else's invitation: the page names no company.
    if invitation.email.lower() != user.email.lower():
        return render(
            request, "applicants/invitation_accept.html", {"wrong_account": True}, status=404
        )
    if invitation.accepted_at is not None:
        if selectors.companies_for(user).filter(pk=invitation.company_id).exists():
            messages.info(
                request,
                _("You are on the team of %(company)s.")
                % {"company": invitation.company.legal_name},
            )
            return redirect("companies:identity", invitation.company_id)
        return render(request, "applicants/invitation_accept.html", {"used": True}, status=404)
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("companies:list")
        return redirect_saved(
            request,
            _("Welcome to the team of %(company)s.") % {"company": invitation.company.legal_name},
            "companies:identity",
            invitation.company_id,
        )
    return render(request, "applicants/invitation_accept.html", {"invitation": invitation})
