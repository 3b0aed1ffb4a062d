"""The staff back-office on the demo data: every list and form opens, exports and history work."""

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from conventions.models import Commitment, Convention
from solidaren.demo import AGENT_EMAIL, DEMO_PASSWORD
from solidaren.roles import AGENT_PERMISSIONS
from volontaires.models import ResidentAccessLog


@pytest.fixture
def staff_client(client, db):
    call_command("load_demo", stdout=StringIO())
    assert client.login(email=AGENT_EMAIL, password=DEMO_PASSWORD)
    return client


def test_every_back_office_list_and_form_opens_for_the_demo_agent(staff_client):
    """The demo agent is not a superuser: the declared agents' group gives them the portal."""
    opened = 0
    for model in admin.site._registry:
        if model._meta.app_label not in {"solidaren", "associations", "conventions", "volontaires"}:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        prefix = "admin:{}_{}".format(*info)
        if model is ResidentAccessLog:  # the data protection officer's, not the agents'
            assert staff_client.get(reverse(f"{prefix}_changelist")).status_code == 403
            continue
        changelist = staff_client.get(reverse(f"{prefix}_changelist"))
        assert changelist.status_code == 200, info
        # Generated documents and batches are not typed in; accounts come from sign-up.
        may_add = "add" in AGENT_PERMISSIONS["{}.{}".format(*info)]
        expected = 200 if may_add else 403
        assert staff_client.get(reverse(f"{prefix}_add")).status_code == expected, info
        obj = model._default_manager.first()
        if obj is not None:
            change = staff_client.get(reverse(f"{prefix}_change", args=[obj.pk]))
            assert change.status_code == 200, info
        opened += 1
    assert opened >= 15


@pytest.mark.parametrize(
    "query",
    [
        "status=en_vigueur",
        "funders__id__exact=1",
        "annee=2024",
        "annee=abc",
        "association__fields_of_action__id__exact=1",
        "q=Secours",
    ],
)
def test_convention_list_filters_and_search(staff_client, query):
    response = staff_client.get(reverse("admin:conventions_convention_changelist") + "?" + query)

    assert response.status_code == 200


def test_conventions_export_to_csv(staff_client):
    url = reverse("admin:conventions_convention_export")
    response = staff_client.post(url, {"format": "0", "resource": "0", "export_items": []})
    if response.status_code == 200 and "text/csv" not in response.get("Content-Type", ""):
        # import-export 4 asks which fields to export: take them all.
        form = response.context["form"]
        data = {"format": "0", "resource": "0"}
        data.update({name: "on" for name in form.fields if name.startswith("conventionresource")})
        response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "text/csv" in response["Content-Type"]
    content = response.content.decode()
    assert "CPO-2023-SPF" in content
    assert "Secours Populaire d'Ille-et-Vilaine" in content


def test_changes_to_amounts_keep_their_history(staff_client):
    commitment = Commitment.objects.filter(year=2026).select_related("convention").first()
    url = reverse("admin:conventions_commitment_change", args=[commitment.pk])
    response = staff_client.post(
        url,
        {
            "convention": commitment.convention_id,
            "funder": commitment.funder_id,
            "year": commitment.year,
            "kind": commitment.kind,
            "amount": "99999.00",
        },
    )
    assert response.status_code == 302

    history = list(commitment.history.order_by("history_date"))
    assert [str(entry.amount) for entry in history][-2:] == [str(commitment.amount), "99999.00"]
    assert history[-1].history_user.email == AGENT_EMAIL
    page = staff_client.get(reverse("admin:conventions_commitment_history", args=[commitment.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert AGENT_EMAIL in content or "Camille Le Goff" in content  # who
    assert str(commitment.amount) in content and "99999.00" in content  # before and after


def test_amounts_of_a_closed_year_are_refused_in_the_back_office(staff_client):
    commitment = Commitment.objects.filter(year=2023).first()  # 2023 reports are validated
    url = reverse("admin:conventions_commitment_change", args=[commitment.pk])

    response = staff_client.post(
        url,
        {
            "convention": commitment.convention_id,
            "funder": commitment.funder_id,
            "year": commitment.year,
            "kind": commitment.kind,
            "amount": "1.00",
        },
    )

    # Issue 9: a closed year's row is read only, its change page refuses any write.
    assert response.status_code == 403
    page = staff_client.get(url).content.decode()
    assert "appartient à une année close (compte rendu validé)" in page
    commitment.refresh_from_db()
    assert str(commitment.amount) != "1.00"


def test_renewal_timeline_in_the_back_office(staff_client):
    convention = Convention.objects.get(reference="CPO-2023-SPF")

    page = staff_client.get(reverse("admin:conventions_convention_change", args=[convention.pk]))

    assert "2011 (CPO-2011-SPF) → 2015 (CPO-2015-SPF) → 2019 (CPO-2019-SPF) → 2023" in (
        page.content.decode()
    )


def test_an_agent_cannot_grant_rights(staff_client):
    from solidaren.models import User

    agent = User.objects.get(email=AGENT_EMAIL)
    url = reverse("admin:solidaren_user_change", args=[agent.pk])
    page = staff_client.get(url).content.decode()

    assert 'name="is_superuser"' not in page
    staff_client.post(
        url,
        {
            "email": agent.email,
            "is_superuser": "on",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    agent.refresh_from_db()
    assert not agent.is_superuser
