"""The pocket guide PDF of a quartier: made by the documents task, it lists each service of the
quartier with its hours, and is made again when one of its services changes."""

import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from associations import opening_hours, pocket_guide
from associations.models import ServiceChange, ServiceStop
from conventions import documents
from conventions.models import DocumentStatus, GeneratedDocument
from tests.factories import QuartierFactory, ServiceFactory


@pytest.fixture
def blosne(db):
    quartier = QuartierFactory(name="Le Blosne", slug="le-blosne")
    ServiceFactory(
        name="Épicerie solidaire",
        quartier=quartier,
        opening_hours="Mo,We 14:00-17:30; PH off",
        address="8 boulevard de Yougoslavie",
    )
    ServiceFactory(
        name="Cours de français", quartier=quartier, opening_hours="Tu 18:00-20:00, Th 09:00-11:00"
    )
    van = ServiceFactory(name="Camion du soir", opening_hours="", is_itinerant=True)
    ServiceStop.objects.create(
        service=van, label="Place de Zagreb", quartier=quartier, opening_hours="Fr 19:30-20:30"
    )
    ServiceFactory(name="Vestiaire de Villejean", quartier=QuartierFactory(slug="villejean"))
    return quartier


def pdf_text(document: GeneratedDocument) -> str:
    with document.file.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_task_makes_the_guide_of_a_quartier_with_each_service_and_its_hours(
    client, blosne, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pending = client.get(reverse("associations:pocket_guide", args=["quartier", "le-blosne"]))
    assert pending.status_code == 200 and "en préparation" in pending.content.decode()
    document = GeneratedDocument.objects.get(subject_key="guide:quartier:le-blosne")
    assert document.status == DocumentStatus.DONE and document.kind == "guide_poche"

    text = pdf_text(document)
    assert "Quartier Le Blosne" in text
    assert "Épicerie solidaire" in text
    assert "lundi 14:00–17:30" in text and "mercredi 14:00–17:30" in text
    assert "Cours de français" in text
    assert "mardi 18:00–20:00" in text and "jeudi 09:00–11:00" in text
    assert "Camion du soir" in text and "Place de Zagreb" in text and "vendredi 19:30–20:30" in text
    assert "Vestiaire de Villejean" not in text

    served = client.get(reverse("associations:pocket_guide", args=["quartier", "le-blosne"]))
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert b"".join(served.streaming_content).startswith(b"%PDF")


def test_the_guide_is_made_again_when_a_service_in_it_changes(
    blosne, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pocket_guide.request_guide("quartier", "le-blosne")
    document = GeneratedDocument.objects.get(subject_key="guide:quartier:le-blosne")
    first_file = document.file.name
    elsewhere = ServiceFactory(quartier=QuartierFactory(slug="ailleurs"))
    assert pocket_guide.queue_guides_of_service(elsewhere) == 0

    epicerie = blosne.services.get(name="Épicerie solidaire")
    ServiceChange.objects.create(
        service=epicerie,
        starts_on=datetime.date.today() + datetime.timedelta(days=2),
        ends_on=datetime.date.today() + datetime.timedelta(days=9),
        reason="Inventaire",
    )
    assert documents.is_stale(document)
    with django_capture_on_commit_callbacks(execute=True):
        assert pocket_guide.queue_guides_of_service(epicerie) == 1
    document.refresh_from_db()
    assert document.status == DocumentStatus.DONE and document.file.name != first_file
    assert "Fermé du" in pdf_text(document) and "Inventaire" in pdf_text(document)


@pytest.mark.parametrize(("kind", "value"), [("quartier", "nulle-part"), ("pays", "le-blosne")])
def test_an_unknown_guide_is_not_found(client, blosne, kind, value):
    response = client.get(reverse("associations:pocket_guide", args=[kind, value]))
    assert response.status_code == 404
    assert not GeneratedDocument.objects.exists()


def test_changed_hours_are_written_as_the_usual_hours_are(
    blosne, django_capture_on_commit_callbacks
):
    starts_on = datetime.date.today() + datetime.timedelta(days=3)
    ServiceChange.objects.create(
        service=blosne.services.get(name="Cours de français"),
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=20),
        opening_hours="Tu,Th 10:00-12:00",
        reason="Plan hiver",
    )

    with django_capture_on_commit_callbacks(execute=True):
        pocket_guide.request_guide("quartier", "le-blosne")
    text = pdf_text(GeneratedDocument.objects.get(subject_key="guide:quartier:le-blosne"))

    assert "Horaires changés du" in text
    # The PDF may break a line after a dash.
    assert "mardi 10:00–12:00 ; jeudi 10:00–12:00 (Plan hiver)" in text.replace("– ", "–")
    assert "Tu,Th" not in text


def test_changed_hours_are_read_on_their_own_days_and_not_on_a_public_holiday():
    # Christmas and New Year's Day 2026 are Fridays: the Fridays are read on 8 January.
    assert opening_hours.dated_hours(
        "Mo-Fr 10:00-12:00; PH off", datetime.date(2026, 12, 21), datetime.date(2027, 1, 10)
    ) == [("du lundi au vendredi", "10:00–12:00")]
    assert opening_hours.dated_hours(
        "Mo-We 08:00-12:00; Th 14:00-16:00; Sa,Su 10:00-12:00",
        datetime.date(2026, 12, 1),
        datetime.date(2027, 3, 31),
    ) == [
        ("du lundi au mercredi", "08:00–12:00"),
        ("jeudi", "14:00–16:00"),
        ("samedi et dimanche", "10:00–12:00"),
    ]
    # Two days only: two weekdays; a holiday that is the only Friday of the period counts.
    christmas = (datetime.date(2026, 12, 24), datetime.date(2026, 12, 25))
    assert opening_hours.dated_hours("Mo-Su 09:00-11:00", *christmas) == [
        ("jeudi et vendredi", "09:00–11:00")
    ]
    assert opening_hours.dated_hours("Mo-Su 09:00-11:00; PH off", *christmas) == [
        ("jeudi", "09:00–11:00")
    ]
