from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolontairesConfig(AppConfig):
    name = "volontaires"
    verbose_name = _("Volontaires Solidaires")
