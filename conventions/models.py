"""Public funders, the multi-year grant conventions they sign with associations, the money and
in-kind support they commit each year, and the associations' yearly reports (CERFA 15059).

The French subsidy rules are in `conventions/rules.py`; the models call them from `clean()` so
that every form (admin, portal) shows the same messages.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from solidaren.access import (
    AccessQuerySet,
    AssociationScopedQuerySet,
    OwnedQuerySet,
    coordinated_association_ids,
)
from solidaren.identifiers import SiretField, compact_digits, validate_siret

PERCENT_MESSAGE = _("Un pourcentage est compris entre 0 et 100.")
NON_NEGATIVE = [MinValueValidator(Decimal("0"), message=_("Le montant ne peut pas être négatif."))]


def euros(verbose_name, **kwargs) -> models.DecimalField:
    """A non-negative amount in euros, to the cent."""
    kwargs.setdefault("default", Decimal("0"))
    return models.DecimalField(
        verbose_name, max_digits=12, decimal_places=2, validators=NON_NEGATIVE, **kwargs
    )


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
    siret = SiretField(_("SIRET"), max_length=14, validators=[validate_siret])
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

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class NetworkPriority(models.Model):
    """One of the priorities shared by the whole network for a period (e.g. "aller vers")."""

    position = models.PositiveSmallIntegerField(_("ordre"), unique=True)
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("priorité partagée du réseau")
        verbose_name_plural = _("priorités partagées du réseau")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class ConventionStatus(models.TextChoices):
    """The signature workflow (conventions/signature.py): brouillon → prête → en signature →
    signée → notifiée → en vigueur → échue / renouvelée."""

    DRAFT = "brouillon", _("Brouillon")
    READY = "prete", _("Prête à signer")
    OUT_FOR_SIGNATURE = "signature", _("En signature")
    SIGNED = "signee", _("Signée")
    NOTIFIED = "notifiee", _("Notifiée")
    IN_FORCE = "en_vigueur", _("Signée, en vigueur")
    EXPIRED = "expiree", _("Expirée")
    RENEWED = "renouvelee", _("Renouvelée")


SIGNED_STATUSES = [
    ConventionStatus.SIGNED,
    ConventionStatus.NOTIFIED,
    ConventionStatus.IN_FORCE,
    ConventionStatus.EXPIRED,
    ConventionStatus.RENEWED,
]


class PaymentTerms(models.TextChoices):
    """The SCDL's `conditionsVersement` values."""

    SINGLE = "unique", _("Versement unique")
    INSTALMENTS = "échelonné", _("Versement échelonné")
    OTHER = "autre", _("Autre")


def signed_scan_path(instance: Convention, filename: str) -> str:
    return f"conventions/signees/{instance.pk}/{instance.reference}-convention-signee.pdf"


class ConventionQuerySet(AssociationScopedQuerySet):
    def signed(self) -> models.QuerySet:
        return self.filter(status__in=SIGNED_STATUSES)

    def covering_year(self, year: int) -> models.QuerySet:
        return self.filter(start_date__year__lte=year, end_date__year__gte=year)

    def delete(self):
        """A convention with a closed year keeps its amounts: it cannot be deleted."""
        from conventions import rules

        rules.refuse_deleting_closed_rows(self)
        return super().delete()


