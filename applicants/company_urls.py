"""The vendor's company profile, mounted at ``/companies/``."""

from django.urls import path

from applicants.company_views import (
    applications,
    documents,
    matches,
    partners,
    partnerships,
    profile,
    team,
)

app_name = "companies"

urlpatterns = [
    path("", profile.company_list, name="list"),
    path("new/", profile.company_create, name="create"),
    path("<int:pk>/", profile.company_identity, name="identity"),
    path("<int:pk>/offering/", profile.company_offering, name="offering"),
    path("<int:pk>/partners/", partners.company_partners, name="partners"),
    path("<int:pk>/partners/<int:partner_pk>/", partners.partner_edit, name="partner-edit"),
    path(
        "<int:pk>/partners/<int:partner_pk>/remove/",
        partners.partner_delete,
        name="partner-delete",
    ),
    path("<int:pk>/documents/", documents.company_documents, name="documents"),
    path(
        "<int:pk>/documents/<int:document_pk>/download/",
        documents.document_download,
        name="document-download",
    ),
    path(
        "<int:pk>/documents/<int:document_pk>/delete/",
        documents.document_delete,
        name="document-delete",
    ),
    path("<int:pk>/visibility/", profile.company_visibility, name="visibility"),
    path("<int:pk>/team/", team.company_team, name="team"),
    path(
        "<int:pk>/team/<int:membership_pk>/remove/",
        team.member_remove,
        name="member-remove",
    ),
    path(
        "<int:pk>/team/invitations/<int:invitation_pk>/withdraw/",
        team.invitation_cancel,
        name="invitation-cancel",
    ),
    path("<int:pk>/eligibility/", profile.company_preview, name="preview"),
    path("<int:pk>/matches/", matches.company_matches, name="matches"),
    path(
        "<int:pk>/partnerships/",
        partnerships.partnership_requests,
        name="partnership-requests",
    ),
    path(
        "<int:pk>/partnerships/<int:request_pk>/",
        partnerships.partnership_respond,
        name="partnership-respond",
    ),
    path("<int:pk>/applications/", applications.application_list, name="applications"),
    path(
        "<int:pk>/applications/<int:application_pk>/",
        applications.application_detail,
        name="application",
    ),
    path(
        "<int:pk>/applications/<int:application_pk>/withdraw/",
        applications.application_withdraw_view,
        name="application-withdraw",
    ),
    # By the program: the company is chosen on the page, among the user's own.
    path("apply/<slug:slug>/", applications.application_apply, name="apply"),
    # A signed token, not an id: an invitation cannot be guessed or enumerated.
    path("invitations/<str:token>/", team.invitation_accept, name="invitation-accept"),
]
