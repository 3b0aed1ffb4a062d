"""Cached parts of public pages (solidaren/page_cache.py): served from the cache while their
data stay the same, made again on the very next request once a model they read is saved or
deleted, and computed on each request while Redis does not answer."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from associations.models import Association, FieldOfAction
from conventions.models import Commitment
from solidaren import page_cache
from tests.factories import (
    AssociationFactory,
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    MissionTypeFactory,
    QuartierFactory,
)
from tests.test_resilience_cache import fail_open_cache


def cache_keys() -> list[str]:
    """The keys of the tests' local-memory cache."""
    return list(page_cache.cache._cache)


def queries(client, url, **params) -> tuple[int, str]:
    """The number of queries and the page's main part (the header's forms carry a CSRF token
    masked anew on each request) or the whole file."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    content = response.content.decode()
    if "<main" in content:
        content = content[content.index("<main") : content.index("</main>")]
    return len(captured.captured_queries), content


def test_the_directory_is_read_once_then_shows_a_change_at_the_next_request(
    client, page_cache_on, db
):
    association = AssociationFactory(name="Le Fourneau solidaire")
    url = reverse("associations:list")

    first, content = queries(client, url)
    again, cached = queries(client, url)

    assert "Le Fourneau solidaire" in content and cached == content
    assert again < first  # the associations were not read again
    association.name = "Le Fourneau des Cheminots"
    association.save()
    _count, content = queries(client, url)
    assert "Le Fourneau des Cheminots" in content and "Le Fourneau solidaire" not in content


def test_searches_are_not_kept_and_each_language_has_its_own_copy(client, page_cache_on, db):
    food = FieldOfAction.objects.create(name="Aide alimentaire", slug="aide-alimentaire")
    AssociationFactory(name="Banque alimentaire").fields_of_action.add(food)
    AssociationFactory(name="Cercle Paul Bert")
    url = reverse("associations:list")

    _count, everyone = queries(client, url)
    _count, filtered = queries(client, url, field_of_action="aide-alimentaire")
    assert "Cercle Paul Bert" in everyone and "Cercle Paul Bert" not in filtered

    # A many-to-many change is a change of the directory too.
    Association.objects.get(name="Cercle Paul Bert").fields_of_action.add(food)
    _count, filtered = queries(client, url, field_of_action="aide-alimentaire")
    assert "Cercle Paul Bert" in filtered
    # A search is made on each request: nothing to fill the cache with.
    before = set(cache_keys())
    for text in ("banque", "paul", "zzz"):
        queries(client, url, q=text)
    assert set(cache_keys()) == before

    client.cookies["django_language"] = "en"
    _count, english = queries(client, url)
    assert "Directory of the network's associations" in english and english != everyone


def test_a_deleted_association_leaves_the_home_page(client, page_cache_on, db):
    kept = AssociationFactory(name="Secours populaire", is_structuring=True)
    gone = AssociationFactory(name="Association dissoute", is_structuring=True)
    _count, before = queries(client, reverse("home"))
    assert "Association dissoute" in before

    gone.delete()

    _count, after = queries(client, reverse("home"))
    assert kept.name in after and "Association dissoute" not in after


def test_the_open_data_file_follows_an_amount_even_one_changed_by_a_bulk_update(
    client, page_cache_on, db
):
    ville = FunderFactory(name="Ville de Rennes")
    convention = ConventionFactory(association__rna="W350000003", funders=[ville])
    commitment = CommitmentFactory(convention=convention, funder=ville, amount=Decimal("10000"))
    url = reverse("opendata_subsidies")
    year = {"annee": commitment.year}
    _count, before = queries(client, url, **year)

    commitment.amount = commitment.amount + Decimal("1234")
    commitment.save()
    _count, after_save = queries(client, url, **year)
    assert "10000.00" in before and "11234.00" in after_save

    # A bulk update sends no signal; the statement itself renews the scope.
    Commitment.objects.filter(pk=commitment.pk).update(amount=Decimal("777"))
    assert "777.00" in queries(client, url, **year)[1]


def test_while_redis_does_not_answer_the_parts_are_computed_on_each_request(
    client, page_cache_on, db, monkeypatch
):
    down = fail_open_cache("redis://127.0.0.1:1/1")
    down.get("anything")  # Redis refuses: the cache falls back to local memory
    monkeypatch.setattr(page_cache, "cache", down)
    association = AssociationFactory(name="Avant la panne")
    url = reverse("associations:list")
    queries(client, url)

    # Saved in another process: this one's local memory never hears of it.
    Association.objects.filter(pk=association.pk).update(name="Pendant la panne")

    assert "Pendant la panne" in queries(client, url)[1]


def test_without_a_shared_cache_nothing_is_kept(client, settings, db):
    settings.PAGE_CACHE_SECONDS = 0
    association = AssociationFactory(name="Premier nom")
    url = reverse("associations:list")
    queries(client, url)

    Association.objects.filter(pk=association.pk).update(name="Second nom")

    assert "Second nom" in queries(client, url)[1]


def test_the_version_of_a_scope_changes_when_its_data_do(page_cache_on, db):
    before = page_cache._versions(["associations", "grants"])
    page_cache.data_changed("grants")
    after = page_cache._versions(["associations", "grants"])

    assert before[0] == after[0] and before[1] != after[1]


def test_the_mission_filters_options_are_cached_until_a_quartier_or_a_type_changes(
    client, page_cache_on, agent
):
    """The agents' mission list offers quartiers and types without reading them again; a new
    quartier, a renamed type show at the next request; the chosen one stays selected, and a
    value that is not a quartier is still refused by the form."""
    QuartierFactory(name="Maurepas")
    groceries = MissionTypeFactory(name="Portage de courses")
    client.force_login(agent)
    url = reverse("volontaires:staff_missions")

    def filters(content: str) -> str:
        start = content.index('<form method="get"')
        return content[start : content.index("</form>", start)]

    first, content = queries(client, url)
    again, cached = queries(client, url)
    assert "Maurepas" in filters(content) and filters(cached) == filters(content)
    assert again <= first - 3  # programmes, types and quartiers not read again

    brequigny = QuartierFactory(name="Bréquigny")
    groceries.name = "Courses et médicaments"
    groceries.save()
    _count, content = queries(client, url)
    assert "Bréquigny" in filters(content) and "Courses et médicaments" in filters(content)
    assert "Portage de courses" not in filters(content)

    _count, content = queries(client, url, quartier=brequigny.pk)
    assert f'<option value="{brequigny.pk}" selected>Bréquigny</option>' in filters(content)

    response = client.get(url, {"quartier": 999999})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_any_statement_writing_a_table_of_a_scope_renews_it_and_only_those(page_cache_on, db):
    """The execute wrapper reads the table written, whatever sends the statement; the access
    log, written on every read of a resident's record, renews no signed-in page."""
    from tests.factories import ResidentFactory, UserFactory
    from volontaires.models import ResidentAccessLog

    resident, reader = ResidentFactory(), UserFactory()
    scopes = [page_cache.SIGNED_IN, "associations"]
    before = page_cache._versions(scopes)

    ResidentAccessLog.objects.create(user=reader, resident=resident, path="/", source="mission")
    assert page_cache._versions(scopes) == before

    with connection.cursor() as cursor:
        cursor.execute("UPDATE volontaires_resident SET first_name = first_name")
    after = page_cache._versions(scopes)
    assert after[0] != before[0] and after[1] == before[1]


def test_a_transaction_renews_a_scope_on_commit_once_whatever_its_writes(page_cache_on, db):
    """One commit hook per scope and transaction, however many statements; a hook dropped
    by a rollback is registered again by the next write."""
    from django.db import transaction

    both = sorted(["missions-reference", page_cache.SIGNED_IN])

    def registered() -> list[str]:
        return sorted(
            hook.scope
            for _savepoints, hook, _robust in connection.run_on_commit
            if isinstance(hook, page_cache._OnCommit)
        )

    try:
        with transaction.atomic():  # a savepoint: its hooks go with its rollback
            QuartierFactory(name="Maurepas")
            assert registered() == both
            raise RuntimeError
    except RuntimeError:
        pass
    assert registered() == []

    for name in ("Bréquigny", "Cleunay", "Villejean"):
        QuartierFactory(name=name)
    assert registered() == both

    before = page_cache._versions([page_cache.SIGNED_IN])
    for _savepoints, hook, _robust in connection.run_on_commit:
        if isinstance(hook, page_cache._OnCommit):
            hook()
    assert page_cache._versions([page_cache.SIGNED_IN]) != before
