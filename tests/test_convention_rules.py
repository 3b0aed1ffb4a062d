"""Every French subsidy rule, with the message the user sees."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from conventions import rules
from conventions.models import (
    Commitment,
    Convention,
    ConventionParty,
    ConventionStatus,
    InKindSupport,
    Payment,
    ReportStatus,
)
from conventions.reminders import close_ended, send_due_renewal_reminders
from tests.factories import (
    AssociationFactory,
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    SubsidyFactory,
    YearlyReportFactory,
)


def messages_of(error: ValidationError) -> list[str]:
    return [message for messages in error.message_dict.values() for message in messages]


@pytest.fixture
def ville(db):
    return FunderFactory(name="Ville de Rennes")


@pytest.fixture
def metropole(db):
    return FunderFactory(name="Rennes Métropole")


@pytest.fixture
def convention(ville, metropole):
    return ConventionFactory(funders=[ville, metropole])


def test_a_convention_ends_after_it_starts(association_a):
    convention = Convention(
        reference="X",
        association=association_a,
        purpose="Objet",
        start_date=datetime.date(2023, 1, 1),
        end_date=datetime.date(2022, 12, 31),
    )

    with pytest.raises(ValidationError) as error:
        convention.full_clean()

    assert error.value.message_dict["end_date"] == [
        "La date de fin doit être postérieure à la date de début."
    ]


def test_a_convention_lasts_at_most_four_years(association_a):
    convention = Convention(
        reference="X",
        association=association_a,
        purpose="Objet",
        start_date=datetime.date(2023, 1, 1),
        end_date=datetime.date(2027, 1, 1),
    )

    with pytest.raises(ValidationError) as error:
        convention.full_clean()

    assert error.value.message_dict["end_date"] == [
        "Une convention pluriannuelle dure au plus 4 ans : elle doit se terminer au plus tard "
        "le 31/12/2026."
    ]
    convention.end_date = datetime.date(2026, 12, 31)
    convention.full_clean()  # exactly four years is allowed


def test_shortening_a_convention_under_its_commitments_is_refused(convention, ville):
    CommitmentFactory(convention=convention, funder=ville, year=2026)
    convention.end_date = datetime.date(2025, 12, 31)

    with pytest.raises(ValidationError) as error:
        convention.full_clean()

    assert (
        "Des engagements existent pour 2026, hors de la nouvelle période"
        in (error.value.message_dict["end_date"][0])
    )


def test_commitments_fall_within_the_convention_years(convention, ville):
    commitment = Commitment(convention=convention, funder=ville, year=2027, amount=1000)

    with pytest.raises(ValidationError) as error:
        commitment.full_clean()

    assert error.value.message_dict["year"] == [
        "L'année 2027 est hors de la période de la convention (2023–2026)."
    ]


def test_commitments_come_only_from_signatories(convention):
    departement = FunderFactory(name="Département d'Ille-et-Vilaine")
    commitment = Commitment(convention=convention, funder=departement, year=2024, amount=1000)

    with pytest.raises(ValidationError) as error:
        commitment.full_clean()

    assert error.value.message_dict["funder"] == [
        "Département d'Ille-et-Vilaine ne signe pas cette convention : seuls ses financeurs "
        "signataires peuvent s'y engager."
    ]


def test_amounts_are_non_negative_decimal_euros(convention, ville):
    commitment = Commitment(convention=convention, funder=ville, year=2024, amount=Decimal("-0.01"))

    with pytest.raises(ValidationError) as error:
        commitment.full_clean()

    assert error.value.message_dict["amount"] == ["Le montant ne peut pas être négatif."]
    commitment.amount = Decimal("12500.555")
    with pytest.raises(ValidationError) as error:
        commitment.full_clean()
    assert "amount" in error.value.message_dict  # cents only


def test_no_two_signed_conventions_at_once_for_the_same_association_and_funder(convention, ville):
    overlapping = ConventionFactory(
        association=convention.association,
        reference="CPO-BIS",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2028, 12, 31),
        status=ConventionStatus.DRAFT,
    )
    party = ConventionParty(convention=overlapping, funder=ville)
    party.full_clean()  # a draft may be prepared while the other one runs
    party.save()

    overlapping.status = ConventionStatus.IN_FORCE
    with pytest.raises(ValidationError) as error:
        overlapping.full_clean()

    message = error.value.message_dict["status"][0]
    assert message.startswith(
        f"La convention {convention.reference} lie déjà {convention.association} et Ville de "
        "Rennes du 01/01/2023 au 31/12/2026"
    )
    assert message.endswith(
        "deux conventions ne peuvent pas être en vigueur en même temps pour la même association "
        "et le même financeur."
    )


def test_adding_an_overlapping_funder_to_a_signed_convention_is_refused(convention, ville):
    other = ConventionFactory(
        association=convention.association,
        reference="CPO-AUTRE",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2029, 12, 31),
    )

    with pytest.raises(ValidationError) as error:
        ConventionParty(convention=other, funder=ville).full_clean()

    assert (
        "deux conventions ne peuvent pas être en vigueur en même temps"
        in (error.value.message_dict["funder"][0])
    )


def test_consecutive_conventions_do_not_overlap(convention, ville):
    renewal = ConventionFactory(
        association=convention.association,
        reference="CPO-2027",
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2030, 12, 31),
        renews=convention,
    )
    ConventionParty(convention=renewal, funder=ville).full_clean()
    renewal.full_clean()

    assert [item.reference for item in renewal.renewal_chain()] == [
        convention.reference,
        "CPO-2027",
    ]


def test_the_republican_contract_attestation_is_required_to_sign(association_a):
    convention = Convention(
        reference="X",
        association=association_a,
        purpose="Objet",
        start_date=datetime.date(2023, 1, 1),
        end_date=datetime.date(2026, 12, 31),
        status=ConventionStatus.OUT_FOR_SIGNATURE,
    )

    with pytest.raises(ValidationError) as error:
        convention.full_clean()

    assert error.value.message_dict["republican_contract_attested_on"] == [
        "Indiquez la date d'attestation du contrat d'engagement républicain : elle est "
        "obligatoire avant la signature des conventions depuis 2022."
    ]
    convention.republican_contract_attested_on = datetime.date(2022, 9, 1)
    convention.full_clean()


def test_support_above_23000_euros_without_convention_raises_an_alert(db):
    association = AssociationFactory(name="Asso sans convention")
    departement = FunderFactory(name="Département d'Ille-et-Vilaine")
    SubsidyFactory(association=association, funder=departement, year=2024, amount=Decimal("20000"))
    assert rules.uncovered_support_alerts(2024) == []

    SubsidyFactory(
        association=association,
        funder=departement,
        year=2024,
        nature="aide en nature",
        amount=Decimal("3000.01"),
    )
    [alert] = rules.uncovered_support_alerts(2024)

    assert alert.total == Decimal("23000.01")
    assert rules.uncovered_support_message(association, departement, 2024, alert.total) == (
        "Département d'Ille-et-Vilaine apporte 23\u00a0000,01\u00a0€ à Asso sans convention en "
        "2024 (argent et aide en nature valorisée) sans convention : au-delà de 23 000 € par an, "
        "une convention est obligatoire."
    )


def test_support_covered_by_a_signed_convention_raises_no_alert(convention, ville):
    CommitmentFactory(convention=convention, funder=ville, year=2024, amount=Decimal("40000"))
    SubsidyFactory(
        association=convention.association, funder=ville, year=2024, amount=Decimal("5000")
    )

    assert rules.uncovered_support_alerts(2024) == []


def test_staff_are_warned_in_the_back_office_when_saving_an_uncovered_subsidy(client, agent):
    agent.is_superuser = True
    agent.save()
    from tests.factories import give_totp

    give_totp(agent)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(agent)
    association = AssociationFactory(name="Asso B")
    funder = FunderFactory(name="Département")

    response = client.post(
        reverse("admin:conventions_subsidy_add"),
        {
            "association": association.pk,
            "funder": funder.pk,
            "year": 2024,
            "nature": "aide en numéraire",
            "amount": "25000",
            "purpose": "Aide",
            "decided_on": "2024-03-01",
            "payment_terms": "unique",
        },
        follow=True,
    )

    assert "au-delà de 23 000 € par an, une convention est obligatoire" in (
        response.content.decode()
    )


def test_more_than_153000_euros_of_public_money_a_year_is_flagged(convention, ville, metropole):
    CommitmentFactory(convention=convention, funder=ville, year=2024, amount=Decimal("100000"))
    CommitmentFactory(convention=convention, funder=metropole, year=2024, amount=Decimal("53000"))
    assert rules.certified_accounts_flags(2024) == []

    SubsidyFactory(
        association=convention.association,
        funder=FunderFactory(),
        year=2024,
        amount=Decimal("0.01"),
    )
    [flag] = rules.certified_accounts_flags(2024)

    assert flag.money == Decimal("153000.01")
    assert rules.certified_accounts_message(convention.association, 2024, flag.money).endswith(
        "au-delà de 153 000 €, elle doit faire certifier ses comptes par un commissaire aux "
        "comptes et les publier."
    )


def test_payments_are_late_60_days_after_notification(convention, ville):
    payment = Payment(
        convention=convention,
        funder=ville,
        year=2024,
        amount=1000,
        notified_on=datetime.date(2024, 3, 1),
    )

    assert payment.deadline == datetime.date(2024, 4, 30)
    assert not payment.is_late(datetime.date(2024, 4, 30))
    assert payment.is_late(datetime.date(2024, 5, 1))
    payment.paid_on = datetime.date(2024, 4, 29)
    assert not payment.is_late(datetime.date(2025, 1, 1))
    payment.paid_on = datetime.date(2024, 5, 2)
    assert payment.is_late(datetime.date(2025, 1, 1))


def test_a_payment_cannot_precede_its_notification(convention, ville):
    payment = Payment(
        convention=convention,
        funder=ville,
        year=2024,
        amount=1000,
        notified_on=datetime.date(2024, 3, 1),
        paid_on=datetime.date(2024, 2, 1),
    )

    with pytest.raises(ValidationError) as error:
        payment.full_clean()

    assert error.value.message_dict["paid_on"] == [
        "Un versement ne peut pas précéder la notification de la décision."
    ]


def test_staff_are_reminded_six_months_before_a_convention_ends_once(convention, agent):
    send_due_renewal_reminders(today=datetime.date(2026, 6, 30))
    assert mail.outbox == []  # 6 months and 1 day before the end

    assert send_due_renewal_reminders(today=datetime.date(2026, 7, 1)) == 1
    assert send_due_renewal_reminders(today=datetime.date(2026, 7, 2)) == 0

    [message] = mail.outbox
    assert message.to == [agent.email]
    assert message.subject == (
        f"[SolidaRen] Convention {convention.reference} : renouvellement à préparer"
    )
    assert "prend fin le 31 décembre 2026" in message.body
    convention.refresh_from_db()
    assert convention.renewal_reminder_sent_on == datetime.date(2026, 7, 1)


def test_ended_conventions_are_closed(convention):
    assert close_ended(today=datetime.date(2027, 1, 1)) == 1
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.EXPIRED


def test_a_closed_year_can_no_longer_be_edited(convention, ville):
    commitment = CommitmentFactory(convention=convention, funder=ville, year=2023)
    YearlyReportFactory(convention=convention, year=2023, status=ReportStatus.VALIDATED)

    commitment.amount = Decimal("99999")
    with pytest.raises(ValidationError) as error:
        commitment.full_clean()
    assert error.value.message_dict["amount"] == [
        "L'année 2023 est close (compte rendu validé) : ses montants ne peuvent plus être modifiés."
    ]

    new_commitment = Commitment(
        convention=convention, funder=ville, year=2023, kind="projet", amount=1
    )
    with pytest.raises(ValidationError):
        new_commitment.full_clean()
    moved = Commitment(convention=convention, funder=ville, year=2024, amount=1)
    moved.full_clean()  # 2024 is still open


def test_in_kind_premises_belong_to_the_association(convention, ville):
    from associations.models import Premises

    elsewhere = Premises.objects.create(
        association=AssociationFactory(), label="Local", address="1 rue X"
    )
    support = InKindSupport(
        convention=convention, funder=ville, premises=elsewhere, yearly_value=1000
    )

    with pytest.raises(ValidationError) as error:
        support.full_clean()

    assert messages_of(error.value) == ["Ces locaux sont ceux d'une autre association."]


def test_yearly_reports_are_due_on_30_june_of_the_next_year(convention):
    report = YearlyReportFactory(convention=convention, year=2024)

    assert report.due_date == datetime.date(2025, 6, 30)
    assert not report.is_overdue(datetime.date(2025, 6, 30))
    assert report.is_overdue(datetime.date(2025, 7, 1))
    overdue = rules.overdue_reports(datetime.date(2025, 7, 1))
    assert [(item.convention, item.year) for item in overdue] == [
        (convention, 2023),
        (convention, 2024),
    ]


def test_the_back_office_refuses_a_convention_with_a_non_signatory_commitment(
    client, agent, association_a, ville, metropole
):
    """GIVEN the convention form WHEN a commitment comes from a funder that does not sign
    THEN the message is shown and nothing at all is saved."""
    agent.is_superuser = True
    agent.save()
    from tests.factories import give_totp

    give_totp(agent)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(agent)
    data = {
        "reference": "CPO-NEW",
        "association": association_a.pk,
        "purpose": "Objet",
        "status": "brouillon",
        "start_date": "2023-01-01",
        "end_date": "2026-12-31",
        "payment_terms": "échelonné",
        "parties-TOTAL_FORMS": "1",
        "parties-INITIAL_FORMS": "0",
        "parties-0-funder": ville.pk,
        "objectives-TOTAL_FORMS": "0",
        "objectives-INITIAL_FORMS": "0",
        "commitments-TOTAL_FORMS": "2",
        "commitments-INITIAL_FORMS": "0",
        "commitments-0-funder": ville.pk,
        "commitments-0-year": "2023",
        "commitments-0-kind": "fonctionnement",
        "commitments-0-amount": "1000",
        "commitments-1-funder": metropole.pk,
        "commitments-1-year": "2023",
        "commitments-1-kind": "fonctionnement",
        "commitments-1-amount": "1000",
        "payments-TOTAL_FORMS": "0",
        "payments-INITIAL_FORMS": "0",
        "in_kind_supports-TOTAL_FORMS": "0",
        "in_kind_supports-INITIAL_FORMS": "0",
    }

    response = client.post(reverse("admin:conventions_convention_add"), data)

    assert response.status_code == 200
    assert "Rennes Métropole ne signe pas cette convention" in response.content.decode()
    assert not Convention.objects.filter(reference="CPO-NEW").exists()
    assert not Commitment.objects.exists()

    data["parties-TOTAL_FORMS"] = "2"
    data["parties-1-funder"] = metropole.pk
    response = client.post(reverse("admin:conventions_convention_add"), data)
    assert response.status_code == 302
    created = Convention.objects.get(reference="CPO-NEW")
    assert created.commitments.count() == 2
    assert created.kind_label == "tripartite"
    assert created.history.count() == 1  # change history is kept


def test_signing_requires_the_association_siret(association_a):
    association_a.siret = ""
    association_a.save()
    convention = Convention(
        reference="X",
        association=association_a,
        purpose="Objet",
        start_date=datetime.date(2023, 1, 1),
        end_date=datetime.date(2026, 12, 31),
        status=ConventionStatus.IN_FORCE,
        republican_contract_attested_on=datetime.date(2022, 1, 5),
    )

    with pytest.raises(ValidationError) as error:
        convention.full_clean()

    assert error.value.message_dict["association"] == [
        "Renseignez d'abord le SIRET ou le numéro RNA de l'association : l'un des deux est "
        "obligatoire pour signer une convention ou accorder une subvention, et pour la publier "
        "en données ouvertes."
    ]
