from django.urls import path

from associations import views

app_name = "associations"

urlpatterns = [
    path("", views.association_list, name="list"),
    path("mes-associations/", views.my_associations, name="mine"),
    # Directory of services (before the association's catch-all slug)
    path("services/", views.service_list, name="services"),
    path("services/confirmer/<str:token>/", views.service_confirm, name="service_confirm"),
    path("agents/services/", views.staff_services, name="staff_services"),
    path("agents/services/campagne/", views.staff_update_campaign, name="staff_update_campaign"),
    path(
        "data-inclusion/structures.json",
        views.data_inclusion_structures,
        name="data_inclusion_structures",
    ),
    path(
        "data-inclusion/services.json",
        views.data_inclusion_services,
        name="data_inclusion_services",
    ),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("guide/<slug:kind>/<slug:value>/", views.pocket_guide_view, name="pocket_guide"),
    path("services/<slug:slug>/orienter/", views.orient, name="orient"),
    path("services/<slug:slug>/modifier/", views.service_edit, name="service_edit"),
    path("services/<slug:slug>/periodes/", views.service_change_add, name="service_change_add"),
    path("orientations/", views.orientation_list, name="orientations"),
    path("orientations/<int:pk>/", views.orientation_detail, name="orientation"),
    path("orientations/<int:pk>/repondre/", views.orientation_reply, name="orientation_reply"),
    path("orientations/<int:pk>/nouveau-lien/", views.orientation_renew, name="orientation_renew"),
    path("orientations/lien/<str:token>/", views.orientation_answer, name="orientation_answer"),
    path(
        "orientations/lien/<str:token>/renouveler/",
        views.orientation_link_renew,
        name="orientation_link_renew",
    ),
    path("<slug:slug>/", views.association_detail, name="detail"),
    path("<slug:slug>/modifier/", views.association_edit, name="edit"),
]
