"""The REST API, version 1, mounted at ``/api/v1/``."""

from django.urls import path

from applicants.api import CompanyDetailView, CompanyListView, CompanyMatchListView, TokenView
from applicants.api_applications import (
    ApplicationDetailView,
    ApplicationListView,
    ApplicationSubmitView,
    ApplicationWithdrawView,
)
from matchmaker.api import EligibilityView
from programs.api import ProgramDetailView, ProgramListView
from programs.api_ocds import OpenProgramsOcdsView, ProgramOcdsView
from programs.staff_api import StaffApplicationListView, StaffMatchListView

app_name = "api"

# <str:slug>, not <slug:slug>: a malformed slug should get the API's JSON 404 from the view, not
# Django's HTML page from the URL resolver. The same goes for a company's <str:id>.

urlpatterns = [
    path("programs/", ProgramListView.as_view(), name="program-list"),
    path("programs/<str:slug>/", ProgramDetailView.as_view(), name="program-detail"),
    path(
        "programs/<str:slug>/eligibility/",
        EligibilityView.as_view(),
        name="program-eligibility",
    ),
    path("programs/<str:slug>/ocds/", ProgramOcdsView.as_view(), name="program-ocds"),
    # The feed of every open program for aggregators. Not programs/ocds/: in front of the
    # slug's route it would hide a program whose slug is "ocds", and behind it never be reached.
    path("ocds/releases/", OpenProgramsOcdsView.as_view(), name="ocds-releases"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("companies/", CompanyListView.as_view(), name="company-list"),
    path("companies/<str:id>/", CompanyDetailView.as_view(), name="company-detail"),
    path("companies/<str:id>/matches/", CompanyMatchListView.as_view(), name="company-matches"),
    path("applications/", ApplicationListView.as_view(), name="application-list"),
    path("applications/<str:id>/", ApplicationDetailView.as_view(), name="application-detail"),
    path(
        "applications/<str:id>/submit/",
        ApplicationSubmitView.as_view(),
        name="application-submit",
    ),
    path(
        "applications/<str:id>/withdraw/",
        ApplicationWithdrawView.as_view(),
        name="application-withdraw",
    ),
    path(
        "staff/programs/<str:slug>/applications/",
        StaffApplicationListView.as_view(),
        name="staff-program-applications",
    ),
    path(
        "staff/programs/<str:slug>/matches/",
        StaffMatchListView.as_view(),
        name="staff-program-matches",
    ),
]
