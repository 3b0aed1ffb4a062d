"""Property-based fuzz (hypothesis) of every form and of the public JSON/CSV endpoints.

Every form of the portal (the POST views of associations/, conventions/ and volontaires/, from
the permission matrix) and every add and change form of the back-office (every registered
ModelAdmin, as a superuser and as an agent) receives POST data whose field names are those of
the form as rendered and whose values mix the rendered ones with hostile ones (empty, huge,
unicode, NUL bytes, negative, non-numeric, far dates, ids that do not exist or are not
integers, missing management forms). Whatever is posted: never a 500, and an answer that is not
a success writes no row (the rows of every table are counted before and after).

The public endpoints get generated query strings: never a 500, and JSON or CSV that parses.

`FUZZ_PROFILE=thorough` runs many more examples, with a fresh random seed on every run.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import ERROR, get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import permission_matrix
from tests.factories import QuartierFactory, VolunteerProfileFactory
from tests.permission_matrix import (
    AGENT,
    ANONYMOUS,
    COORDINATOR_A,
    DATA_PROTECTION_OFFICER,
    MATRIX,
    NO_ADD_MODELS,
    PDF_BYTES,
    SUPERUSER,
    SUPERUSER_ONLY_MODELS,
    VOLUNTEER,
    cases_of,
    expired_answer_token,
)
from volontaires.models import Quartier

world = permission_matrix.world
matrix_settings = permission_matrix.matrix_settings

hypothesis_settings.register_profile(
    "solidaren-fuzz",
    max_examples=4,
    deadline=None,
    derandomize=True,  # the same examples on every run: a red build is never luck
    # A failure shows the data posted; shrinking it (minutes on forms of 50 fields) is left to
    # the thorough profile.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "solidaren-fuzz-thorough",
    parent=hypothesis_settings.get_profile("solidaren-fuzz"),
    max_examples=60,
    derandomize=False,
    phases=list(Phase),
)
PROFILE = hypothesis_settings.get_profile(
    "solidaren-fuzz-thorough" if os.environ.get("FUZZ_PROFILE") == "thorough" else "solidaren-fuzz"
)
# Portal forms are cheaper than the back-office's: twice the examples.
PORTAL_PROFILE = hypothesis_settings(PROFILE, max_examples=PROFILE.max_examples * 2)


# --- the forms, as a browser sees them --------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "select-multiple" or "textarea"
    value: str | list[str] | None = None  # what the browser sends unchanged (None: nothing)
    options: list[str] = field(default_factory=list)
    autocomplete: str = ""  # for a back-office autocomplete: the model it searches


@dataclass
class HtmlForm:
    action: str
    fields: dict[str, Field] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The POST forms of a page with their fields (names, rendered values, options)."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form" and attributes.get("method", "get").lower() == "post":
            action = urljoin(self.page_url, attributes.get("action") or self.page_url)
            self._form = HtmlForm(action=urlsplit(action).path)
            self.forms.append(self._form)
        if tag == "option" and self._select is not None:
            self._option(attributes)
        if self._form is None or not name:
            return
        if tag == "input":
            self._input(name, attributes)
        elif tag == "select":
            kind = "select-multiple" if "multiple" in attributes else "select"
            self._select = self._form.fields.setdefault(name, Field(name, kind))
            self._select.value = [] if kind == "select-multiple" else None
            if "admin-autocomplete" in attributes.get("class", ""):
                self._select.autocomplete = searched_model(attributes)
        elif tag == "textarea":
            self._textarea = self._form.fields.setdefault(name, Field(name, "textarea", ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def _input(self, name: str, attributes: dict) -> None:
        kind = attributes.get("type", "text").lower()
        value = attributes.get("value", "on" if kind in ("checkbox", "radio") else "")
        known = self._form.fields.setdefault(name, Field(name, kind))
        if kind in ("checkbox", "radio", "submit"):
            known.options.append(value)
            if "checked" in attributes or (kind == "submit" and known.value is None):
                known.value = value
        elif kind != "file":
            known.value = value

    def _option(self, attributes: dict) -> None:
        value = attributes.get("value", "")
        self._select.options.append(value)
        if "selected" in attributes:
            if self._select.kind == "select-multiple":
                self._select.value.append(value)
            else:
                self._select.value = value

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and self._select.value is None and self._select.options:
                # What a browser sends: the first option (often the empty one).
                self._select.value = self._select.options[0]
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data


def searched_model(attributes: dict) -> str:
    source = apps.get_model(attributes["data-app-label"], attributes["data-model-name"])
    return source._meta.get_field(attributes["data-field-name"]).related_model._meta.label_lower


def form_posting_to(response, page_url: str, target: str) -> HtmlForm:
    parser = FormParser(page_url)
    parser.feed(response.content.decode())
    forms = [form for form in parser.forms if form.action == urlsplit(target).path]
    assert forms, f"no form posting to {target} on {page_url} ({response.status_code})"
    merged = HtmlForm(action=target)
    for form in forms:  # several buttons may post to the same address
        merged.fields.update(form.fields)
    merged.fields.pop("csrfmiddlewaretoken", None)
    return merged


# --- hostile values ---------------------------------------------------------------------------

DROP = object()  # the field is left out of the POST
HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "nul\x00octet",
            "-1",
            "0",
            "-0.01",
            "1e400",
            "NaN",
            "abc",
            "١٢٣",
            "99999999999999999999",
            "2147483648",
            "9999-12-31",
            "0001-01-01",
            "2024-02-31",
            "31/02/2024",
            "25:61",
            "999999",
            "1 OR 1=1",
            "1.5",
            "<script>alert(1)</script>",
            "{% if %}",
            "{{ convention|inconnu }}",
            "../../etc/passwd",
            "é" * 300,
            "x" * 20_000,
        ]
    ),
    st.text(max_size=40),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.dates(min_value=datetime.date(1, 1, 1)).map(datetime.date.isoformat),
)
MANAGEMENT_VALUES = st.sampled_from([DROP, "", "abc", "-1", "3", "0"])
FILES = st.sampled_from(
    [
        DROP,
        ("vide.pdf", b""),
        ("faux.pdf", b"pas un PDF"),
        ("court.pdf", b"%PDF-"),
        ("comptes.pdf", PDF_BYTES),
        ("programme.exe", b"MZ\x90\x00\x03"),
    ]
)
# Fields that a tampered request may add: ids and rights that no form of the portal offers.
EXTRA_FIELDS = st.dictionaries(
    st.sampled_from(["id", "pk", "user", "association", "status", "is_staff", "is_superuser"]),
    HOSTILE_TEXT,
    max_size=2,
)


def field_values(form_field: Field) -> st.SearchStrategy:
    """The rendered value (most often), another option, a hostile value, or nothing."""
    if form_field.kind == "file":
        return FILES
    rendered = st.just(DROP if form_field.value is None else form_field.value)
    if "__prefix__" in form_field.name:  # the blank templates of inlines, ignored by Django
        return rendered
    if form_field.name.endswith(("-TOTAL_FORMS", "-INITIAL_FORMS")):
        return st.one_of(rendered, MANAGEMENT_VALUES)
    choices = [rendered, rendered, HOSTILE_TEXT, st.just(DROP)]
    if form_field.options:
        choices.append(st.sampled_from(form_field.options))
    if form_field.kind == "select-multiple":
        choices.append(st.lists(HOSTILE_TEXT, max_size=3))
    return st.one_of(*choices)


def post_data(form: HtmlForm) -> st.SearchStrategy:
    names = list(form.fields)
    values = st.tuples(*(field_values(form.fields[name]) for name in names))

    def assemble(drawn):
        fields, extra = drawn
        data = {name: value for name, value in zip(names, fields, strict=True) if value is not DROP}
        return {**{key: value for key, value in extra.items() if key not in names}, **data}

    return st.tuples(values, EXTRA_FIELDS).map(assemble)


def encoded(data: dict) -> dict:
    """Files as fresh uploads (an upload is read once)."""
    return {
        name: SimpleUploadedFile(value[0], value[1], "application/pdf")
        if isinstance(value, tuple)
        else value
        for name, value in data.items()
    }


# --- rows and outcomes ------------------------------------------------------------------------

# Not data a refused request must leave alone: the session, and the trails that record
# refused requests on purpose (who read a resident's record, failed logins).
NOT_DATA = {
    "django_session",
    "volontaires_residentaccesslog",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
}


def row_counts() -> dict[str, int]:
    """The number of rows of every table, in one query."""
    tables = sorted(set(connection.introspection.table_names()) - NOT_DATA)
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {connection.ops.quote_name(table)})"  # noqa: S608 — names from the schema, quoted
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def server_error(response) -> str:
    """The end of the traceback of the view's exception, if any."""
    if not getattr(response, "exc_info", None):
        return ""
    return "".join(traceback.format_exception(*response.exc_info)[-6:])


