"""Volontaires Solidaires: programmes, volunteers, residents, missions and proposals.

Figures (`figures.py`) and matching (`matching.py`) read these rows; nothing here stores a
count. Residents are the most sensitive data of the portal: only agents see them through
`Resident.objects.visible_to`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from solidaren.access import (
    AccessQuerySet,
    OwnedQuerySet,
    coordinated_association_ids,
    is_agent,
    is_data_protection_officer,
)
from solidaren.geography import COMMUNE_CHOICES, RENNES


class Quartier(models.Model):
    """One of Rennes' 12 quartiers."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    slug = models.SlugField(_("identifiant"), unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    neighbours = models.ManyToManyField(
        "self",
        symmetrical=True,
        blank=True,
        verbose_name=_("quartiers voisins"),
        help_text=_("Sert au rapprochement : même quartier ou quartier voisin."),
    )

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


class TransportMode(models.TextChoices):
    WALK = "pied", _("À pied")
    BIKE = "velo", _("À vélo")
    PUBLIC_TRANSPORT = "transports", _("Transports en commun")
    CAR = "voiture", _("En voiture")


class Weekday(models.IntegerChoices):
    """Same numbering as `datetime.date.weekday()`."""

    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")


class Language(models.Model):
    """A language spoken by volunteers or residents, identified by its ISO 639 code."""

    code = models.CharField(_("code ISO 639"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("langue")
        verbose_name_plural = _("langues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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


class Programme(models.Model):
    """A campaign of volunteering (Volontaires Solidaires 2020–2021, then its successor).

    Volunteers, residents, missions and figures belong to a programme.
    """

    name = models.CharField(_("nom"), max_length=120, unique=True)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    description = models.TextField(_("présentation"), blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="programme_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


def validate_choice_list(values: list, choices: type[models.TextChoices], field: str) -> None:
    # The back-office edits these lists as JSON: a number or a text typed there is not a list.
    if values is not None and not isinstance(values, list):
        raise ValidationError({field: _("Indiquez une liste de valeurs, par exemple [].")})
    unknown = [value for value in values or [] if value not in choices.values]
    if unknown:
        raise ValidationError({field: _("Valeurs inconnues : %(values)s") % {"values": unknown}})


class VolunteerProfileQuerySet(OwnedQuerySet):
    owner_field = "user"


class VolunteerProfile(models.Model):
    """What makes a user a volunteer: where, when and what they can do."""

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
    languages = models.ManyToManyField(
        Language, verbose_name=_("langues parlées"), blank=True, related_name="volunteers"
    )
    transport_modes = models.JSONField(
        _("moyens de déplacement"), default=list, blank=True, help_text=_("Codes de TransportMode.")
    )
    engagement_areas = models.JSONField(
        _("domaines d'engagement"), default=list, blank=True, help_text=_("Codes d'EngagementArea.")
    )
    max_missions_per_month = models.PositiveSmallIntegerField(
        _("missions par mois au plus"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    max_solicitations_per_month = models.PositiveSmallIntegerField(
        _("sollicitations par mois au plus"),
        null=True,
        blank=True,
        help_text=_("Vide : la règle générale du portail."),
    )
    is_verified = models.BooleanField(
        _("vérifié·e par les agents"),
        default=False,
        help_text=_("Nécessaire pour les missions au domicile d'un·e habitant·e."),
    )
    verified_at = models.DateTimeField(_("vérifié·e le"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifié·e par"),
    )
    charter_accepted_at = models.DateTimeField(
        _("charte des volontaires acceptée le"), null=True, blank=True
    )
    data_policy_accepted_at = models.DateTimeField(
        _("politique de données acceptée le"), null=True, blank=True
    )
    programmes = models.ManyToManyField(
        Programme,
        through="Enrolment",
        related_name="volunteers",
        verbose_name=_("programmes"),
        blank=True,
    )
    created_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)
    # Secret of the private calendar feed (volontaires/ical.py); empty until first asked for.
    ical_token = models.CharField(
        _("jeton du calendrier"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # Set when the retention job warned that the account will be anonymised
    # (volontaires/retention.py); any later activity makes the warning stale.
    retention_warned_at = models.DateTimeField(
        _("prévenu·e de l'anonymisation le"), null=True, blank=True, editable=False
    )

    objects = VolunteerProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("profil de volontaire")
        verbose_name_plural = _("profils de volontaires")
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        validate_choice_list(self.transport_modes, TransportMode, "transport_modes")
        validate_choice_list(self.engagement_areas, EngagementArea, "engagement_areas")

    @property
    def solicitations_limit(self) -> int:
        if self.max_solicitations_per_month is not None:
            return self.max_solicitations_per_month
        return settings.VOLUNTEER_MAX_SOLICITATIONS_PER_MONTH


class AvailabilitySlot(models.Model):
    """A weekly time window in which a volunteer can take missions."""

    volunteer = models.ForeignKey(
        VolunteerProfile,
        on_delete=models.CASCADE,
        related_name="availability_slots",
        verbose_name=_("volontaire"),
    )
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start_time = models.TimeField(_("de"))
    end_time = models.TimeField(_("à"))

    class Meta:
        verbose_name = _("disponibilité")
        verbose_name_plural = _("disponibilités")
        ordering = ["volunteer", "weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "weekday", "start_time"], name="one_slot_per_start"
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="slot_ends_after_start"
            ),
        ]
        # Candidates of a mission: slots covering its weekday and hours (candidates.py), found
        # from the weekday instead of reading every volunteer's slots; with the volunteer in
        # the index, PostgreSQL answers from the index alone.
        indexes = [
            models.Index(
                fields=["weekday", "start_time", "end_time"],
                include=["volunteer"],
                name="slot_covering_volunteer_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "actif", _("Actif·ve")
    PAUSED = "pause", _("En pause")
    WITHDRAWN = "desiste", _("Désisté·e")


class EnrolmentQuerySet(OwnedQuerySet):
    owner_field = "volunteer__user"

    def not_withdrawn(self) -> models.QuerySet:
        return self.exclude(status=EnrolmentStatus.WITHDRAWN)


class Enrolment(models.Model):
    """A volunteer's membership in one programme; its status changes are kept below."""

    volunteer = models.ForeignKey(
        VolunteerProfile,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("volontaire"),
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("programme")
    )
    signed_up_at = models.DateTimeField(_("inscrit·e le"))
    status = models.CharField(
        _("statut"), max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("statut depuis le"))
    withdrawn_at = models.DateTimeField(_("désisté·e le"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("motif du désistement"), blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription à un programme")
        verbose_name_plural = _("inscriptions à un programme")
        ordering = ["programme", "signed_up_at"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "programme"], name="one_enrolment_each"),
            models.CheckConstraint(
                condition=~Q(status=EnrolmentStatus.WITHDRAWN) | Q(withdrawn_at__isnull=False),
                name="withdrawal_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} — {self.programme}"


class EnrolmentStatusChange(models.Model):
    """History of an enrolment: sign-up, pauses, resumptions, withdrawal."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="changes", verbose_name=_("inscription")
    )
    status = models.CharField(_("statut"), max_length=10, choices=EnrolmentStatus.choices)
    changed_at = models.DateTimeField(_("le"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("changement de statut")
        verbose_name_plural = _("changements de statut")
        ordering = ["enrolment", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.changed_at:%d/%m/%Y})"


class ReferredBy(models.TextChoices):
    CCAS = "ccas", _("CCAS")
    CDAS = "cdas", _("CDAS")
    ASSOCIATION = "association", _("Association")
    SELF = "self", _("L'habitant·e lui-même / elle-même")


class ResidentQuerySet(AccessQuerySet):
    """Agents only. Volunteers never list residents: what they may know of the resident of a
    mission they accepted is shown through that mission, not through this queryset."""

    def visible_to(self, user) -> models.QuerySet:
        return self.all() if is_agent(user) else self.none()

    editable_by = visible_to


class Resident(models.Model):
    """A resident who asked for help, entered by an agent (usually from a phone call)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="residents", verbose_name=_("programme")
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    commune = models.CharField(_("commune"), max_length=80, choices=COMMUNE_CHOICES, default=RENNES)
    quartier = models.ForeignKey(
        Quartier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("quartier"),
    )
    needs = models.TextField(_("besoins exprimés"), blank=True)
    language = models.ForeignKey(
        Language,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("langue"),
    )
    referred_by = models.CharField(
        _("orienté·e par"), max_length=12, choices=ReferredBy.choices, default=ReferredBy.SELF
    )
    referring_association = models.ForeignKey(
        "associations.Association",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("association qui oriente"),
    )
    consent_recorded_at = models.DateTimeField(_("consentement recueilli le"), null=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consentement recueilli par"),
    )
    created_at = models.DateTimeField(_("créé·e le"), auto_now_add=True)
    # Erased on request or by the retention job (volontaires/resident_data.py): the row stays,
    # without identity, so that the figures still count the resident.
    anonymised_at = models.DateTimeField(_("anonymisé·e le"), null=True, blank=True, editable=False)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("habitant·e")
        verbose_name_plural = _("habitant·es")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        if self.anonymised_at is not None:
            return gettext("Habitant·e anonymisé·e n°%(pk)s") % {"pk": self.pk}
        return f"{self.first_name} {self.last_name}"


class MissionOrigin(models.TextChoices):
    RESIDENT = "habitant", _("Demande d'un·e habitant·e")
    ASSOCIATION = "association", _("Appel d'une association")
    CITY = "ville", _("Événement de la Ville")


class Urgency(models.TextChoices):
    NORMAL = "normale", _("Normale")
    URGENT = "urgente", _("Urgente")


class MissionStatus(models.TextChoices):
    OPEN = "ouverte", _("Ouverte")
    FULL = "complete", _("Complète")
    DONE = "realisee", _("Réalisée")
    CANCELLED = "annulee", _("Annulée")


class MissionQuerySet(AccessQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """Agents: all. Coordinators: their association's. Volunteers: those they were asked
        for, and the open calls of associations and of the city (self-service)."""
        if is_agent(user):
            return self.all()
        if not (user.is_authenticated and user.is_active):
            return self.none()
        # EXISTS rather than a join on the assignments and DISTINCT: at 200,000 missions the
        # join made every open-missions list read and de-duplicate the whole table.
        asked = Assignment.objects.filter(mission=models.OuterRef("pk"), volunteer__user=user)
        return self.filter(
            models.Exists(asked)
            | Q(association_id__in=coordinated_association_ids(user))
            | Q(status=MissionStatus.OPEN, resident__isnull=True, volunteer_calls=True)
        )

    def editable_by(self, user) -> models.QuerySet:
        if is_agent(user):
            return self.all()
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(association_id__in=coordinated_association_ids(user))


class Mission(models.Model):
    """Something to do for a resident, an association or the city, on a date or every week."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="missions", verbose_name=_("programme")
    )
    mission_type = models.ForeignKey(
        MissionType, on_delete=models.PROTECT, related_name="missions", verbose_name=_("type")
    )
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    origin = models.CharField(
        _("origine"), max_length=12, choices=MissionOrigin.choices, default=MissionOrigin.RESIDENT
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="missions",
        verbose_name=_("habitant·e"),
    )
    association = models.ForeignKey(
        "associations.Association",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer_missions",
        verbose_name=_("association"),
    )
    volunteer_calls = models.BooleanField(
        _("ouverte aux candidatures"),
        default=False,
        help_text=_("Les volontaires peuvent la voir et y postuler (appels sans habitant·e)."),
    )
    commune = models.CharField(_("commune"), max_length=80, choices=COMMUNE_CHOICES, default=RENNES)
    quartier = models.ForeignKey(
        Quartier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="missions",
        verbose_name=_("quartier"),
    )
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    recurrence_weekday = models.PositiveSmallIntegerField(
        _("chaque semaine le"),
        choices=Weekday.choices,
        null=True,
        blank=True,
        help_text=_("Pour une mission hebdomadaire, à la place d'une date."),
    )
    start_time = models.TimeField(_("de"))
    end_time = models.TimeField(_("à"))
    expected_duration_minutes = models.PositiveSmallIntegerField(
        _("durée prévue (minutes)"), default=60
    )
    places = models.PositiveSmallIntegerField(
        _("volontaires recherché·es"), default=1, validators=[MinValueValidator(1)]
    )
    urgency = models.CharField(
        _("urgence"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    engagement_area = models.CharField(
        _("domaine d'engagement"),
        max_length=20,
        choices=EngagementArea.choices,
        default=EngagementArea.SOLIDARITY,
    )
    required_language = models.ForeignKey(
        Language,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="missions",
        verbose_name=_("langue requise"),
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=MissionStatus.choices, default=MissionStatus.OPEN
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("créée par"),
    )

    objects = MissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["date", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date__isnull=False) | Q(recurrence_weekday__isnull=False),
                name="mission_has_a_date_or_a_weekday",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="mission_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(origin=MissionOrigin.RESIDENT) | Q(volunteer_calls=False),
                name="resident_missions_not_public",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "status"]),
            # Open missions to come, by date (volunteers' and agents' lists, batch, bench
            # EXPLAIN ANALYZE at 200,000 missions: a bitmap scan instead of the whole table).
            models.Index(fields=["status", "date"], name="mission_status_date_idx"),
            # The agents' list in its order (casework.staff_missions), with and without the
            # status filter, and the volunteers' open calls in theirs (self_service.open_calls):
            # a page reads its 20 rows from the index instead of sorting every open mission.
            models.Index(
                fields=["status", "-urgency", "date", "start_time", "id"],
                name="mission_staff_order_idx",
            ),
            models.Index(
                fields=["-urgency", "date", "start_time", "id"], name="mission_staff_all_idx"
            ),
            models.Index(
                fields=["date", "start_time", "id"],
                include=["programme_id"],  # the page's ids and its count from the index alone
                name="open_call_order_idx",
                condition=Q(status="ouverte", volunteer_calls=True, resident__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.date is None and self.recurrence_weekday is None:
            raise ValidationError(_("Indiquez une date ou un jour de la semaine."))
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("La fin doit suivre le début.")})
        if self.origin == MissionOrigin.RESIDENT and self.resident_id is None:
            raise ValidationError({"resident": _("Une demande d'habitant·e nomme l'habitant·e.")})
        if self.origin == MissionOrigin.RESIDENT:
            self.volunteer_calls = False

    @property
    def weekday(self) -> int:
        return self.date.weekday() if self.date else self.recurrence_weekday

    def month(self, today: datetime.date) -> tuple[int, int]:
        """The calendar month whose quota the mission uses (today's for a weekly mission)."""
        day = self.date or today
        return day.year, day.month


class AssignmentStatus(models.TextChoices):
    PROPOSED = "proposee", _("Proposée")
    ACCEPTED = "acceptee", _("Acceptée")
    DECLINED = "refusee", _("Déclinée")
    EXPIRED = "expiree", _("Expirée")
    CANCELLED = "annulee", _("Annulée")
    DONE = "realisee", _("Réalisée")


# Statuses holding one of the mission's places.
PLACE_HOLDING = [AssignmentStatus.PROPOSED, AssignmentStatus.ACCEPTED, AssignmentStatus.DONE]
# Statuses counting in the volunteer's monthly maximum of missions.
COMMITTED = [AssignmentStatus.ACCEPTED, AssignmentStatus.DONE]


class AssignmentSource(models.TextChoices):
    STAFF = "agent", _("Proposition d'un agent")
    BATCH = "lot", _("Attribution groupée")
    SELF_SERVICE = "candidature", _("Candidature du volontaire")


class AssignmentQuerySet(OwnedQuerySet):
    owner_field = "volunteer__user"


class Assignment(models.Model):
    """A volunteer on a mission: proposed, then accepted or declined, and finally done."""

    mission = models.ForeignKey(
        Mission, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("mission")
    )
    volunteer = models.ForeignKey(
        VolunteerProfile,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("volontaire"),
    )
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PROPOSED,
    )
    source = models.CharField(
        _("origine"),
        max_length=12,
        choices=AssignmentSource.choices,
        default=AssignmentSource.STAFF,
    )
    proposed_at = models.DateTimeField(_("proposée le"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposée par"),
    )
    answered_at = models.DateTimeField(_("réponse le"), null=True, blank=True)
    decline_reason = models.TextField(_("motif du refus"), blank=True)
    score = models.SmallIntegerField(_("score de rapprochement"), null=True, blank=True)
    done_on = models.DateField(_("réalisée le"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée réelle (minutes)"), null=True, blank=True
    )
    completion_note = models.TextField(_("compte rendu"), blank=True)
    reminded_on = models.DateField(_("rappel envoyé le"), null=True, blank=True, editable=False)
    # Set under the row lock when the proposal e-mail leaves: a task delivered twice sends one.
    notified_at = models.DateTimeField(
        _("proposition envoyée par e-mail le"), null=True, blank=True, editable=False
    )
    # Set under the row lock when the team is told that the volunteer cancelled (once).
    cancellation_notified_at = models.DateTimeField(
        _("annulation signalée à l'équipe le"), null=True, blank=True, editable=False
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposition de mission")
        verbose_name_plural = _("propositions de mission")
        ordering = ["-proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["mission", "volunteer"], name="one_assignment_each"),
            models.CheckConstraint(
                condition=~Q(status=AssignmentStatus.DONE) | Q(done_on__isnull=False),
                name="done_has_a_date",
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "status"])]

    def __str__(self) -> str:
        return f"{self.volunteer} — {self.mission}"


class TrainingSession(models.Model):
    """A session of the training path (parcours citoyen) of a programme."""

    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="training_sessions",
        verbose_name=_("programme"),
    )
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(_("places"), default=20)

    class Meta:
        verbose_name = _("session du parcours citoyen")
        verbose_name_plural = _("sessions du parcours citoyen")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class TrainingRegistration(models.Model):
    """A volunteer registered to a session; `attended` is filled in after the session."""

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("session"),
    )
    volunteer = models.ForeignKey(
        VolunteerProfile,
        on_delete=models.CASCADE,
        related_name="training_registrations",
        verbose_name=_("volontaire"),
    )
    registered_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)
    attended = models.BooleanField(_("présent·e"), null=True, blank=True)

    class Meta:
        verbose_name = _("inscription à une session")
        verbose_name_plural = _("inscriptions à une session")
        ordering = ["session", "registered_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "volunteer"], name="one_registration_each")
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} — {self.session}"


class KeepInTouchRequest(models.Model):
    """After a mission done for a resident, the volunteer asks that an association take over
    the follow-up ("garder le lien"); agents handle the request in the back-office."""

    assignment = models.OneToOneField(
        Assignment,
        on_delete=models.CASCADE,
        related_name="keep_in_touch",
        verbose_name=_("mission réalisée"),
    )
    association = models.ForeignKey(
        "associations.Association",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("association souhaitée"),
        help_text=_("Vide : les agents choisissent l'association."),
    )
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    handled = models.BooleanField(_("traitée"), default=False)

    class Meta:
        verbose_name = _("demande de « garder le lien »")
        verbose_name_plural = _("demandes de « garder le lien »")
        ordering = ["handled", "-created_at"]

    def __str__(self) -> str:
        return str(self.assignment)


class ResidentAccessSource(models.TextChoices):
    STAFF_MISSION = "mission", _("Page mission des agents")
    VOLUNTEER_MISSION = "volontaire", _("Page mission des volontaires, vue par un agent")
    BACK_OFFICE_CHANGE = "back-office", _("Fiche du back-office")
    BACK_OFFICE_HISTORY = "historique", _("Historique du back-office")
    EXPORT = "export", _("Export des données")
    ERASURE_CONFIRMATION = "confirmation", _("Confirmation de l'effacement")
    ERASURE = "effacement", _("Effacement")


class ResidentAccessLogQuerySet(AccessQuerySet):
    """The data protection officer reads the log; nobody changes it (not even agents)."""

    def visible_to(self, user) -> models.QuerySet:
        return self.all() if is_data_protection_officer(user) else self.none()

    def editable_by(self, user) -> models.QuerySet:
        return self.none()


class ResidentAccessLog(models.Model):
    """One reading of a resident's record by staff: who, when, which record and from which
    page — never the data that was shown (volontaires/access_log.py writes it)."""

    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        related_name="access_logs",
        verbose_name=_("habitant·e"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("consulté par"),
    )
    accessed_at = models.DateTimeField(_("le"), default=timezone.now)
    source = models.CharField(_("depuis"), max_length=12, choices=ResidentAccessSource.choices)
    path = models.CharField(_("adresse de la page"), max_length=300)

    objects = ResidentAccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation d'une fiche d'habitant·e")
        verbose_name_plural = _("journal des consultations des fiches d'habitant·es")
        ordering = ["-accessed_at", "-pk"]
        indexes = [
            models.Index(fields=["accessed_at"]),
            models.Index(fields=["resident", "accessed_at"]),
            models.Index(fields=["user", "accessed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} — n°{self.resident_id} ({self.accessed_at:%d/%m/%Y %H:%M})"


class BatchRunStatus(models.TextChoices):
    QUEUED = "en_attente", _("En attente")
    RUNNING = "en_cours", _("En cours")
    DONE = "terminee", _("Terminée")
    FAILED = "echec", _("Échec")


class BatchAssignmentRun(models.Model):
    """One "assign all open missions" asked by an agent, run by a Celery task (never inside
    the request): its progress, then what was proposed and which places stay empty and why."""

    programme = models.ForeignKey(
        Programme,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("programme"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("demandée par"),
    )
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=BatchRunStatus.choices, default=BatchRunStatus.QUEUED
    )
    step = models.CharField(_("étape"), max_length=200, blank=True)
    done = models.PositiveIntegerField(_("propositions faites"), default=0)
    total = models.PositiveIntegerField(_("propositions prévues"), default=0)
    # {"missions": [{"mission_id", "title", "places", "proposed", "empty", "eligible",
    #   "reason"}], "proposals": n, "empty_places": n, "seconds": s}
    result = models.JSONField(_("résultat"), default=dict, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    objects = AccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("attribution groupée")
        verbose_name_plural = _("attributions groupées")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(_("Attribution groupée n°%(pk)s") % {"pk": self.pk})

    def get_absolute_url(self) -> str:
        return reverse("volontaires:staff_batch_run", kwargs={"pk": self.pk})

    @property
    def is_complete(self) -> bool:
        return self.status in (BatchRunStatus.DONE, BatchRunStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.is_complete:
            return 100
        return round(100 * self.done / self.total) if self.total else 0
