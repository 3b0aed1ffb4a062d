from django.urls import path

from associations import views

app_name = "associations"

urlpatterns = [
    path("", views.association_list, name="list"),
    path("mes-associations/", views.my_associations, name="mine"),
    # Directory of services (before the association's catch-all slug)
    path("services/", views.service_list, name="services"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("<slug:slug>/", views.association_detail, name="detail"),
    path("<slug:slug>/modifier/", views.association_edit, name="edit"),
]
