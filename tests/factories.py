import factory
from allauth.account.models import EmailAddress

from associations.models import Association, Membership
from conventions.models import Funder
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
