"""The registry of the network's associations and of the people who coordinate them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from associations.opening_hours import validate_opening_hours
from associations.vocabulary import (
    FRAIS_CHOICES,
    TYPE_CHOICES,
    ValuesIn,
    Welcome,
    validate_eligibility_zone,
    validate_tous_publics,
)
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


# --- Directory of services (data·inclusion v1 + Soliguide access fields) ---------------------


class StructureKind(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    CCAS = "ccas", _("CCAS")
    CDAS = "cdas", _("CDAS (Département)")
    FRANCE_SERVICES = "france-services", _("France Services")
    OTHER = "autre", _("Autre organisme")


OWN_SOURCE = "solidaren"


class StructureQuerySet(AccessQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """Structures are public (their contact details are an organisation's)."""
        return self.all()

    def editable_by(self, user) -> models.QuerySet:
        if is_agent(user):
            return self.all()
        return self.filter(association_id__in=coordinated_association_ids(user))


class Structure(models.Model):
    """A body that offers services: an association of the registry, a CCAS, a CDAS...

    It holds its own copy of the published fields, so that a structure imported from a
    data·inclusion file (no association) and one of the registry are exported alike."""

    source = models.CharField(_("source"), max_length=80, default=OWN_SOURCE)
    source_id = models.CharField(_("identifiant dans la source"), max_length=200)
    kind = models.CharField(
        _("type"), max_length=20, choices=StructureKind.choices, default=StructureKind.ASSOCIATION
    )
    association = models.OneToOneField(
        Association,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="structure",
        verbose_name=_("association du registre"),
    )
    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("présentation"), blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    address_complement = models.CharField(_("complément d'adresse"), max_length=250, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    commune = models.CharField(_("commune"), max_length=80, blank=True)
    code_insee = models.CharField(_("code INSEE de la commune"), max_length=5, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(
        _("e-mail de la structure"),
        blank=True,
        help_text=_(
            "Reçoit les demandes d'orientation quand la structure n'a pas de coordinateur."
        ),
    )
    website = models.URLField(_("site web"), blank=True)
    opening_hours = models.CharField(
        _("horaires d'accueil"),
        max_length=500,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_("Format OpenStreetMap, ex. « Mo-Fr 09:00-12:00,14:00-17:00; PH off »."),
    )
    accessibility_url = models.URLField(_("lien Acceslibre"), blank=True)
    updated_on = models.DateField(_("mis à jour le"))
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = StructureQuerySet.as_manager()

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="unique_structure_source")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def data_inclusion_id(self) -> str:
        return f"{self.source}--{self.source_id}"


class UpdateFrequency(models.IntegerChoices):
    MONTHLY = 1, _("Tous les mois")
    QUARTERLY = 3, _("Tous les 3 mois")
    HALF_YEARLY = 6, _("Tous les 6 mois")
    YEARLY = 12, _("Tous les ans")


class ServiceQuerySet(AccessQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """The directory is public."""
        return self.all()

    def editable_by(self, user) -> models.QuerySet:
        if is_agent(user):
            return self.all()
        return self.filter(structure__association_id__in=coordinated_association_ids(user))


class Service(models.Model):
    """A service in the data·inclusion v1 model, with Soliguide's conditions of access."""

    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="services", verbose_name=_("structure")
    )
    source = models.CharField(_("source"), max_length=80, default=OWN_SOURCE)
    source_id = models.CharField(_("identifiant dans la source"), max_length=200)
    slug = models.SlugField(_("identifiant d'URL"), max_length=120, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("description"))
    type = models.CharField(_("type de service"), max_length=40, choices=TYPE_CHOICES, blank=True)
    thematiques = models.JSONField(
        _("thématiques"), default=list, blank=True, validators=[ValuesIn("thematique")]
    )
    publics = models.JSONField(
        _("publics"), default=list, blank=True, validators=[ValuesIn("public")]
    )
    publics_details = models.TextField(_("précisions sur les publics"), blank=True)
    fees = models.CharField(_("frais"), max_length=20, choices=FRAIS_CHOICES, blank=True)
    fees_details = models.CharField(_("précisions sur les frais"), max_length=250, blank=True)
    access_conditions = models.TextField(_("conditions d'accès"), blank=True)
    welcome = models.CharField(
        _("accueil"), max_length=20, choices=Welcome.choices, default=Welcome.UNCONDITIONAL
    )
    on_appointment = models.BooleanField(_("sur rendez-vous"), default=False)
    on_referral = models.BooleanField(_("sur orientation d'un professionnel"), default=False)
    documents_to_bring = models.TextField(_("documents à apporter"), blank=True)
    wheelchair_access = models.BooleanField(_("accessible en fauteuil roulant"), default=False)
    animals_accepted = models.BooleanField(_("animaux acceptés"), default=False)
    modes_accueil = models.JSONField(
        _("modes d'accueil"), default=list, blank=True, validators=[ValuesIn("mode_accueil")]
    )
    modes_mobilisation = models.JSONField(
        _("comment le mobiliser"),
        default=list,
        blank=True,
        validators=[ValuesIn("mode_mobilisation")],
    )
    mobilisable_par = models.JSONField(
        _("qui peut le mobiliser"),
        default=list,
        blank=True,
        validators=[ValuesIn("mobilisable_par")],
    )
    mobilisation_details = models.TextField(_("précisions sur la mobilisation"), blank=True)
    mobilisation_url = models.URLField(_("lien de mobilisation"), blank=True)
    eligibility_zone = models.JSONField(
        _("zone d'éligibilité"),
        default=list,
        blank=True,
        validators=[validate_eligibility_zone],
        help_text=_('Codes INSEE (commune, EPCI, département), ex. ["35238"].'),
    )
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    address_complement = models.CharField(_("complément d'adresse"), max_length=250, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    commune = models.CharField(_("commune"), max_length=80, blank=True)
    code_insee = models.CharField(_("code INSEE de la commune"), max_length=5, blank=True)
    quartier = models.ForeignKey(
        "volontaires.Quartier",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("quartier"),
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    how_to_get_there = models.CharField(
        _("comment s'y rendre"), max_length=250, blank=True, help_text=_("Ex. : métro Gares")
    )
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    contact_is_organisation = models.BooleanField(
        _("téléphone et e-mail de l'organisation"),
        default=True,
        help_text=_("Décoché : ce sont ceux d'une personne, jamais publiés en open data."),
    )
    opening_hours = models.CharField(
        _("horaires"),
        max_length=500,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_("Format OpenStreetMap, ex. « Mo,We 12:00-14:00; PH off »."),
    )
    languages = models.ManyToManyField(
        "volontaires.Language", blank=True, related_name="services", verbose_name=_("langues")
    )
    is_itinerant = models.BooleanField(
        _("itinérant (aller vers)"),
        default=False,
        help_text=_("Maraude, camion : les horaires sont ceux de ses arrêts."),
    )
    update_frequency = models.PositiveSmallIntegerField(
        _("fréquence de mise à jour"),
        choices=UpdateFrequency.choices,
        default=UpdateFrequency.QUARTERLY,
    )
    updated_on = models.DateField(_("mis à jour le"))
    freshness_reminded_on = models.DateField(_("relance envoyée le"), null=True, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="unique_service_source")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("associations:service", kwargs={"slug": self.slug})

    @property
    def data_inclusion_id(self) -> str:
        return f"{self.source}--{self.source_id}"

    def clean(self) -> None:
        validate_tous_publics(self.publics)
        if self.is_itinerant and self.opening_hours:
            raise ValidationError(
                {"opening_hours": _("Un service itinérant a ses horaires sur ses arrêts.")}
            )


class ServiceStop(models.Model):
    """A stop of an itinerant service (street round, food van): where and when."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="stops", verbose_name=_("service")
    )
    label = models.CharField(_("lieu"), max_length=150)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    quartier = models.ForeignKey(
        "volontaires.Quartier",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_stops",
        verbose_name=_("quartier"),
    )
    opening_hours = models.CharField(
        _("horaires"), max_length=500, validators=[validate_opening_hours]
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("arrêt")
        verbose_name_plural = _("arrêts")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.opening_hours})"


class ServiceChange(models.Model):
    """A temporary closure or changed hours between two dates (winter plan, holidays)."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="changes", verbose_name=_("service")
    )
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au (inclus)"))
    opening_hours = models.CharField(
        _("horaires pendant cette période"),
        max_length=500,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_("Vide : le service est fermé pendant cette période."),
    )
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fermeture ou changement d'horaires")
        verbose_name_plural = _("fermetures et changements d'horaires")
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return f"{self.service} : {self.starts_on} → {self.ends_on}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(
                {"ends_on": _("La fin de la période ne peut pas précéder son début.")}
            )

    @property
    def is_closure(self) -> bool:
        return not self.opening_hours


# --- Orientation requests ----------------------------------------------------------------------


class OrientationStatus(models.TextChoices):
    PENDING = "en_attente", _("En attente de réponse")
    ACCEPTED = "acceptee", _("Acceptée")
    REFUSED = "refusee", _("Refusée")
    EXPIRED = "expiree", _("Expirée")


class PrescriberRole(models.TextChoices):
    AGENT = "agent", _("Agent du CCAS ou de la Ville")
    VOLUNTEER = "volontaire", _("Volontaire pendant une mission")
    COORDINATOR = "coordination", _("Coordinateur·rice d'une association")


class OrientationQuerySet(AccessQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """Agents see every request; others those they made and those addressed to the
        services of the associations they coordinate; anonymous visitors none."""
        if is_agent(user):
            return self.all()
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(
            models.Q(prescriber=user)
            | models.Q(structure__association_id__in=coordinated_association_ids(user))
        )

    def answerable_by(self, user) -> models.QuerySet:
        """The receiving structure's coordinators (and agents) answer."""
        if is_agent(user):
            return self.all()
        return self.filter(structure__association_id__in=coordinated_association_ids(user))

    editable_by = answerable_by


class OrientationRequest(models.Model):
    """A prescriber orients a person to a service; the receiving structure answers.

    Only what the service needs about the person, with their consent recorded; personal
    fields are blanked after the retention period (`anonymised_at`)."""

    structure = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        related_name="orientations",
        verbose_name=_("structure qui reçoit"),
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orientations",
        verbose_name=_("service"),
        help_text=_("Vide : la structure elle-même (« garder le lien » après une mission)."),
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="orientations_made",
        verbose_name=_("prescripteur·rice"),
    )
    prescriber_role = models.CharField(
        _("en tant que"), max_length=20, choices=PrescriberRole.choices
    )
    prescriber_association = models.ForeignKey(
        Association,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orientations_made",
        verbose_name=_("association qui oriente"),
    )
    assignment = models.ForeignKey(
        "volontaires.Assignment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orientations",
        verbose_name=_("mission"),
    )
    first_name = models.CharField(_("prénom de la personne"), max_length=100)
    last_name = models.CharField(_("nom de la personne"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone de la personne"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail de la personne"), blank=True)
    how_to_reach = models.CharField(
        _("comment la joindre"),
        max_length=250,
        blank=True,
        help_text=_("Ex. : au téléphone l'après-midi, par l'accueil de jour."),
    )
    reason = models.TextField(_("motif de l'orientation"))
    consent_given = models.BooleanField(_("consentement de la personne recueilli"), default=False)
    consent_recorded_at = models.DateTimeField(_("consentement recueilli le"), null=True)
    status = models.CharField(
        _("état"),
        max_length=20,
        choices=OrientationStatus.choices,
        default=OrientationStatus.PENDING,
    )
    decision_reason = models.TextField(_("motif de la réponse"), blank=True)
    decided_at = models.DateTimeField(_("réponse le"), null=True, blank=True)
    decided_by = models.CharField(_("réponse de"), max_length=200, blank=True)
    link_version = models.PositiveSmallIntegerField(_("version du lien"), default=1)
    link_sent_at = models.DateTimeField(_("lien envoyé le"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("dernière relance le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    anonymised_at = models.DateTimeField(_("anonymisée le"), null=True, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = OrientationQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande d'orientation")
        verbose_name_plural = _("demandes d'orientation")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_given=True) | models.Q(anonymised_at__isnull=False),
                name="orientation_needs_consent",
            )
        ]

    def __str__(self) -> str:
        return _("Orientation n° %(pk)s vers %(target)s") % {
            "pk": self.pk,
            "target": self.target_name,
        }

    def get_absolute_url(self) -> str:
        return reverse("associations:orientation", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == OrientationStatus.PENDING

    @property
    def target_name(self) -> str:
        return self.service.name if self.service_id else self.structure.name
