from django.urls import path

from volontaires import views

app_name = "volontaires"

urlpatterns = [
    path("mon-espace/", views.my_space, name="my_space"),
]