class Convention(models.Model):
    """A multi-year convention (CPO) between an association and one or more public funders."""

    reference = models.CharField(_("référence"), max_length=40, unique=True)
    association = models.ForeignKey(
        "associations.Association",
        on_delete=models.PROTECT,
        related_name="conventions",
        verbose_name=_("association"),
    )
    funders = models.ManyToManyField(
        Funder,
        through="ConventionParty",
        related_name="conventions",
        verbose_name=_("financeurs signataires"),
    )
    purpose = models.CharField(
        _("objet"),
        max_length=255,
        help_text=_("Objet de la convention, publié dans les données ouvertes (255 caractères)."),
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=ConventionStatus.choices,
        default=ConventionStatus.DRAFT,
    )
    association_signed_on = models.DateField(
        _("signée par l'association le"), null=True, blank=True
    )
    association_signatory = models.CharField(
        _("signataire pour l'association"), max_length=200, blank=True
    )
    republican_contract_attested_on = models.DateField(
        _("contrat d'engagement républicain attesté le"),
        null=True,
        blank=True,
        help_text=_("Date de l'attestation de l'association (obligatoire depuis 2022)."),
    )
    payment_terms = models.CharField(
        _("conditions de versement"),
        max_length=20,
        choices=PaymentTerms.choices,
        default=PaymentTerms.INSTALMENTS,
    )
    renews = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewed_by",
        verbose_name=_("renouvelle la convention"),
    )
    renewal_reminder_sent_on = models.DateField(
        _("rappel de renouvellement envoyé le"), null=True, blank=True, editable=False
    )
    notified_on = models.DateField(
        _("notifiée le"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("La notification ouvre le délai de 60 jours pour les versements."),
    )
    signed_scan = models.FileField(
        _("exemplaire signé (PDF)"), upload_to=signed_scan_path, blank=True, editable=False
    )
    signed_scan_sha256 = models.CharField(
        _("empreinte SHA-256 de l'exemplaire signé"), max_length=64, blank=True, editable=False
    )
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Augmente à chaque étape : deux agents ne s'écrasent pas l'un l'autre."),
    )
    notes = models.TextField(_("notes internes"), blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    objects = ConventionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["-start_date", "association__name"]

    def __str__(self) -> str:
        return f"{self.reference} — {self.association}"

    def get_absolute_url(self) -> str:
        return reverse("conventions:detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        from conventions import rules

        rules.check_convention(self)

    def delete(self, *args, **kwargs):
        # A guard on every path (its closed years' amounts would go with it).
        from conventions import rules

        rules.refuse_deleting_closed_rows([self])
        return super().delete(*args, **kwargs)

    @property
    def years(self) -> list[int]:
        return list(range(self.start_date.year, self.end_date.year + 1))

    @property
    def is_signed(self) -> bool:
        return self.status in SIGNED_STATUSES

    @property
    def party_count(self) -> int:
        """Signatories including the association: 3 for a tripartite convention."""
        return 1 + len(self.signatory_funder_ids())

    @property
    def kind_label(self) -> str:
        count = self.party_count
        if count == 2:
            return _("bipartite")
        if count == 3:
            return _("tripartite")
        return _("à %(count)d parties") % {"count": count}

    def signatory_funder_ids(self) -> set[int]:
        """Funders signing this convention, including those being added in the same form."""
        pending = getattr(self, "pending_funder_ids", None)
        if pending is not None:
            return set(pending)
        if self.pk is None:
            return set()
        if "parties" in getattr(self, "_prefetched_objects_cache", {}):
            return {party.funder_id for party in self.parties.all()}
        return set(self.parties.values_list("funder_id", flat=True))

    def renewal_chain(self) -> list[Convention]:
        """The conventions of this line, oldest first (2011 → 2015 → 2019 → 2023).

        A line stays within one association: its conventions are read in one query and
        followed in memory, whatever the length of the line."""
        line = {
            convention.pk: convention
            for convention in Convention.objects.filter(association_id=self.association_id)
        }
        line[self.pk] = self
        renewed_by = {
            convention.renews_id: convention
            for convention in line.values()
            if convention.renews_id is not None
        }

        def earlier(convention: Convention) -> Convention | None:
            if convention.renews_id is None:
                return None
            # A line that crossed to another association (rare) is followed row by row.
            return line.get(convention.renews_id) or convention.renews

        chain: list[Convention] = [self]
        seen = {self.pk}
        previous = earlier(self)
        while previous is not None and previous.pk not in seen:
            chain.insert(0, previous)
            seen.add(previous.pk)
            previous = earlier(previous)
        following = renewed_by.get(self.pk)
        while following is not None and following.pk not in seen:
            chain.append(following)
            seen.add(following.pk)
            following = renewed_by.get(following.pk)
        return chain


class ConventionParty(models.Model):
    """A funder signing a convention, with its own decision and signature date."""

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="parties",
        verbose_name=_("convention"),
    )
    funder = models.ForeignKey(
        Funder, on_delete=models.PROTECT, related_name="parties", verbose_name=_("financeur")
    )
    signed_on = models.DateField(_("signée le"), null=True, blank=True)
    signatory = models.CharField(_("signataire"), max_length=200, blank=True)
    decision_reference = models.CharField(
        _("référence de la décision"),
        max_length=80,
        blank=True,
        help_text=_("Délibération ou arrêté d'attribution (ex. : DCM 2022-0412)."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("financeur signataire")
        verbose_name_plural = _("financeurs signataires")
        ordering = ["funder__name"]
        constraints = [
            models.UniqueConstraint(fields=["convention", "funder"], name="unique_party")
        ]

    def __str__(self) -> str:
        return f"{self.funder} — {self.convention.reference}"

    def clean(self) -> None:
        from conventions import rules

        rules.check_party(self)


class Objective(models.Model):
    """An objective of a convention: one of the network's shared priorities, or its own."""

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="objectives",
        verbose_name=_("convention"),
    )
    priority = models.ForeignKey(
        NetworkPriority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectives",
        verbose_name=_("priorité partagée"),
        help_text=_("Vide pour un objectif propre à l'association."),
    )
    title = models.CharField(_("objectif"), max_length=255)
    indicators = models.TextField(_("indicateurs d'évaluation"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("objectif")
        verbose_name_plural = _("objectifs")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.priority_id is not None


class ClosedYearQuerySet(models.QuerySet):
    """Rows of a year whose report is validated cannot be deleted in bulk either."""

    def delete(self):
        from conventions import rules

        rules.refuse_deleting_closed_rows(self)
        return super().delete()


class ClosedYearGuardMixin:
    """The closed-year rule on every path, the shell included.

    Forms show the rule's message through `clean()`; `save()` and `delete()` check it again so
    that no code path (a script, a bulk action, a service) can change or remove a closed year's
    row. A guard, not a side effect: it writes nothing, it refuses.
    """

    def save(self, *args, **kwargs):
        from conventions import rules

        rules.refuse_closed_year_change(self)
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from conventions import rules

        rules.refuse_deleting_closed_rows([self])
        return super().delete(*args, **kwargs)


class GrantKind(models.TextChoices):
    OPERATING = "fonctionnement", _("Subvention de fonctionnement")
    PROJECT = "projet", _("Subvention de projet")


class Commitment(ClosedYearGuardMixin, models.Model):
    """What one funder commits to pay under a convention for one year."""

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("convention"),
    )
    funder = models.ForeignKey(
        Funder, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("financeur")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    kind = models.CharField(
        _("nature"), max_length=20, choices=GrantKind.choices, default=GrantKind.OPERATING
    )
    amount = euros(_("montant (€)"))

    objects = ClosedYearQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("engagement annuel")
        verbose_name_plural = _("engagements annuels")
        ordering = ["year", "funder__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "funder", "year", "kind"], name="unique_commitment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.funder} {self.year} : {self.amount} €"

    def clean(self) -> None:
        from conventions import rules

        rules.check_commitment(self)


class Payment(ClosedYearGuardMixin, models.Model):
    """A scheduled instalment of a funder's yearly grant, and when it was paid."""

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="payments",
        verbose_name=_("convention"),
    )
    funder = models.ForeignKey(
        Funder, on_delete=models.PROTECT, related_name="payments", verbose_name=_("financeur")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    amount = euros(_("montant (€)"))
    notified_on = models.DateField(
        _("décision notifiée le"),
        null=True,
        blank=True,
        help_text=_("Le versement est dû dans les 60 jours suivant la notification."),
    )
    scheduled_on = models.DateField(_("versement prévu le"), null=True, blank=True)
    paid_on = models.DateField(_("versé le"), null=True, blank=True)

    objects = ClosedYearQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("versement")
        verbose_name_plural = _("versements")
        ordering = ["year", "scheduled_on", "pk"]

    def __str__(self) -> str:
        return f"{self.funder} {self.year} : {self.amount} €"

    def clean(self) -> None:
        from conventions import rules

        rules.check_payment(self)

    @property
    def deadline(self) -> datetime.date | None:
        from conventions import rules

        return rules.payment_deadline(self)

    def is_late(self, today: datetime.date | None = None) -> bool:
        from conventions import rules

        return rules.payment_is_late(self, today)


class InKindSupport(ClosedYearGuardMixin, models.Model):
    """Support in kind (premises, services) valued in euros per year of the convention."""

    class Kind(models.TextChoices):
        PREMISES = "locaux", _("Mise à disposition de locaux")
        SERVICES = "services", _("Prestations et fluides")
        OTHER = "autre", _("Autre aide en nature")

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="in_kind_supports",
        verbose_name=_("convention"),
    )
    funder = models.ForeignKey(
        Funder,
        on_delete=models.PROTECT,
        related_name="in_kind_supports",
        verbose_name=_("financeur"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.PREMISES)
    premises = models.ForeignKey(
        "associations.Premises",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="in_kind_supports",
        verbose_name=_("locaux"),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    yearly_value = euros(
        _("valeur annuelle (€)"),
        help_text=_(
            "Valeur de la première année ; une nouvelle valeur s'applique à partir d'une année "
            "donnée (valeurs par année), sans jamais modifier une année close."
        ),
    )

    objects = ClosedYearQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("aide en nature")
        verbose_name_plural = _("aides en nature")
        ordering = ["funder__name", "pk"]

    def __str__(self) -> str:
        label = self.premises or self.description or self.get_kind_display()
        return f"{label} ({self.yearly_value} €/an)"

    def clean(self) -> None:
        from conventions import rules

        rules.check_in_kind_support(self)

    def value_for(self, year: int) -> Decimal:
        """The value of the support in `year`: the latest value applying from that year or
        before, else the first year's value. Uses prefetched `values` when there are."""
        applicable = [value for value in self.values.all() if value.from_year <= year]
        if not applicable:
            return self.yearly_value
        return max(applicable, key=lambda value: value.from_year).value

    def yearly_values(self, years: list[int]) -> list[tuple[int, Decimal]]:
        return [(year, self.value_for(year)) for year in years]


class InKindValue(ClosedYearGuardMixin, models.Model):
    """A new value of an in-kind support, applying from a year on (e.g. a revalued rent)."""

    support = models.ForeignKey(
        InKindSupport,
        on_delete=models.CASCADE,
        related_name="values",
        verbose_name=_("aide en nature"),
    )
    from_year = models.PositiveSmallIntegerField(_("à partir de l'année"))
    value = euros(_("valeur annuelle (€)"))

    objects = ClosedYearQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("valeur d'une aide en nature")
        verbose_name_plural = _("valeurs d'une aide en nature")
        ordering = ["from_year"]
        constraints = [
            models.UniqueConstraint(fields=["support", "from_year"], name="one_value_per_year")
        ]

    def __str__(self) -> str:
        return _("%(value)s € à partir de %(year)s") % {"value": self.value, "year": self.from_year}

    def clean(self) -> None:
        from conventions import rules

        rules.check_in_kind_value(self)


class SubsidyNature(models.TextChoices):
    """The SCDL's `nature` values."""

    MONEY = "aide en numéraire", _("Aide en numéraire")
    IN_KIND = "aide en nature", _("Aide en nature")


class Subsidy(models.Model):
    """A one-off subsidy decided outside any convention (e.g. an emergency grant)."""

    association = models.ForeignKey(
        "associations.Association",
        on_delete=models.PROTECT,
        related_name="subsidies",
        verbose_name=_("association"),
    )
    funder = models.ForeignKey(
        Funder, on_delete=models.PROTECT, related_name="subsidies", verbose_name=_("financeur")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    nature = models.CharField(
        _("nature"), max_length=20, choices=SubsidyNature.choices, default=SubsidyNature.MONEY
    )
    amount = euros(_("montant ou valeur (€)"))
    purpose = models.CharField(_("objet"), max_length=255)
    decision_reference = models.CharField(_("référence de la décision"), max_length=80, blank=True)
    decided_on = models.DateField(_("date de la décision"))
    payment_terms = models.CharField(
        _("conditions de versement"),
        max_length=20,
        choices=PaymentTerms.choices,
        default=PaymentTerms.SINGLE,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("subvention hors convention")
        verbose_name_plural = _("subventions hors convention")
        ordering = ["-year", "association__name"]

    def __str__(self) -> str:
        return f"{self.funder} → {self.association} {self.year} : {self.amount} €"

    def clean(self) -> None:
        from conventions import rules

        rules.check_subsidy(self)


class ReportStatus(models.TextChoices):
    DRAFT = "brouillon", _("Brouillon")
    SUBMITTED = "soumis", _("Soumis")
    VALIDATED = "valide", _("Validé")
    RETURNED = "a_reprendre", _("À reprendre")


EDITABLE_REPORT_STATUSES = [ReportStatus.DRAFT, ReportStatus.RETURNED]


def report_due_date(year: int) -> datetime.date:
    """A yearly report is due six months after the year ends: 30 June of the following year."""
    return datetime.date(year + 1, 6, 30)


class YearlyReportQuerySet(AssociationScopedQuerySet):
    association_id_field = "convention__association_id"

    def editable_by(self, user) -> models.QuerySet:
        """Coordinators fill their association's drafts and returned reports."""
        return self.filter(
            convention__association_id__in=coordinated_association_ids(user),
            status__in=EDITABLE_REPORT_STATUSES,
        )

    def overdue(self, today: datetime.date) -> models.QuerySet:
        """Not submitted although their due date (30 June of the following year) has passed."""
        last_year_due = (
            today.year - 1 if report_due_date(today.year - 1) < today else today.year - 2
        )
        return self.filter(status__in=EDITABLE_REPORT_STATUSES, year__lte=last_year_due)


def default_volunteer_hour_value() -> Decimal:
    return Decimal(settings.VOLUNTEER_HOUR_VALUE)


class YearlyReport(models.Model):
    """The association's yearly report on a convention year (compte rendu, CERFA 15059)."""

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("convention"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    status = models.CharField(
        _("statut"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    qualitative_report = models.TextField(
        _("bilan qualitatif de l'action"),
        blank=True,
        help_text=_("Ce qui a été fait, pour qui, avec quels résultats."),
    )
    narrative = models.TextField(_("faits marquants de l'année"), blank=True)
    annex = models.TextField(
        _("annexe explicative"),
        blank=True,
        help_text=_("Explication des écarts significatifs entre le budget prévu et réalisé."),
    )
    beneficiaries_count = models.PositiveIntegerField(_("nombre de bénéficiaires"), default=0)
    beneficiaries_outside_rennes_percent = models.DecimalField(
        _("part des bénéficiaires hors Rennes (%)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("0"),
        validators=[
            MinValueValidator(
                Decimal("0"), message=_("Un pourcentage est compris entre 0 et 100.")
            ),
            MaxValueValidator(
                Decimal("100"), message=_("Un pourcentage est compris entre 0 et 100.")
            ),
        ],
    )
    volunteers_count = models.PositiveIntegerField(_("nombre de bénévoles"), default=0)
    volunteer_hours = models.DecimalField(
        _("heures de bénévolat"),
        max_digits=9,
        decimal_places=1,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
    )
    volunteer_hour_value = euros(
        _("valeur d'une heure de bénévolat (€)"), default=default_volunteer_hour_value
    )
    premises_value = euros(
        _("valeur des locaux mis à disposition (€)"),
        help_text=_("Compte 861 : mise à disposition gratuite de locaux."),
    )
    staff_comment = models.TextField(_("commentaire des agents"), blank=True)
    submitted_at = models.DateTimeField(_("soumis le"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("soumis par"),
    )
    reviewed_at = models.DateTimeField(_("examiné le"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("examiné par"),
    )

    objects = YearlyReportQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("compte rendu annuel")
        verbose_name_plural = _("comptes rendus annuels")
        ordering = ["-year", "convention__association__name"]
        constraints = [
            models.UniqueConstraint(fields=["convention", "year"], name="one_report_per_year")
        ]

    def __str__(self) -> str:
        return _("Compte rendu %(year)s — %(association)s") % {
            "year": self.year,
            "association": self.convention.association,
        }

    def get_absolute_url(self) -> str:
        return reverse("conventions:report", kwargs={"pk": self.pk})

    def clean(self) -> None:
        from conventions import rules

        rules.check_report(self)

    @property
    def due_date(self) -> datetime.date:
        return report_due_date(self.year)

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status in EDITABLE_REPORT_STATUSES and today > self.due_date

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_REPORT_STATUSES

    @property
    def volunteering_value(self) -> Decimal:
        """Compte 864/870: volunteer hours valued at the hourly rate."""
        return (self.volunteer_hours * self.volunteer_hour_value).quantize(Decimal("0.01"))


def gap_percent(planned: Decimal, actual: Decimal) -> Decimal | None:
    """The gap between actual and planned, in % of planned (None when nothing was planned)."""
    if not planned:
        return None
    return ((actual - planned) * 100 / planned).quantize(Decimal("0.1"))


class BudgetLine(models.Model):
    """One line of the planned-vs-actual table of the report (charges or income)."""

    class Side(models.TextChoices):
        CHARGE = "charge", _("Charges")
        INCOME = "produit", _("Produits")

    report = models.ForeignKey(
        YearlyReport,
        on_delete=models.CASCADE,
        related_name="budget_lines",
        verbose_name=_("compte rendu"),
    )
    side = models.CharField(_("type"), max_length=10, choices=Side.choices)
    label = models.CharField(_("poste"), max_length=200)
    planned = euros(_("prévu (€)"))
    actual = euros(_("réalisé (€)"))

    class Meta:
        verbose_name = _("ligne budgétaire")
        verbose_name_plural = _("lignes budgétaires")
        ordering = ["side", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def gap(self) -> Decimal:
        return self.actual - self.planned

    @property
    def gap_percent(self) -> Decimal | None:
        return gap_percent(self.planned, self.actual)


class ReportAction(models.Model):
    """What the association did for one objective of the convention during the year."""

    report = models.ForeignKey(
        YearlyReport,
        on_delete=models.CASCADE,
        related_name="actions",
        verbose_name=_("compte rendu"),
    )
    objective = models.ForeignKey(
        Objective,
        on_delete=models.CASCADE,
        related_name="report_actions",
        verbose_name=_("objectif"),
    )
    actions = models.TextField(_("actions menées"), blank=True)
    results = models.TextField(_("résultats et indicateurs"), blank=True)

    class Meta:
        verbose_name = _("action par objectif")
        verbose_name_plural = _("actions par objectif")
        ordering = ["objective__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["report", "objective"], name="one_action_per_objective")
        ]

    def __str__(self) -> str:
        return str(self.objective)


def attachment_path(instance: ReportAttachment, filename: str) -> str:
    return f"comptes-rendus/{instance.report.convention_id}/{instance.report.year}/{filename}"


class ReportAttachment(models.Model):
    """A PDF attached to a report; served only through a permission-checked view."""

    report = models.ForeignKey(
        YearlyReport,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("compte rendu"),
    )
    title = models.CharField(_("intitulé"), max_length=200)
    file = models.FileField(_("fichier PDF"), upload_to=attachment_path)
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.title


class ArticleTemplate(models.Model):
    """An article of the convention document, written by staff in a sandboxed template language.

    Staff adapt the wording in the back-office without touching code; the text may use only
    the plain variables, tags and filters of conventions/articles.py (e.g. {{ reference }}),
    never the convention's objects: a text asking for anything else cannot be saved.
    """

    position = models.PositiveSmallIntegerField(_("numéro d'ordre"), unique=True)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(
        _("texte"),
        help_text=_(
            "Paragraphes séparés par une ligne vide ; seules les variables, balises et filtres "
            "listés dans le formulaire du back-office sont acceptés."
        ),
    )
    is_active = models.BooleanField(_("inclus dans les conventions"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("article type de convention")
        verbose_name_plural = _("articles types de convention")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def clean(self) -> None:
        # Imported here: the sandbox's `euros` filter reaches conventions.rules, which imports
        # this module.
        from conventions.articles import ArticleRefused, compile_article

        try:
            compile_article(self.body)
        except ArticleRefused as error:
            raise ValidationError({"body": str(error)}) from error


class DocumentKind(models.TextChoices):
    CONVENTION = "convention", _("Convention")
    YEARLY_REPORT = "compte_rendu", _("Compte rendu annuel")
    ANNUAL_REPORT = "rapport_reseau", _("Rapport annuel du réseau")
    # Rendered by associations/pocket_guide.py (registered with conventions.documents).
    POCKET_GUIDE = "guide_poche", _("Guide de poche des services")


class DocumentBatchQuerySet(OwnedQuerySet):
    """Who asked for a batch follows it; only agents could change one."""

    owner_field = "created_by"
    editable_by = AccessQuerySet.editable_by


class DocumentBatch(models.Model):
    """A set of documents asked for together; its progress is that of its documents."""

    label = models.CharField(_("intitulé"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)

    objects = DocumentBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("lot de documents")
        verbose_name_plural = _("lots de documents")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("conventions:document_batch", kwargs={"pk": self.pk})


class DocumentStatus(models.TextChoices):
    QUEUED = "en_attente", _("En attente")
    RUNNING = "en_cours", _("En cours")
    DONE = "termine", _("Terminé")
    FAILED = "echec", _("Échec")


class GeneratedDocumentQuerySet(AssociationScopedQuerySet):
    """Agents see everything; coordinators their association's conventions and reports;
    the network's annual report (no association) is for agents only."""


def document_path(instance: GeneratedDocument, filename: str) -> str:
    return f"documents/{instance.kind}/{filename}"


class GeneratedDocument(models.Model):
    """The PDF of one subject (a convention, a yearly report, the network's year).

    One row per subject: generating again replaces the file. `inputs_checksum` is the checksum
    of the data the PDF was made from; when the data change, the document is stale.
    """

    kind = models.CharField(_("type"), max_length=20, choices=DocumentKind.choices)
    subject_key = models.CharField(_("sujet"), max_length=150, unique=True, editable=False)
    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("convention"),
    )
    report = models.ForeignKey(
        YearlyReport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("compte rendu"),
    )
    association = models.ForeignKey(
        "associations.Association",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("association"),
    )
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    batch = models.ForeignKey(
        DocumentBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("lot"),
    )
    status = models.CharField(
        _("état"), max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED
    )
    error = models.TextField(_("raison de l'échec"), blank=True)
    file = models.FileField(_("fichier"), upload_to=document_path, blank=True)
    inputs_checksum = models.CharField(_("empreinte des données"), max_length=64, blank=True)
    page_count = models.PositiveSmallIntegerField(_("pages"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    worker = models.CharField(_("processus"), max_length=120, blank=True)
    requested_at = models.DateTimeField(_("demandé le"), null=True, blank=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    objects = GeneratedDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document généré")
        verbose_name_plural = _("documents générés")
        ordering = ["kind", "-year", "subject_key"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        if self.kind == DocumentKind.CONVENTION and self.convention_id:
            return _("Convention %(reference)s") % {"reference": self.convention.reference}
        if self.kind == DocumentKind.YEARLY_REPORT and self.report_id:
            return _("Compte rendu %(year)s — %(association)s") % {
                "year": self.year,
                "association": self.association,
            }
        return _("Rapport annuel du réseau %(year)s") % {"year": self.year}

    @property
    def is_finished(self) -> bool:
        return self.status in (DocumentStatus.DONE, DocumentStatus.FAILED)

    def get_download_url(self) -> str:
        return reverse("conventions:document_download", kwargs={"pk": self.pk})


# --- subsidy requests (CERFA 12156*06, conventions/subsidy_requests.py) ---------------------


class RequestStatus(models.TextChoices):
    """A public-service dossier: each change is dated, signed and e-mailed (RequestEvent)."""

    DRAFT = "brouillon", _("Brouillon")
    SUBMITTED = "deposee", _("Déposée")
    IN_REVIEW = "en_instruction", _("En instruction")
    CORRECTIONS = "a_corriger", _("À corriger par l'association")
    ACCEPTED = "acceptee", _("Acceptée")
    REFUSED = "refusee", _("Refusée")
    CLOSED = "sans_suite", _("Classée sans suite")


EDITABLE_REQUEST_STATUSES = [RequestStatus.DRAFT, RequestStatus.CORRECTIONS]
OPEN_REQUEST_STATUSES = [
    RequestStatus.DRAFT,
    RequestStatus.SUBMITTED,
    RequestStatus.IN_REVIEW,
    RequestStatus.CORRECTIONS,
]


class SubsidyRequestQuerySet(AssociationScopedQuerySet):
    def open(self) -> models.QuerySet:
        return self.filter(status__in=OPEN_REQUEST_STATUSES)


class SubsidyRequest(models.Model):
    """An association's "demande de subvention" (CERFA 12156*06): first request or renewal of a
    convention, with its amounts per funder and year, planned budget, projects, human resources,
    republican engagement contract attestation, declaration on honour and attachments."""

    class Kind(models.TextChoices):
        FIRST = "premiere", _("Première demande")
        RENEWAL = "renouvellement", _("Renouvellement")

    class Duration(models.TextChoices):
        ANNUAL = "annuelle", _("Annuelle")
        MULTI_YEAR = "pluriannuelle", _("Pluriannuelle")

    association = models.ForeignKey(
        "associations.Association",
        on_delete=models.PROTECT,
        related_name="subsidy_requests",
        verbose_name=_("association"),
    )
    kind = models.CharField(_("demande"), max_length=20, choices=Kind.choices, default=Kind.FIRST)
    renews = models.ForeignKey(
        Convention,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal_requests",
        verbose_name=_("convention à renouveler"),
    )
    grant_kind = models.CharField(
        _("nature"), max_length=20, choices=GrantKind.choices, default=GrantKind.OPERATING
    )
    duration = models.CharField(
        _("durée"), max_length=20, choices=Duration.choices, default=Duration.MULTI_YEAR
    )
    first_year = models.PositiveSmallIntegerField(_("première année"))
    last_year = models.PositiveSmallIntegerField(_("dernière année"))
    projects = models.TextField(_("projets et actions"), blank=True)
    objectives = models.TextField(_("objectifs"), blank=True)
    volunteers_count = models.PositiveIntegerField(_("bénévoles"), default=0)
    employees_count = models.PositiveIntegerField(_("salariés"), default=0)
    members_count = models.PositiveIntegerField(_("adhérents"), default=0)
    republican_contract_attested_on = models.DateField(
        _("contrat d'engagement républicain attesté le"), null=True, blank=True
    )
    honour_declaration = models.BooleanField(
        _("déclaration sur l'honneur"),
        default=False,
        help_text=_(
            "Le ou la représentante légale certifie exactes les informations de la demande et "
            "que l'association est à jour de ses obligations sociales et fiscales."
        ),
    )
    signatory = models.CharField(_("représentant·e légal·e"), max_length=200, blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.DRAFT
    )
    staff_comment = models.TextField(_("dernier commentaire des agents"), blank=True)
    decision_reason = models.TextField(_("motif de la décision"), blank=True)
    successor = models.OneToOneField(
        Convention,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="origin_request",
        verbose_name=_("convention issue de la demande"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("créée par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True)

    objects = SubsidyRequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("demande de subvention")
        verbose_name_plural = _("demandes de subvention")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("Demande %(years)s — %(association)s") % {
            "years": self.period_label,
            "association": self.association,
        }

    def get_absolute_url(self) -> str:
        return reverse("conventions:request", kwargs={"pk": self.pk})

    def clean(self) -> None:
        from conventions import rules

        rules.check_subsidy_request(self)

    @property
    def period_label(self) -> str:
        if self.first_year == self.last_year:
            return str(self.first_year)
        return f"{self.first_year}–{self.last_year}"

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_REQUEST_STATUSES


class RequestAmount(models.Model):
    """The amount asked of one funder for one year, and the amount granted."""

    request = models.ForeignKey(
        SubsidyRequest, on_delete=models.CASCADE, related_name="amounts", verbose_name=_("demande")
    )
    funder = models.ForeignKey(
        Funder, on_delete=models.PROTECT, related_name="+", verbose_name=_("financeur")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    asked = euros(_("montant demandé (€)"))
    granted = models.DecimalField(
        _("montant accordé (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )

    class Meta:
        verbose_name = _("montant demandé")
        verbose_name_plural = _("montants demandés")
        ordering = ["year", "funder__name"]
        constraints = [
            models.UniqueConstraint(fields=["request", "funder", "year"], name="one_amount")
        ]

    def __str__(self) -> str:
        return f"{self.funder} {self.year} : {self.asked} €"


class RequestBudgetLine(models.Model):
    """A line of the planned budget (CERFA: charges class 6 and 86, income class 7 and 87)."""

    class Account(models.TextChoices):
        C60 = "60", _("60 — Achats")
        C61 = "61", _("61 — Services extérieurs")
        C62 = "62", _("62 — Autres services extérieurs")
        C63 = "63", _("63 — Impôts et taxes")
        C64 = "64", _("64 — Charges de personnel")
        C65 = "65", _("65 — Autres charges de gestion courante")
        C66 = "66", _("66 — Charges financières")
        C67 = "67", _("67 — Charges exceptionnelles")
        C68 = "68", _("68 — Dotations aux amortissements")
        C86 = "86", _("86 — Emplois des contributions volontaires en nature")
        P70 = "70", _("70 — Ventes, prestations de services")
        P73 = "73", _("73 — Dotations et produits de tarification")
        P74 = "74", _("74 — Subventions d'exploitation")
        P75 = "75", _("75 — Autres produits de gestion courante")
        P76 = "76", _("76 — Produits financiers")
        P77 = "77", _("77 — Produits exceptionnels")
        P78 = "78", _("78 — Reprises sur amortissements et provisions")
        P87 = "87", _("87 — Contributions volontaires en nature")

    request = models.ForeignKey(
        SubsidyRequest,
        on_delete=models.CASCADE,
        related_name="budget_lines",
        verbose_name=_("demande"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    account = models.CharField(_("compte"), max_length=2, choices=Account.choices)
    label = models.CharField(_("poste"), max_length=200, blank=True)
    amount = euros(_("montant prévu (€)"))

    class Meta:
        verbose_name = _("ligne du budget prévisionnel")
        verbose_name_plural = _("lignes du budget prévisionnel")
        ordering = ["year", "account", "pk"]

    def __str__(self) -> str:
        return f"{self.year} {self.get_account_display()} : {self.amount} €"

    @property
    def is_charge(self) -> bool:
        return self.account.startswith(("6", "86"))


def request_attachment_path(instance: RequestAttachment, filename: str) -> str:
    return f"demandes/{instance.request.association_id}/{instance.request_id}/{filename}"


class RequestAttachment(models.Model):
    """A document of the request: a PDF uploaded, or the portal's own yearly report."""

    class Kind(models.TextChoices):
        STATUTES = "statuts", _("Statuts")
        ACCOUNTS = "comptes", _("Derniers comptes approuvés")
        REPORT = "compte_rendu", _("Dernier compte rendu annuel")
        OTHER = "autre", _("Autre pièce")

    request = models.ForeignKey(
        SubsidyRequest,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("demande"),
    )
    kind = models.CharField(_("pièce"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=200, blank=True)
    file = models.FileField(_("fichier PDF"), upload_to=request_attachment_path, blank=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True, editable=False)
    report = models.ForeignKey(
        YearlyReport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compte rendu du portail"),
    )
    uploaded_at = models.DateTimeField(_("déposée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe de la demande")
        verbose_name_plural = _("pièces jointes de la demande")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()


class RequestEvent(models.Model):
    """One dated step of a request (or a staff comment), with its author."""

    request = models.ForeignKey(
        SubsidyRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("demande")
    )
    status = models.CharField(_("statut"), max_length=20, choices=RequestStatus.choices)
    comment = models.TextField(_("commentaire"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("étape de la demande")
        verbose_name_plural = _("historique de la demande")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.at:%d/%m/%Y})"
