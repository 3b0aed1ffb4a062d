"""Uploads: size capped before the body is read, PDFs checked from their content with pypdf,
files stored outside static and never served but through the permission-checked views."""

import html
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import Resolver404, resolve, reverse
from pypdf import PdfWriter

from conventions import documents
from conventions.models import ReportAttachment
from solidaren import settings as project_settings
from solidaren.uploads import validate_pdf
from tests import pdf_samples
from tests.factories import ConventionFactory, FunderFactory, YearlyReportFactory, give_totp

MB = 1024 * 1024


@pytest.fixture
def report(association_a):
    convention = ConventionFactory(association=association_a, funders=[FunderFactory()])
    return YearlyReportFactory(convention=convention, year=2024)


@pytest.fixture
def coordinator_client(client, coordinator_a):
    client.force_login(coordinator_a)
    return client


def add_url(report) -> str:
    return reverse("conventions:report_attachment_add", kwargs={"pk": report.pk})


def upload(client, report, content: bytes, name: str = "comptes.pdf"):
    return client.post(
        add_url(report),
        {"title": "", "file": SimpleUploadedFile(name, content, "application/pdf")},
    )


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def refusal_code(content: bytes, name: str = "x.pdf") -> str:
    with pytest.raises(ValidationError) as refused:
        validate_pdf(SimpleUploadedFile(name, content))
    return refused.value.code


class WatchedBody(io.BytesIO):
    """A request body that counts what the server read from it."""

    bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def post_raw(client, url, body: bytes, *, declared_length: int | None = None) -> tuple:
    stream = WatchedBody(body)
    response = client.generic(
        "POST",
        url,
        **{
            "wsgi.input": stream,
            "CONTENT_LENGTH": str(len(body) if declared_length is None else declared_length),
            "CONTENT_TYPE": MULTIPART_CONTENT,
        },
    )
    return response, stream


def multipart_upload(content: bytes, **fields) -> bytes:
    return encode_multipart(
        BOUNDARY, {**fields, "file": SimpleUploadedFile("comptes.pdf", content, "application/pdf")}
    )


# --- accepted -------------------------------------------------------------------------------


def test_a_real_pdf_is_accepted_and_stored(coordinator_client, report, settings):
    convention_pdf = documents.html_to_pdf(
        documents.render_html(documents.convention_document(report.convention))
    ).content  # a real document, made by WeasyPrint

    for content in (
        convention_pdf,
        pdf_samples.plain_pdf(),
        pdf_samples.open_action_destination_pdf(),
    ):
        assert upload(coordinator_client, report, content).status_code == 302

    stored = sorted(path.read_bytes() for path in stored_files(settings))
    assert ReportAttachment.objects.count() == 3 and len(stored) == 3
    assert convention_pdf in stored


# --- refused by content -------------------------------------------------------------------


def _hex_escaped_javascript() -> bytes:
    """/JavaScript written /J#61vaScript: the same name for a PDF reader."""
    return pdf_samples.document_javascript_pdf().replace(b"/JavaScript", b"/J#61vaScript")


