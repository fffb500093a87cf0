from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="programs:list", permanent=False), name="home"),
    path("programs/", include("programs.urls")),
    path("accounts/", include("applicants.account_urls")),
    path("companies/", include("applicants.company_urls")),
    path("staff/programs/<slug:slug>/rules/", include("programs.rule_builder_urls")),
    path("staff/", include("programs.staff_urls")),
    path("api/v1/", include("matchmaker.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
