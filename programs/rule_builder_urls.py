"""The rule builder's pages, under ``staff/programs/<slug>/rules/`` (namespace ``rules``)."""

from django.urls import path

from programs import rule_builder_views as views

app_name = "rules"

urlpatterns = [
    path("", views.rule_list, name="list"),
    path("criteria/add/", views.criterion_add, name="criterion-add"),
    path("criteria/<int:criterion_pk>/edit/", views.criterion_edit, name="criterion-edit"),
    path("criteria/<int:criterion_pk>/remove/", views.criterion_delete, name="criterion-delete"),
    path("criteria/<int:criterion_pk>/options/add/", views.group_add, name="group-add"),
    path("options/<int:group_pk>/remove/", views.group_delete, name="group-delete"),
    path(
        "options/<int:group_pk>/requirements/add/",
        views.requirement_add,
        name="requirement-add",
    ),
    path(
        "requirements/<int:requirement_pk>/edit/",
        views.requirement_edit,
        name="requirement-edit",
    ),
    path(
        "requirements/<int:requirement_pk>/remove/",
        views.requirement_delete,
        name="requirement-delete",
    ),
]
