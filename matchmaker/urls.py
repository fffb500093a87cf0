from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from applicants.languages import set_language

# Redoc styles its page from script and parses the schema in a worker made from a blob: the docs
# page alone allows inline styles and blob workers.
_redoc = csp_update(
    {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"], "img-src": ["data:"]}
)(SpectacularRedocView.as_view(url_name="api-schema"))

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="programs:list", permanent=False), name="home"),
    path("programs/", include("programs.urls")),
    path("accounts/", include("applicants.account_urls")),
    path("companies/", include("applicants.company_urls")),
    path("staff/programs/<slug:slug>/rules/", include("programs.rule_builder_urls")),
    path("staff/", include("programs.staff_urls")),
    path("api/v1/", include("matchmaker.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", _redoc, name="api-docs"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