def accepted(response) -> bool:
    """A redirect that is not only error messages; a form shown again or a 4xx is a refusal."""
    if response.status_code not in (301, 302, 303):
        return False
    levels = [message.level for message in get_messages(response.wsgi_request)]
    return not (levels and all(level >= ERROR for level in levels))


def post_and_check(client, url: str, data: dict) -> None:
    """POST in a savepoint rolled back afterwards; a 500 or a refused write fails."""
    with transaction.atomic():
        before = row_counts()
        response = client.post(url, encoded(data))
        after = row_counts()
        transaction.set_rollback(True)
    shown = {
        name: (value if len(str(value)) < 80 else f"{str(value)[:80]}…")
        for name, value in data.items()
    }
    assert response.status_code < 500, (
        f"{response.status_code} for POST {url} {shown}\n{server_error(response)}"
    )
    if not accepted(response):
        written = {
            table: after[table] - before[table] for table in before if after[table] != before[table]
        }
        assert not written, f"refused ({response.status_code}) but rows written {written}: {shown}"


# --- the portal's forms -----------------------------------------------------------------------

PORTAL_APPS = ("associations:", "conventions:", "volontaires:")
# The role who fills each form: the first of these whose POST the matrix accepts.
FILLERS = (COORDINATOR_A, VOLUNTEER, AGENT, SUPERUSER, DATA_PROTECTION_OFFICER)


