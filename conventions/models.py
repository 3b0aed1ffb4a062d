"""Public funders of the network and, later, the grant conventions they sign."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from solidaren.access import AccessQuerySet
from solidaren.identifiers import compact_digits, validate_siret


class FunderQuerySet(AccessQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """Funders are public bodies: their names and SIRET are public information."""
        return self.all()


class Funder(models.Model):
    """Any public body that grants subsidies: commune, métropole, département, CCAS..."""

    class Kind(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        METROPOLE = "metropole", _("Métropole / intercommunalité")
        DEPARTEMENT = "departement", _("Département")
        REGION = "region", _("Région")
        CCAS = "ccas", _("Centre communal d'action sociale")
        ETAT = "etat", _("État")
        OTHER = "autre", _("Autre organisme public")

    name = models.CharField(_("nom"), max_length=200, unique=True)
    short_name = models.CharField(_("nom court"), max_length=80, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    siret = models.CharField(_("SIRET"), max_length=14, validators=[validate_siret])
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    representative = models.CharField(
        _("représentant·e signataire"),
        max_length=200,
        blank=True,
        help_text=_("Ex. : la Maire de Rennes, la présidente de Rennes Métropole"),
    )

    objects = FunderQuerySet.as_manager()

    class Meta:
        verbose_name = _("financeur")
        verbose_name_plural = _("financeurs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.siret = compact_digits(self.siret)
