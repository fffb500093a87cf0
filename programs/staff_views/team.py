"""An agency's team page: its admins add colleagues, change their roles and remove them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from programs import team
from programs.models import Agency, StaffMembership
from programs.staff_forms import TeamMemberForm, TeamRoleForm
from programs.staff_views.access import READ_WRITE, agency_admin_view, staff_user
from programs.tenancy import is_staff_member


def _page(
    request: HttpRequest, agency: Agency, form: TeamMemberForm, *, status: int = 200
) -> HttpResponse:
    members = list(team.team_members(agency))
    return render(
        request,
        "staff/team.html",
        {
            "agency": agency,
            "members": members,
            "admins": sum(member.role == StaffMembership.Role.ADMIN for member in members),
            "form": form,
            "roles": StaffMembership.Role.choices,
        },
        status=status,
    )


@agency_admin_view(methods=READ_WRITE)
def team_page(request: HttpRequest, agency: Agency) -> HttpResponse:
    if request.method != "POST":
        return _page(request, agency, TeamMemberForm())
    form = TeamMemberForm(request.POST)
    if form.is_valid():
        try:
            membership = team.member_add(
                agency=agency, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("%(email)s joined the team as %(role)s.")
                % {"email": membership.user.email, "role": membership.get_role_display()},
            )
            return redirect("staff:team", agency=agency.slug)
    return _page(request, agency, form, status=400)


def _membership(agency: Agency, pk: int) -> StaffMembership:
    return get_object_or_404(
        StaffMembership.objects.select_related("user", "agency"), agency=agency, pk=pk
    )


def _member_page(
    request: HttpRequest, membership: StaffMembership, form: TeamRoleForm | None, *, action: str
) -> HttpResponse:
    """The one-member page behind the list's buttons: a role to choose, or a removal to
    confirm (what a link, or a browser without the list's inline forms, gets)."""
    return render(
        request,
        "staff/team_member.html",
        {"agency": membership.agency, "member": membership, "form": form, "action": action},
    )


def _elsewhere(request: HttpRequest) -> HttpResponse:
    """Where an admin goes who just left this team page behind: the workspace, or the site
    when they are staff nowhere any more."""
    return redirect("staff:home" if is_staff_member(request.user) else "programs:list")


@agency_admin_view(methods=READ_WRITE)
def member_role(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    membership = _membership(agency, pk)
    if request.method != "POST":
        form = TeamRoleForm(initial={"role": membership.role})
        return _member_page(request, membership, form, action="role")
    form = TeamRoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a role from the list."))
        team.member_set_role(membership=membership, role=form.cleaned_data["role"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(email)s is now %(role)s.")
            % {"email": membership.user.email, "role": membership.get_role_display()},
        )
    if membership.user_id == staff_user(request).pk and membership.role != "admin":
        return _elsewhere(request)
    return redirect("staff:team", agency=agency.slug)


@agency_admin_view(methods=READ_WRITE)
def member_remove(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    membership = _membership(agency, pk)
    if request.method != "POST":
        return _member_page(request, membership, None, action="remove")
    try:
        team.member_remove(membership=membership)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("staff:team", agency=agency.slug)
    messages.success(
        request,
        _("%(email)s was removed from the team.") % {"email": membership.user.email},
    )
    if membership.user_id == staff_user(request).pk:
        return _elsewhere(request)
    return redirect("staff:team", agency=agency.slug)
