from django.urls import path

from applicants import calendar_views
from programs import views

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("<slug:slug>/", views.program_detail, name="detail"),
    path("<slug:slug>/calendar.ics", calendar_views.program_calendar, name="calendar"),
]
