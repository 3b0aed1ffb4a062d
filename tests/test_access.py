import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from associations.models import Association
from solidaren.access import (
    can_change,
    can_view,
    get_editable_or_404,
    get_visible_or_404,
    roles_of,
)
from tests.factories import MembershipFactory
from volontaires.models import VolunteerProfile


@pytest.mark.django_db
def test_roles_follow_staff_flag_memberships_and_volunteer_profile(
    agent, coordinator_a, volunteer, django_user_model
):
    from django.contrib.auth.models import AnonymousUser

    assert roles_of(agent).agent and not roles_of(agent).coordinator
    assert roles_of(coordinator_a).coordinator and not roles_of(coordinator_a).agent
    assert roles_of(volunteer).volunteer and not roles_of(volunteer).coordinator
    assert roles_of(AnonymousUser()).anonymous


@pytest.mark.django_db
def test_a_user_may_coordinate_several_associations(coordinator_a, association_b):
    MembershipFactory(user=coordinator_a, association=association_b)

    assert set(Association.objects.coordinated_by(coordinator_a)) == {
        coordinator_a.memberships.first().association,
        association_b,
    }


@pytest.mark.django_db
def test_only_agents_and_own_coordinators_may_change_an_association(
    agent, coordinator_a, coordinator_b, volunteer, association_a
):
    assert can_change(agent, association_a)
    assert can_change(coordinator_a, association_a)
    assert not can_change(coordinator_b, association_a)
    assert not can_change(volunteer, association_a)
    assert can_view(coordinator_b, association_a)  # the directory is public

    with pytest.raises(PermissionDenied):
        get_editable_or_404(Association, coordinator_b, pk=association_a.pk)
    assert get_editable_or_404(Association, coordinator_a, pk=association_a.pk) == association_a


@pytest.mark.django_db
def test_a_volunteer_profile_is_seen_only_by_its_owner_and_agents(agent, volunteer, coordinator_a):
    profile = volunteer.volunteer_profile

    assert can_view(volunteer, profile)
    assert can_view(agent, profile)
    assert not can_view(coordinator_a, profile)
    with pytest.raises(Http404):
        get_visible_or_404(VolunteerProfile, coordinator_a, pk=profile.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "allowed"),
    [("associations:mine", "coordinator_a"), ("volontaires:my_space", "volunteer")],
)
def test_role_pages_send_anonymous_to_login_and_refuse_other_roles(
    client, url_name, allowed, request, agent, coordinator_a, volunteer
):
    url = reverse(url_name)

    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))

    for persona in (agent, coordinator_a, volunteer):
        client.force_login(persona)
        response = client.get(url)
        expected = 200 if persona == request.getfixturevalue(allowed) else 403
        assert response.status_code == expected, persona
        if expected == 403:
            assert "Accès refusé" in response.content.decode()


@pytest.mark.django_db
def test_my_associations_lists_only_the_coordinators_own(client, coordinator_a, association_b):
    client.force_login(coordinator_a)

    content = client.get(reverse("associations:mine")).content.decode()

    assert "Association A" in content
    assert "Association B" not in content


@pytest.mark.django_db
def test_navigation_depends_on_the_role(client, agent, coordinator_a, volunteer):
    anonymous = client.get(reverse("home")).content.decode()
    assert "Devenir volontaire" in anonymous and "Back-office" not in anonymous

    client.force_login(agent)
    page = client.get(reverse("home")).content.decode()
    assert reverse("admin:index") in page and "Mes associations" not in page

    client.force_login(coordinator_a)
    page = client.get(reverse("home")).content.decode()
    assert reverse("associations:mine") in page and reverse("admin:index") not in page

    client.force_login(volunteer)
    page = client.get(reverse("home")).content.decode()
    assert reverse("volontaires:my_space") in page and reverse("associations:mine") not in page


@pytest.mark.django_db
def test_the_back_office_is_closed_to_non_staff(client, coordinator_a):
    client.force_login(coordinator_a)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "login" in response.url
