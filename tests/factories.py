import base64
import datetime
import hashlib
import hmac
import struct
import time
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress

from associations.models import Association, Membership
from conventions.models import (
    Commitment,
    Convention,
    ConventionParty,
    ConventionStatus,
    Funder,
    GrantKind,
    ReportStatus,
    Subsidy,
    SubsidyNature,
    YearlyReport,
)
from solidaren.demo import demo_siret
from solidaren.models import User
from volontaires.models import Quartier, VolunteerProfile

PASSWORD = "un-mot-de-passe-solide-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        user.save()
        if create:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def give_totp(user: User) -> str:
    """Activate TOTP for `user` (a superuser needs it to open any page) and return its secret,
    from which `totp_code` computes the codes an authenticator app would show."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, *, at: float | None = None) -> str:
    """The RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) of `secret` at `at` (now by default),
    computed here rather than by allauth so that tests check allauth against the standard."""
    counter = int(time.time() if at is None else at) // 30
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class AssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Association

    name = factory.Sequence(lambda n: f"Association solidaire n°{n}")
    short_name = factory.Sequence(lambda n: f"Asso {n}")
    slug = factory.Sequence(lambda n: f"asso-{n}")
    siret = factory.Sequence(lambda n: demo_siret(1000 + n))
    commune = "Rennes"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    association = factory.SubFactory(AssociationFactory)


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funder

    name = factory.Sequence(lambda n: f"Commune n°{n}")
    kind = Funder.Kind.COMMUNE
    siret = factory.Sequence(lambda n: demo_siret(5000 + n))


class QuartierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quartier

    name = factory.Sequence(lambda n: f"Quartier {n}")
    slug = factory.Sequence(lambda n: f"quartier-{n}")


class VolunteerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerProfile

    user = factory.SubFactory(UserFactory)
    quartier = factory.SubFactory(QuartierFactory)


class ConventionFactory(factory.django.DjangoModelFactory):
    """A signed convention 2023–2026; pass `funders=[...]` to create its parties."""

    class Meta:
        model = Convention
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"CPO-TEST-{n:04d}")
    association = factory.SubFactory(AssociationFactory)
    purpose = "Soutien aux actions de solidarité"
    start_date = datetime.date(2023, 1, 1)
    end_date = datetime.date(2026, 12, 31)
    status = ConventionStatus.IN_FORCE
    association_signed_on = datetime.date(2022, 11, 7)
    republican_contract_attested_on = datetime.date(2022, 9, 1)

    @factory.post_generation
    def funders(convention, create, extracted, **kwargs):
        for funder in extracted or []:
            ConventionParty.objects.create(
                convention=convention,
                funder=funder,
                signed_on=datetime.date(2022, 11, 7),
                decision_reference=f"DEL-{convention.pk}-{funder.pk}",
            )


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    convention = factory.SubFactory(ConventionFactory)
    funder = factory.SubFactory(FunderFactory)
    year = 2023
    kind = GrantKind.OPERATING
    amount = Decimal("12500.00")


class SubsidyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subsidy

    association = factory.SubFactory(AssociationFactory)
    funder = factory.SubFactory(FunderFactory)
    year = 2024
    nature = SubsidyNature.MONEY
    amount = Decimal("5000.00")
    purpose = "Aide exceptionnelle"
    decided_on = datetime.date(2024, 3, 15)


class YearlyReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = YearlyReport

    convention = factory.SubFactory(ConventionFactory)
    year = 2023
    status = ReportStatus.DRAFT


# Volontaires Solidaires: programmes, missions, residents and proposals. Models are named by
# "app.Model" strings so that these factories need no import here.


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "volontaires.Programme"

    name = factory.Sequence(lambda n: f"Programme n°{n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    start_date = datetime.date(2026, 1, 1)


class MissionTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "volontaires.MissionType"

    name = factory.Sequence(lambda n: f"Type de mission n°{n}")
    slug = factory.Sequence(lambda n: f"type-{n}")


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "volontaires.Language"
        django_get_or_create = ["code"]

    code = "fr"
    name = factory.LazyAttribute(lambda language: f"langue {language.code}")


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "volontaires.Enrolment"

    volunteer = factory.SubFactory(VolunteerProfileFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    signed_up_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))
    status_changed_at = factory.LazyAttribute(lambda enrolment: enrolment.signed_up_at)


class AvailabilitySlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "volontaires.AvailabilitySlot"

    volunteer = factory.SubFactory(VolunteerProfileFactory)
    weekday = 0
    start_time = datetime.time(9)
    end_time = datetime.time(12)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "volontaires.Resident"

    programme = factory.SubFactory(ProgrammeFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    phone = "02 99 12 34 56"
    address = "3 rue de la Confidentialité"
    needs = "Portage de courses"
    consent_recorded_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))


class MissionFactory(factory.django.DjangoModelFactory):
    """A city mission on Monday 2 March 2026, 10:00–11:00; pass `resident=` for a request."""

    class Meta:
        model = "volontaires.Mission"

    programme = factory.SubFactory(ProgrammeFactory)
    mission_type = factory.SubFactory(MissionTypeFactory)
    title = factory.Sequence(lambda n: f"Mission n°{n}")
    origin = factory.LazyAttribute(lambda mission: "habitant" if mission.resident else "ville")
    volunteer_calls = factory.LazyAttribute(lambda mission: mission.resident is None)
    resident = None
    date = datetime.date(2026, 3, 2)
    start_time = datetime.time(10)
    end_time = datetime.time(11)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "volontaires.Assignment"

    mission = factory.SubFactory(MissionFactory)
    volunteer = factory.SubFactory(VolunteerProfileFactory)
    status = "proposee"
    proposed_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))


# --- directory of services (associations/) --------------------------------------------------


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "associations.Structure"

    source_id = factory.Sequence(lambda n: f"structure-{n}")
    name = factory.Sequence(lambda n: f"Structure solidaire n°{n}")
    commune = "Rennes"
    postal_code = "35000"
    code_insee = "35238"
    updated_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=10))


class ServiceFactory(factory.django.DjangoModelFactory):
    """A food distribution open Monday to Friday, 09:00–12:00, closed on public holidays."""

    class Meta:
        model = "associations.Service"

    structure = factory.SubFactory(StructureFactory)
    source_id = factory.Sequence(lambda n: f"service-{n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Distribution alimentaire n°{n}")
    description = "Colis alimentaires pour les personnes en difficulté."
    type = "aide-materielle"
    thematiques = factory.LazyFunction(lambda: ["equipement-et-alimentation--alimentation"])
    publics = factory.LazyFunction(lambda: ["tous-publics"])
    commune = "Rennes"
    postal_code = "35000"
    code_insee = "35238"
    address = "1 place de la République"
    opening_hours = "Mo-Fr 09:00-12:00; PH off"
    updated_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=10))
