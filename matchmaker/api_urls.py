"""The REST API, version 1, mounted at ``/api/v1/``."""

from django.urls import path

from applicants.api import CompanyDetailView, CompanyListView, CompanyMatchListView, TokenView
from matchmaker.api import EligibilityView
from programs.api import ProgramDetailView, ProgramListView

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
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("companies/", CompanyListView.as_view(), name="company-list"),
    path("companies/<str:id>/", CompanyDetailView.as_view(), name="company-detail"),
    path("companies/<str:id>/matches/", CompanyMatchListView.as_view(), name="company-matches"),
]
