from django.urls import path

from conventions.views import conventions

app_name = "conventions"

urlpatterns = [
    path("", conventions.convention_list, name="list"),
    path("<int:pk>/", conventions.convention_detail, name="detail"),
]
