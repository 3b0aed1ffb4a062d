from django.urls import path

from volontaires.views import volunteer as volunteer_views

app_name = "volontaires"

urlpatterns = [
    path("mon-espace/", volunteer_views.my_space, name="my_space"),
]