def _filler(case) -> str | None:
    post = case.post or {}
    for role in FILLERS:
        outcome = post.get(role)
        if outcome and (outcome.status == 200 or outcome.writes):
            return role
    return None


def portal_targets() -> list[tuple[str, str]]:
    """(URL name, role): every POST the matrix accepts in the portal's apps."""
    targets = []
    for key, entry in MATRIX.items():
        if not key.startswith(PORTAL_APPS):
            continue
        case = cases_of(entry)[0]
        if callable(case.post) or case.post is None:
            continue
        role = _filler(case)
        if role:
            targets.append((key, role))
    return targets


def _page(name, **kwargs):
    return lambda w: reverse(name, kwargs={key: getter(w) for key, getter in kwargs.items()})


def _pk(attribute):
    return lambda w: getattr(w, attribute).pk


# Where each POST-only form is shown (the others are shown on their own address).
FORM_PAGES = {
    "conventions:report_start": _page("conventions:reports"),
    "conventions:report_review": _page("conventions:report", pk=_pk("report_submitted")),
    "conventions:report_attachment_add": _page("conventions:report", pk=_pk("report_draft")),
    "conventions:report_attachment_delete": _page("conventions:report", pk=_pk("report_draft")),
    "conventions:generate_convention_documents": _page(
        "conventions:detail", pk=_pk("convention_a")
    ),
    "conventions:generate_report_document": _page("conventions:report", pk=_pk("report_submitted")),
    "conventions:generate_year": _page("conventions:dashboard"),
    "conventions:step": _page("conventions:detail", pk=_pk("convention_draft")),
    "conventions:sign": _page("conventions:detail", pk=_pk("convention_signing")),
    "conventions:signed_scan_upload": _page("conventions:detail", pk=_pk("convention_a")),
    # The list (and its confirmation form) of the conventions ending in a period, whatever
    # day the suite runs: the world's end on 31 December 2026.
    "conventions:renew_bulk": lambda w: (
        reverse("conventions:renew_bulk") + "?ending_from=2026-01-01&ending_until=2027-06-30"
    ),
    "conventions:request_new": _page("conventions:requests"),
    "conventions:request_attachment_add": _page("conventions:request", pk=_pk("subsidy_request")),
    "conventions:request_review": _page("conventions:request", pk=_pk("submitted_request")),
    "volontaires:enrolment_pause": _page("volontaires:my_space"),
    "volontaires:enrolment_resume": _page("volontaires:my_space"),
    "volontaires:enrolment_withdraw": _page("volontaires:my_space"),
    "volontaires:proposal_accept": _page("volontaires:my_space"),
    "volontaires:proposal_decline": _page("volontaires:my_space"),
    "volontaires:calendar_token": _page("volontaires:my_space"),
    "volontaires:assignment_complete": _page(
        "volontaires:mission_detail", pk=_pk("resident_mission")
    ),
    "volontaires:keep_in_touch": _page("volontaires:mission_detail", pk=_pk("done_mission")),
    "volontaires:assignment_cancel": _page(
        "volontaires:mission_detail", pk=lambda w: w.accepted_to_come.mission_id
    ),
    "volontaires:mission_apply": _page("volontaires:mission_detail", pk=_pk("city_call")),
    "volontaires:staff_mission_batch": _page("volontaires:staff_missions"),
    "volontaires:staff_mission_propose_best": _page(
        "volontaires:staff_mission", pk=_pk("city_call")
    ),
    "volontaires:staff_mission_propose": _page(
        "volontaires:staff_mission", pk=_pk("proposal_mission")
    ),
    "volontaires:staff_assignment_complete": _page(
        "volontaires:staff_mission", pk=_pk("resident_mission")
    ),
    "volontaires:staff_volunteer_verify": _page(
        "volontaires:staff_volunteer", pk=_pk("volunteer_profile")
    ),
    "associations:orientation_reply": _page(
        "associations:orientation", pk=_pk("orientation_by_volunteer")
    ),
    "associations:orientation_renew": _page(
        "associations:orientation", pk=_pk("orientation_by_volunteer")
    ),
    # An expired link's page offers a new one.
    "associations:orientation_link_renew": lambda w: reverse(
        "associations:orientation_answer",
        kwargs={"token": expired_answer_token(w.orientation_by_volunteer)},
    ),
    "associations:service_change_add": _page(
        "associations:service_edit", slug=lambda w: w.service_a.slug
    ),
    "associations:staff_update_campaign": _page("associations:staff_services"),
    "volontaires:training_register": _page("volontaires:training"),
    "volontaires:training_unregister": _page("volontaires:training"),
}


