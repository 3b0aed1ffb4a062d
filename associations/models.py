"""The registry of the network's associations and of the people who coordinate them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from solidaren.access import AccessQuerySet, coordinated_association_ids, is_agent
from solidaren.geography import COMMUNE_CHOICES, RENNES
from solidaren.identifiers import SiretField, compact_digits, validate_rna, validate_siret


class FieldOfAction(models.Model):
    """A field of action of the network (food aid, welcoming exiles, people in the street...)."""

    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("champ d'action")
        verbose_name_plural = _("champs d'action")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssociationQuerySet(AccessQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """The directory is public; pages choose which fields they show to whom."""
        return self.all()

    def editable_by(self, user) -> models.QuerySet:
        if is_agent(user):
            return self.all()
        return self.filter(pk__in=coordinated_association_ids(user))

    def coordinated_by(self, user) -> models.QuerySet:
        return self.filter(pk__in=coordinated_association_ids(user))


class Association(models.Model):
    name = models.CharField(_("nom"), max_length=200, unique=True)
    short_name = models.CharField(_("nom court"), max_length=80, blank=True)
    slug = models.SlugField(_("identifiant d'URL"), max_length=80, unique=True)
    rna = models.CharField(
        _("numéro RNA"),
        max_length=10,
        blank=True,
        validators=[validate_rna],
        help_text=_(
            "Répertoire national des associations : W suivi de 9 chiffres ou lettres (W2A… et "
            "W2B… en Corse)."
        ),
    )
    siret = SiretField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    commune = models.CharField(_("commune"), max_length=80, choices=COMMUNE_CHOICES, default=RENNES)
    email = models.EmailField(_("e-mail de contact"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    website = models.URLField(_("site web"), blank=True)
    description = models.TextField(_("présentation"), blank=True)
    publics = models.TextField(
        _("publics accueillis"), blank=True, help_text=_("Qui l'association accueille.")
    )
    fields_of_action = models.ManyToManyField(
        FieldOfAction, verbose_name=_("champs d'action"), blank=True, related_name="associations"
    )
    is_structuring = models.BooleanField(
        _("association structurante"),
        default=False,
        help_text=_("L'une des associations structurantes du réseau SolidaRen."),
    )
    network_member_since = models.PositiveSmallIntegerField(
        _("membre du réseau depuis (année)"), null=True, blank=True
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        verbose_name=_("coordinateurs"),
        related_name="coordinated_associations",
        blank=True,
    )

    objects = AssociationQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[fields_of_action])

    class Meta:
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("associations:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        self.rna = (self.rna or "").strip().upper()
        self.siret = compact_digits(self.siret)

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Membership(models.Model):
    """A user coordinates an association; a user may coordinate several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("utilisateur"),
    )
    association = models.ForeignKey(
        Association,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("association"),
    )
    role_title = models.CharField(
        _("fonction"), max_length=120, blank=True, help_text=_("Ex. : présidente, coordinateur")
    )
    since = models.DateField(_("depuis"), auto_now_add=True)

    class Meta:
        verbose_name = _("coordination")
        verbose_name_plural = _("coordinations")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "association"], name="unique_membership_per_association"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.association}"


class Premises(models.Model):
    """Premises an association uses; when a funder lends them, a convention values them."""

    association = models.ForeignKey(
        Association,
        on_delete=models.CASCADE,
        related_name="premises",
        verbose_name=_("association"),
    )
    label = models.CharField(
        _("intitulé"), max_length=120, help_text=_("Ex. : local de distribution")
    )
    address = models.CharField(_("adresse"), max_length=250)
    commune = models.CharField(_("commune"), max_length=80, choices=COMMUNE_CHOICES, default=RENNES)
    surface_m2 = models.DecimalField(
        _("surface (m²)"), max_digits=8, decimal_places=1, null=True, blank=True
    )

    class Meta:
        verbose_name = _("locaux")
        verbose_name_plural = _("locaux")
        ordering = ["association__name", "label"]

    def __str__(self) -> str:
        return f"{self.label} — {self.address}"
