from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SolidarenConfig(AppConfig):
    name = "solidaren"
    verbose_name = _("Comptes et portail")