def test_every_form_of_the_portal_is_fuzzed():
    targets = dict(portal_targets())
    assert set(FORM_PAGES) <= set(targets), "FORM_PAGES names a URL that takes no POST"
    assert len(targets) >= 31
    assert targets["conventions:report"] == COORDINATOR_A
    assert targets["volontaires:staff_request_new"] == AGENT


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "role"), portal_targets())
def test_portal_forms_never_answer_500_nor_write_when_refused(key, role, world, matrix_settings):
    case = cases_of(MATRIX[key])[0]
    url = case.url(key, world)
    page = FORM_PAGES[key](world) if key in FORM_PAGES else url
    client = world.clients.as_role(role)
    response = client.get(page)
    assert response.status_code == 200, (
        f"{page} as {role}: {response.status_code}; for a POST-only view, say in FORM_PAGES "
        "which page shows its form"
    )
    form = form_posting_to(response, page, url)

    @PORTAL_PROFILE
    @given(data=post_data(form))
    def fuzz(data):
        post_and_check(world.clients.as_role(role), url, data)

    fuzz()


# --- the back-office's add and change forms ---------------------------------------------------


def back_office_targets() -> list[tuple[str, str]]:
    """(model, "add" or "change") for every registered ModelAdmin."""
    labels = sorted(model._meta.label_lower for model in admin.site._registry)
    return [
        (label, page)
        for label in labels
        for page in ("add", "change")
        if not (page == "add" and label in NO_ADD_MODELS)
    ]


