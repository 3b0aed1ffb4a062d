"""The permission matrix test: every URL pattern of Django's resolver × every role, with real
objects of each owner (the matrix itself, and the world it is checked on, are in
tests/permission_matrix.py).

A pattern missing from the matrix fails the suite; the number of URL × role cells checked is
printed in the terminal summary.
"""

import sys
import types
from contextlib import nullcontext

import pytest
from django.contrib import admin
from django.test import override_settings
from django.urls import path

from tests import permission_matrix
from tests.permission_matrix import (
    DEBUG_ONLY,
    MATRIX,
    OK,
    REDIRECT,
    SAVED,
    Case,
    assert_every_pattern_listed,
    cases_of,
    check_case,
    debug_urlconf,
    expect,
    missing_from,
    resolver_patterns,
)

world = permission_matrix.world
matrix_settings = permission_matrix.matrix_settings


# --- tests ------------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_matrix_and_every_entry_is_a_url_pattern():
    patterns = resolver_patterns()
    with override_settings(ROOT_URLCONF=debug_urlconf()):
        debug_patterns = resolver_patterns()
    assert_every_pattern_listed(MATRIX, patterns)
    assert_every_pattern_listed(MATRIX, debug_patterns)
    # Two patterns of one name would share an entry, and only one would be checked.
    keys = [pattern.key for pattern in debug_patterns]
    assert sorted({key for key in keys if keys.count(key) > 1}) == []
    known = {pattern.key for pattern in patterns} | {pattern.key for pattern in debug_patterns}
    assert sorted(set(MATRIX) - known) == []
    assert sorted(set(DEBUG_ONLY)) == sorted(known - {pattern.key for pattern in patterns})


def test_a_url_pattern_left_out_of_the_matrix_fails_the_suite(monkeypatch):
    """GIVEN a urlconf with one page more WHEN the completeness check runs THEN it fails and
    names the page."""
    import solidaren.urls

    urlconf = types.ModuleType("tests._urls_with_an_unlisted_page")
    urlconf.urlpatterns = [
        *solidaren.urls.urlpatterns,
        path("page-oubliee/<int:pk>/", solidaren.urls.views.home, name="forgotten_page"),
    ]
    monkeypatch.setitem(sys.modules, urlconf.__name__, urlconf)
    with override_settings(ROOT_URLCONF=urlconf.__name__):
        patterns = resolver_patterns()
        assert [pattern.key for pattern in missing_from(MATRIX, patterns)] == ["forgotten_page"]
        with pytest.raises(AssertionError, match=r"'forgotten_page'  \(/page-oubliee/<int:pk>/\)"):
            assert_every_pattern_listed(MATRIX, patterns)


@pytest.mark.django_db
def test_the_world_holds_a_row_of_every_back_office_model(world):
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert sorted(registered - set(world.admin_objects)) == [], "add one in _back_office_rows"


@pytest.mark.django_db
def test_a_cell_that_differs_from_the_matrix_is_reported(world, matrix_settings):
    """GIVEN expectations that open association A's convention to everyone, and say that an
    agent pausing a volunteer's enrolment writes WHEN they are checked THEN each wrong cell is
    reported, a write where none was expected included."""
    convention = Case(kwargs=lambda w: {"pk": w.convention_a.pk}, get=expect(OK))
    assert check_case("conventions:detail", convention, world, world.clients) == [
        f"GET /conventions/{world.convention_a.pk}/ as {role}: expected 200, got {got}"
        for role, got in [
            ("anonymous", f"302 → /comptes/login/?next=/conventions/{world.convention_a.pk}/"),
            ("volunteer", "403"),
            ("other_volunteer", "403"),
            ("coordinator_b", "404"),
            ("data_protection_officer", "403"),
        ]
    ]
    enrolment = world.volunteer_enrolment
    pause = Case(
        kwargs=lambda w: {"pk": enrolment.pk},
        get={},
        post={"agent": SAVED, "volunteer": REDIRECT},  # the volunteer's pause is written
        changed=lambda w: type(enrolment).objects.get(pk=enrolment.pk).status,
    )
    url = f"/volontaires/inscriptions/{enrolment.pk}/pause/"
    assert check_case("volontaires:enrolment_pause", pause, world, world.clients) == [
        f"POST {url} as agent: expected 302 → elsewhere (writes), got 403",
        f"POST {url} as volunteer: data changed",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(MATRIX))
def test_who_may_open_each_url(key, world, matrix_settings):
    failures, pending = [], []
    # Changing ROOT_URLCONF rebuilds the resolver (slow): only for the pages of DEBUG.
    with override_settings(ROOT_URLCONF=debug_urlconf()) if key in DEBUG_ONLY else nullcontext():
        for case in cases_of(MATRIX[key]):
            found = [
                f"{case.label}: {failure}" if case.label else failure
                for failure in check_case(key, case, world, world.clients)
            ]
            if not case.pending:
                failures += found
            elif found:
                pending += [f"{case.pending}: {failure}" for failure in found]
            else:
                failures.append(f"{case.label}: passes now, remove its mark ({case.pending})")
    assert failures == [], "\n".join(failures)
    if pending:
        pytest.xfail("\n".join(pending))
