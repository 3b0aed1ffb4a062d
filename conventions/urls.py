from django.urls import path

from conventions.views import conventions
from conventions.views import dashboard as dashboard_views
from conventions.views import documents as document_views
from conventions.views import renewal as renewal_views
from conventions.views import reports as report_views
from conventions.views import requests as request_views
from conventions.views import signature as signature_views

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
    path("demandes/", request_views.request_list, name="requests"),
    path("demandes/nouvelle/<int:association_pk>/", request_views.request_new, name="request_new"),
    path("demandes/<int:pk>/", request_views.request_detail, name="request"),
    path("demandes/<int:pk>/deposer/", request_views.request_submit, name="request_submit"),
    path(
        "demandes/<int:pk>/pieces/",
        request_views.request_attachment_add,
        name="request_attachment_add",
    ),
    path(
        "demandes/<int:pk>/pieces/<int:attachment_pk>/",
        request_views.request_attachment,
        name="request_attachment",
    ),
    path("demandes/<int:pk>/instruction/", request_views.request_review, name="request_review"),
    path("<int:pk>/renouveler/", renewal_views.convention_renew, name="renew"),
    path("renouvellements/", renewal_views.renew_bulk, name="renew_bulk"),
    path("<int:pk>/signature/signer/", signature_views.convention_sign, name="sign"),
    path("<int:pk>/signature/<slug:step>/", signature_views.convention_step, name="step"),
    path(
        "<int:pk>/exemplaire-signe/deposer/",
        signature_views.signed_scan_upload,
        name="signed_scan_upload",
    ),
    path("<int:pk>/exemplaire-signe/", signature_views.signed_scan, name="signed_scan"),
    path(
        "<int:pk>/documents/generer/",
        document_views.generate_convention_documents,
        name="generate_convention_documents",
    ),
    path(
        "comptes-rendus/<int:pk>/document/generer/",
        document_views.generate_report_document,
        name="generate_report_document",
    ),
    path("documents/annee/", document_views.generate_year_documents, name="generate_year"),
    path("documents/lots/<int:pk>/", document_views.document_batch, name="document_batch"),
    path(
        "documents/lots/<int:pk>/progression/",
        document_views.document_batch_progress,
        name="document_batch_progress",
    ),
    path(
        "documents/<int:pk>/telecharger/",
        document_views.document_download,
        name="document_download",
    ),
]