def back_office_url(label: str, page: str, world) -> str:
    name = f"admin:{label.replace('.', '_')}_{page}"
    return reverse(name, args=[world.admin_objects[label].pk] if page == "change" else None)


def with_valid_choices(form: HtmlForm, world, like: HtmlForm | None = None) -> HtmlForm:
    """Empty autocompletes get an object of the world, and an add form the values of the
    change form of the same model (`like`): the fuzz then reaches the deeper checks."""
    for name, each in form.fields.items():
        model_object = world.admin_objects.get(each.autocomplete)
        if each.autocomplete and not each.value and model_object is not None:
            each.value = str(model_object.pk)
        if like and name in like.fields and "-" not in name:  # the model's own fields
            each.value = like.fields[name].value
    return form


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "page"), back_office_targets())
def test_back_office_forms_never_answer_500_nor_write_when_refused(
    label, page, world, matrix_settings
):
    """As a superuser and as an agent (who may be refused: a 403 must write nothing either)."""
    url = back_office_url(label, page, world)
    superuser = world.clients.as_role(SUPERUSER)
    change_url = back_office_url(label, "change", world)
    change_form = form_posting_to(superuser.get(change_url), change_url, change_url)
    form = change_form
    if page == "add":
        form = form_posting_to(superuser.get(url), url, url)
    form = with_valid_choices(form, world, like=change_form if page == "add" else None)
    roles = [SUPERUSER] if label in SUPERUSER_ONLY_MODELS else [SUPERUSER, AGENT]

    @PROFILE
    @given(role=st.sampled_from(roles), data=post_data(form))
    def fuzz(role, data):
        post_and_check(world.clients.as_role(role), url, data)

    fuzz()


# --- the public JSON, CSV and calendar endpoints ----------------------------------------------

QUERY_KEYS = st.one_of(
    st.sampled_from(["programme", "annee", "page", "format", "q"]), st.text(min_size=1, max_size=8)
)
QUERY_STRINGS = st.one_of(
    st.dictionaries(QUERY_KEYS, HOSTILE_TEXT, max_size=3).map(urlencode),
    # raw bytes, percent-encoded: NUL, invalid UTF-8, stray separators
    st.binary(max_size=40).map(lambda raw: quote(raw, safe="=&")),
)
PUBLIC_PROFILE = hypothesis_settings(PROFILE, max_examples=PROFILE.max_examples * 5)


def parsed_json(response) -> object:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def parsed_csv(response) -> list[list[str]]:
    if response.status_code == 400:  # a bad year: a French sentence
        assert response["Content-Type"].startswith("text/plain"), response["Content-Type"]
        return []
    assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0][0] == "nomAttribuant"
    return rows


PUBLIC_ENDPOINTS = {
    "volontaires:figures_json": parsed_json,
    "opendata_subsidies": parsed_csv,
    "healthz": parsed_json,
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_ENDPOINTS)
def test_public_endpoints_answer_json_or_csv_whatever_the_query(name, world, matrix_settings):
    url = reverse(name)

    @PUBLIC_PROFILE
    @given(query=QUERY_STRINGS)
    def fuzz(query):
        response = world.clients.as_role(ANONYMOUS).get(f"{url}?{query}")
        assert response.status_code < 500 or name == "healthz", (response.status_code, query)
        assert response.status_code in {200, 400, 404, 503}, (response.status_code, query)
        PUBLIC_ENDPOINTS[name](response)

    fuzz()


@pytest.mark.django_db
def test_the_calendar_feed_answers_a_calendar_or_404_whatever_the_token(world, matrix_settings):
    tokens = st.one_of(
        st.just(world.volunteer_token),
        st.text(st.characters(blacklist_characters="/", blacklist_categories=["Cs"]), min_size=1),
    )

    @PUBLIC_PROFILE
    @given(token=tokens, query=QUERY_STRINGS)
    def fuzz(token, query):
        path = reverse("volontaires:calendar_feed", kwargs={"token": "JETON"})
        response = world.clients.as_role(ANONYMOUS).get(
            f"{path.replace('JETON', quote(token, safe=''))}?{query}"
        )
        assert response.status_code in {200, 404}, (response.status_code, token, query)
        if response.status_code == 200:
            assert response["Content-Type"] == "text/calendar; charset=utf-8"
            assert response.content.startswith(b"BEGIN:VCALENDAR")

    fuzz()


