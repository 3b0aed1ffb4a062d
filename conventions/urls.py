from django.urls import path

from conventions.views import conventions
from conventions.views import dashboard as dashboard_views

app_name = "conventions"

urlpatterns = [
    path("", conventions.convention_list, name="list"),
    path("<int:pk>/", conventions.convention_detail, name="detail"),
    path("tableau-de-bord/", dashboard_views.dashboard, name="dashboard"),
]