def _encrypted() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_samples.plain_pdf()))
    writer.encrypt(user_password="", owner_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


REFUSALS = [
    # (what, content, message shown)
    (
        "%PDF- then an ELF program",
        pdf_samples.header_then_elf(),
        "contient un programme exécutable",
    ),
    ("ELF after %%EOF", pdf_samples.elf_after_eof_pdf(), "contient un programme exécutable"),
    ("PE after %%EOF", pdf_samples.plain_pdf() + pdf_samples.PE_PROGRAM, "programme exécutable"),
    ("data after %%EOF", pdf_samples.plain_pdf() + b"PK\x03\x04 archive", "données après la fin"),
    (
        "OpenAction JavaScript",
        pdf_samples.open_action_javascript_pdf(),
        "action automatique à son ouverture",
    ),
    ("document JavaScript", pdf_samples.document_javascript_pdf(), "contient du JavaScript"),
    ("escaped JavaScript name", _hex_escaped_javascript(), "contient du JavaScript"),
    ("page /AA", pdf_samples.page_automatic_action_pdf(), "contient des actions automatiques"),
    ("Launch link", pdf_samples.launch_link_pdf(), "lance un programme"),
    (
        "embedded text file",
        pdf_samples.embedded_file_pdf("notes.txt", b"bonjour"),
        "fichiers intégrés",
    ),
    ("embedded executable", pdf_samples.embedded_file_pdf(), "programme exécutable"),
    ("XFA form", pdf_samples.xfa_form_pdf(), "formulaire dynamique (XFA)"),
    ("encrypted", _encrypted(), "protégé par un mot de passe"),
    (
        "broken PDF",
        b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
        "illisible ou endommagé",
    ),
    ("text", b"Ceci est un simple texte.", "n'est pas un vrai PDF"),
    ("ELF program", pdf_samples.ELF_PROGRAM, "n'est pas un vrai PDF"),
]


@pytest.mark.parametrize(
    "content, message", [(c, m) for _w, c, m in REFUSALS], ids=[w for w, _c, _m in REFUSALS]
)
def test_a_pdf_that_could_run_something_or_hides_a_program_is_refused_and_not_stored(
    coordinator_client, report, settings, content, message
):
    response = upload(coordinator_client, report, content)

    assert response.status_code == 200
    text = page_text(response)
    assert "La pièce jointe n'a pas été ajoutée" in text
    assert message in text
    assert not ReportAttachment.objects.exists()
    assert stored_files(settings) == []


def test_each_refusal_has_its_own_code():
    codes = {
        refusal_code(pdf_samples.header_then_elf()),
        refusal_code(pdf_samples.plain_pdf() + b"junk"),
        refusal_code(pdf_samples.open_action_javascript_pdf()),
        refusal_code(pdf_samples.document_javascript_pdf()),
        refusal_code(pdf_samples.page_automatic_action_pdf()),
        refusal_code(pdf_samples.launch_link_pdf()),
        refusal_code(pdf_samples.embedded_file_pdf("notes.txt", b"bonjour")),
        refusal_code(pdf_samples.xfa_form_pdf()),
        refusal_code(_encrypted()),
        refusal_code(b"%PDF-1.4\n%%EOF"),
        refusal_code(b"texte"),
        refusal_code(pdf_samples.plain_pdf(), name="comptes.exe"),
    }
    assert codes == {
        "executable",
        "trailing_data",
        "open_action",
        "javascript",
        "automatic_action",
        "launch",
        "embedded_file",
        "xfa",
        "encrypted",
        "unreadable",
        "content",
        "extension",
    }


def test_the_validator_checks_the_size_too(settings):
    settings.UPLOAD_MAX_MB = 1
    big = SimpleUploadedFile("gros.pdf", pdf_samples.plain_pdf() + b" " * MB)

    with pytest.raises(ValidationError) as refused:
        validate_pdf(big)

    assert refused.value.code == "size"
    assert "la taille maximale est de 1 Mo" in refused.value.messages[0]


# --- size, before reading -------------------------------------------------------------------


def test_a_body_declared_too_large_gets_413_before_anything_reads_it(
    report, coordinator_a, settings
):
    """150 MB announced: refused from the Content-Length alone, even with CSRF checks on
    (the CSRF middleware would otherwise read the POST data)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator_a)
    body = multipart_upload(pdf_samples.plain_pdf())

    response, stream = post_raw(client, add_url(report), body, declared_length=150 * MB)

    assert response.status_code == 413
    assert "Fichier trop volumineux" in page_text(response)
    assert "la taille maximale acceptée : 10 Mo par fichier" in page_text(response)
    assert stream.bytes_read == 0  # the body stream was never consumed
    assert not ReportAttachment.objects.exists()


def test_a_really_oversized_upload_is_refused_unread(coordinator_client, report, settings):
    settings.UPLOAD_MAX_MB = 1
    body = multipart_upload(pdf_samples.plain_pdf() + b" " * (3 * MB))

    response, stream = post_raw(coordinator_client, add_url(report), body)

    assert response.status_code == 413
    assert stream.bytes_read == 0
    assert not ReportAttachment.objects.exists() and stored_files(settings) == []


@pytest.mark.parametrize("csrf_checks", [False, True], ids=["view reads", "CSRF reads"])
def test_a_streamed_file_over_the_limit_is_stopped_as_soon_as_it_passes_it(
    report, coordinator_a, settings, csrf_checks
):
    """Within the declared-length margin (the file limit plus the form fields), the upload
    handler counts the file's bytes and stops reading a little after the limit."""
    settings.UPLOAD_MAX_MB = 1
    client = Client(enforce_csrf_checks=csrf_checks)
    client.force_login(coordinator_a)
    fields = {}
    if csrf_checks:
        client.get(report.get_absolute_url())
        fields["csrfmiddlewaretoken"] = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    content = pdf_samples.plain_pdf() + b" " * (MB + MB // 2)  # 1.5 MB
    body = multipart_upload(content, **fields)
    assert len(body) < MB + django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # passes the first check

    response, stream = post_raw(client, add_url(report), body)

    assert response.status_code == 413
    assert "Fichier trop volumineux" in page_text(response)
    assert MB < stream.bytes_read < MB + 256 * 1024  # stopped within a few 64 kB chunks
    assert not ReportAttachment.objects.exists() and stored_files(settings) == []


def test_an_upload_within_the_limit_still_goes_through(coordinator_client, report, settings):
    settings.UPLOAD_MAX_MB = 1
    content = pdf_samples.plain_pdf() + b"\n" * (MB // 2)  # padding after %%EOF is allowed

    response, stream = post_raw(coordinator_client, add_url(report), multipart_upload(content))

    assert response.status_code == 302
    assert stream.bytes_read == len(stream.getvalue())
    assert ReportAttachment.objects.get().file.read() == content


# --- storage --------------------------------------------------------------------------------


def test_media_lies_outside_every_static_folder_and_no_url_serves_it(
    coordinator_client, report, settings
):
    static_folders = [Path(project_settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]
    for finder in finders.get_finders():
        static_folders += [
            Path(storage.location) for storage in getattr(finder, "storages", {}).values()
        ]
    for media_root in {Path(project_settings.MEDIA_ROOT), Path(settings.MEDIA_ROOT)}:
        for folder in static_folders:
            assert not media_root.resolve().is_relative_to(folder.resolve()), folder
            assert not folder.resolve().is_relative_to(media_root.resolve()), folder

    assert upload(coordinator_client, report, pdf_samples.plain_pdf()).status_code == 302
    name = ReportAttachment.objects.get().file.name
    with pytest.raises(Resolver404):
        resolve(f"/media/{name}")
    assert coordinator_client.get(f"/media/{name}").status_code == 404
    assert coordinator_client.get(f"/static/../media/{name}").status_code == 404
    download = reverse(
        "conventions:report_attachment",
        kwargs={"pk": report.pk, "attachment_pk": ReportAttachment.objects.get().pk},
    )
    assert coordinator_client.get(download).status_code == 200  # the permission-checked way


# --- back-office --------------------------------------------------------------------------


def admin_form_data(response) -> dict:
    """The POST data of an admin change page as rendered (main form and inlines)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
            elif value is not None and not hasattr(value, "url"):  # files are not sent back
                data[field.html_name] = str(value)
    return data


def test_the_back_office_upload_goes_through_the_same_checks(client, agent, report, settings):
    agent.is_superuser = True
    agent.save()
    give_totp(agent)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(agent)
    url = reverse("admin:conventions_yearlyreport_change", args=[report.pk])

    def post_with_attachment(content):
        data = admin_form_data(client.get(url))
        data.update(
            {
                "attachments-TOTAL_FORMS": "1",
                "attachments-0-report": str(report.pk),
                "attachments-0-title": "Comptes",
                "attachments-0-file": SimpleUploadedFile("comptes.pdf", content),
            }
        )
        return client.post(url, data)

    refused = post_with_attachment(pdf_samples.open_action_javascript_pdf())
    assert refused.status_code == 200
    assert "action automatique à son ouverture" in page_text(refused)
    assert not ReportAttachment.objects.exists() and stored_files(settings) == []

    assert post_with_attachment(pdf_samples.plain_pdf()).status_code == 302
    assert ReportAttachment.objects.get().file.read() == pdf_samples.plain_pdf()

    # Saving the report again does not send the stored file back: it is not checked again.
    assert client.post(url, admin_form_data(client.get(url))).status_code == 302
    assert ReportAttachment.objects.count() == 1
