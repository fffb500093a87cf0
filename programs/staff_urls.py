"""The staff workspace, mounted at ``/staff/``.

Every route with a program takes its slug first, so tenancy is decided from the URL before
anything else is looked up (``staff_views.access``).
"""

from django.urls import path

from programs.staff_views import (
    applications,
    decisions,
    history,
    matches,
    reviews,
    settings,
    team,
    texts,
    workspace,
)

app_name = "staff"

_APPLICATION = "programs/<slug:slug>/applications/<int:pk>/"

urlpatterns = [
    path("", workspace.home, name="home"),
    path("reviews/", reviews.review_list, name="reviews"),
    path("programs/<slug:slug>/", workspace.dashboard, name="dashboard"),
    path("programs/<slug:slug>/settings/", settings.program_settings, name="settings"),
    path("programs/<slug:slug>/texts/", texts.program_texts_edit, name="texts"),
    path("programs/<slug:slug>/matches/", matches.match_list, name="matches"),
    path(
        "programs/<slug:slug>/matches/<int:company_pk>/invite/",
        matches.match_invite,
        name="match-invite",
    ),
    path("programs/<slug:slug>/applications/", applications.application_list, name="applications"),
    path(
        "programs/<slug:slug>/applications/export.csv",
        applications.application_export,
        name="applications-export",
    ),
    path(_APPLICATION, applications.application_detail, name="application"),
    path(
        f"{_APPLICATION}documents/<int:document_pk>/",
        applications.application_document,
        name="application-document",
    ),
    path(f"{_APPLICATION}advance/", decisions.application_advance, name="application-advance"),
    path(f"{_APPLICATION}decline/", decisions.application_decline, name="application-decline"),
    path(f"{_APPLICATION}note/", decisions.application_note, name="application-note"),
    path(f"{_APPLICATION}reviewers/", decisions.application_assign, name="application-assign"),
    path("programs/<slug:slug>/reviews/<int:pk>/", reviews.review_detail, name="review"),
    path(
        "programs/<slug:slug>/reviews/<int:pk>/abstain/",
        reviews.review_abstain_view,
        name="review-abstain",
    ),
]

# An agency's team, for its admins.
urlpatterns += [
    path("agencies/<slug:agency>/team/", team.team_page, name="team"),
    path("agencies/<slug:agency>/team/<int:pk>/role/", team.member_role, name="team-role"),
    path("agencies/<slug:agency>/team/<int:pk>/remove/", team.member_remove, name="team-remove"),
]

# The audit log, for agency admins: a program's history and a team's.
urlpatterns += [
    path("programs/<slug:slug>/history/", history.program_history, name="history"),
    path("agencies/<slug:agency>/history/", history.team_history, name="team-history"),
]
