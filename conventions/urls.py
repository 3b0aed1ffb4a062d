from django.urls import path

from conventions.views import conventions
from conventions.views import dashboard as dashboard_views
from conventions.views import reports as report_views

app_name = "conventions"

urlpatterns = [
    path("", conventions.convention_list, name="list"),
    path("<int:pk>/", conventions.convention_detail, name="detail"),
    path("comptes-rendus/", report_views.report_list, name="reports"),
    path(
        "comptes-rendus/commencer/<int:convention_pk>/<int:year>/",
        report_views.report_start,
        name="report_start",
    ),
    path("comptes-rendus/<int:pk>/", report_views.report_detail, name="report"),
    path("comptes-rendus/<int:pk>/examen/", report_views.report_review, name="report_review"),
    path(
        "comptes-rendus/<int:pk>/pieces/",
        report_views.report_attachment_add,
        name="report_attachment_add",
    ),
    path(
        "comptes-rendus/<int:pk>/pieces/<int:attachment_pk>/",
        report_views.report_attachment,
        name="report_attachment",
    ),
    path(
        "comptes-rendus/<int:pk>/pieces/<int:attachment_pk>/supprimer/",
        report_views.report_attachment_delete,
        name="report_attachment_delete",
    ),
    path("tableau-de-bord/", dashboard_views.dashboard, name="dashboard"),
]
