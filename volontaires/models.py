"""Volontaires Solidaires: where volunteers live and which missions they can take."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from solidaren.access import AccessQuerySet, is_agent
from solidaren.geography import COMMUNE_CHOICES, RENNES


class Quartier(models.Model):
    """One of Rennes' 12 quartiers."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    slug = models.SlugField(_("identifiant"), unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("quartier")
        verbose_name_plural = _("quartiers")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class EngagementArea(models.TextChoices):
    SOLIDARITY = "solidarite", _("Solidarité")
    ECO_CITIZENSHIP = "eco-citoyennete", _("Éco-citoyenneté")
    CITY_EVENTS = "evenements", _("Événements collectifs de la Ville")
    DEMOCRACY = "democratie", _("Démocratie et citoyenneté")


class MissionType(models.Model):
    """A kind of mission (carrying groceries, paperwork help, friendly phone calls...)."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    slug = models.SlugField(_("identifiant"), unique=True)
    description = models.TextField(_("description"), blank=True)
    engagement_area = models.CharField(
        _("domaine d'engagement"),
        max_length=20,
        choices=EngagementArea.choices,
        default=EngagementArea.SOLIDARITY,
    )
    at_residents_home = models.BooleanField(
        _("au domicile de l'habitant"),
        default=False,
        help_text=_("Ces missions demandent un·e volontaire vérifié·e par les agents."),
    )

    class Meta:
        verbose_name = _("type de mission")
        verbose_name_plural = _("types de mission")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VolunteerProfileQuerySet(AccessQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        if is_agent(user):
            return self.all()
        if user.is_authenticated:
            return self.filter(user=user)
        return self.none()

    editable_by = visible_to


class VolunteerProfile(models.Model):
    """What makes a user a volunteer."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="volunteer_profile",
        verbose_name=_("compte"),
    )
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    commune = models.CharField(_("commune"), max_length=80, choices=COMMUNE_CHOICES, default=RENNES)
    quartier = models.ForeignKey(
        Quartier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("quartier (à Rennes)"),
        related_name="volunteers",
    )
    mission_types = models.ManyToManyField(
        MissionType, verbose_name=_("missions acceptées"), blank=True, related_name="volunteers"
    )
    created_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)

    objects = VolunteerProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("profil de volontaire")
        verbose_name_plural = _("profils de volontaires")
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return str(self.user)