# --- what the fuzz found ----------------------------------------------------------------------


def rendered_data(form: HtmlForm) -> dict:
    return {name: each.value for name, each in form.fields.items() if each.value is not None}


@pytest.mark.django_db
def test_ids_out_of_the_columns_range_match_no_row():
    quartier = QuartierFactory()
    too_large = 10**20  # SQLite raised OverflowError on it
    assert list(Quartier.objects.filter(pk__in=[too_large])) == []
    assert list(Quartier.objects.filter(pk__in=[too_large, quartier.pk, -too_large])) == [quartier]


@pytest.mark.django_db
def test_a_multiple_choice_id_too_large_for_the_database_is_a_form_error(world, matrix_settings):
    """GIVEN the volunteer's profile form WHEN a mission type id beyond 64 bits is posted THEN
    the form says the choice is not valid (it was a 500 on SQLite) and nothing is written."""
    client = world.clients.as_role(VOLUNTEER)
    url = reverse("volontaires:profile")
    data = rendered_data(form_posting_to(client.get(url), url, url))
    data["mission_types"] = "99999999999999999999"
    with transaction.atomic():
        before = row_counts()
        response = client.post(url, data)
        assert row_counts() == before
        transaction.set_rollback(True)
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()


def back_office_post(world, label: str, changes: dict) -> tuple[int, str, dict]:
    """The add form of `label` as a superuser, as rendered with valid choices, with `changes`."""
    client = world.clients.as_role(SUPERUSER)
    url = back_office_url(label, "add", world)
    change_url = back_office_url(label, "change", world)
    like = form_posting_to(client.get(change_url), change_url, change_url)
    data = rendered_data(
        with_valid_choices(form_posting_to(client.get(url), url, url), world, like)
    )
    data.update(changes)
    with transaction.atomic():
        before = row_counts()
        response = client.post(url, data)
        written = {table: count for table, count in row_counts().items() if before[table] != count}
        transaction.set_rollback(True)
    return response.status_code, response.content.decode(), written


# The back-office 500s of issue 8 (fixed by the back-office rights: conventions.rules.
# convention_of, the autocompletes' widgets), which the fuzz also finds when they come back.


@pytest.mark.django_db
@pytest.mark.parametrize(
    "label",
    [
        "conventions.payment",
        "conventions.commitment",
        "conventions.yearlyreport",
        "conventions.inkindsupport",
    ],
)
def test_an_amount_added_without_its_convention_is_a_form_error(label, world, matrix_settings):
    status, page, written = back_office_post(world, label, {"convention": ""})
    assert (status, written) == (200, {})
    assert "Ce champ est obligatoire" in page


@pytest.mark.django_db
def test_a_convention_whose_party_names_another_convention_is_a_form_error(world, matrix_settings):
    status, _, written = back_office_post(
        world, "conventions.convention", {"reference": "CPO-NOUVELLE", "parties-0-convention": "¥"}
    )
    assert (status, written) == (200, {})


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["abc", "1.5", "zo\x15"])
def test_a_tampered_autocomplete_value_is_a_form_error(value, world, matrix_settings):
    status, page, written = back_office_post(world, "conventions.payment", {"funder": value})
    assert (status, written) == (200, {})
    assert "Sélectionnez un choix valide" in page


@pytest.mark.django_db
@pytest.mark.parametrize("typed", [-1, "velo", {"a": 1}])
def test_a_list_of_choices_typed_as_something_else_is_a_form_error(typed):
    """Found by the fuzz: the back-office's JSON field took -1, then the check of its values
    failed (a 500)."""
    profile = VolunteerProfileFactory.build(transport_modes=typed)
    with pytest.raises(ValidationError) as refused:
        profile.clean()
    assert refused.value.message_dict == {
        "transport_modes": ["Indiquez une liste de valeurs, par exemple []."]
    }
