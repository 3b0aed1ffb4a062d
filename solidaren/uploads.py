"""Uploaded files: their size capped while they stream in, PDFs checked from their content.

Two guards hold the size (UPLOAD_MAX_MB): `solidaren.middleware.UploadSizeLimitMiddleware`
refuses a request whose declared length is too large before anything reads its body, and
`UploadLimitHandler`, the first upload handler, stops a body that turns out bigger while it
streams in. Both answer the same French 413 page.

`validate_pdf` is what every PDF upload goes through (yearly report attachments, signed
conventions to come): the file must be a PDF by its content, parse with pypdf, and carry
nothing a reader could run — JavaScript, automatic or launch actions, embedded files — nor
hide an executable (a "polyglot" file that is also a program).
"""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
PDF_HEADER = b"%PDF-"
PDF_END = b"%%EOF"
# Whatever a PDF may still hold after its last %%EOF: line ends, spaces, NUL padding.
_TRAILING_PADDING = b" \t\r\n\f\x00"
# Objects inspected at most: far above real documents, it bounds the time a crafted file costs.
MAX_PDF_OBJECTS = 200_000

_REFUSED_AFTER = "_solidaren_upload_too_large"


# --- size -------------------------------------------------------------------------------------


def upload_max_bytes() -> int:
    """The largest file accepted in one request."""
    return settings.UPLOAD_MAX_MB * MEGABYTE


def request_max_bytes() -> int:
    """The largest request body: the file plus room for the form's other fields."""
    return upload_max_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads no body either when the length is not a number


class UploadTooLarge(MultiPartParserError):
    """The streamed files passed the limit: Django stops parsing and the request fails."""


class UploadLimitHandler(FileUploadHandler):
    """Counts the file bytes as they arrive and stops the request as soon as they pass the
    limit, so an oversized upload is neither read to its end nor spooled to disk. Listed
    first in FILE_UPLOAD_HANDLERS so that it sees each chunk before the storing handlers."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.limit = upload_max_bytes()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                setattr(self.request, _REFUSED_AFTER, True)
            raise UploadTooLarge(f"Upload larger than {self.limit} bytes.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers store the file


def upload_was_cut(request: HttpRequest) -> bool:
    """Whether `UploadLimitHandler` stopped this request's body."""
    return getattr(request, _REFUSED_AFTER, False)


def too_large_response(request: HttpRequest) -> HttpResponse:
    return render(request, "413.html", {"max_mb": settings.UPLOAD_MAX_MB}, status=413)


# --- PDF content ------------------------------------------------------------------------------


def _refusal(code: str) -> ValidationError:
    messages = {
        "extension": _(
            "Seuls les fichiers PDF sont acceptés : le nom du fichier doit finir par .pdf."
        ),
        "content": _("Ce fichier n'est pas un vrai PDF : son contenu n'est pas au format PDF."),
        "unreadable": _(
            "Ce PDF est illisible ou endommagé : enregistrez-le à nouveau depuis le logiciel qui "
            "l'a produit, puis réessayez."
        ),
        "encrypted": _(
            "Ce PDF est protégé par un mot de passe ou chiffré : envoyez une version sans "
            "protection."
        ),
        "executable": _(
            "Ce fichier contient un programme exécutable : il est refusé pour la sécurité des "
            "lecteurs."
        ),
        "trailing_data": _(
            "Ce fichier contient des données après la fin du PDF (un fichier caché à "
            "l'intérieur) : enregistrez-le à nouveau au format PDF."
        ),
        "open_action": _(
            "Ce PDF lance une action automatique à son ouverture (script ou programme) : "
            "enregistrez-le à nouveau avec « Imprimer » puis « Enregistrer au format PDF »."
        ),
        "javascript": _(
            "Ce PDF contient du JavaScript, refusé pour la sécurité des lecteurs : "
            "enregistrez-le à nouveau avec « Imprimer » puis « Enregistrer au format PDF »."
        ),
        "automatic_action": _(
            "Ce PDF contient des actions automatiques (déclenchées à l'ouverture d'une page ou "
            "d'un champ) : enregistrez-le à nouveau avec « Imprimer » puis « Enregistrer au "
            "format PDF »."
        ),
        "launch": _(
            "Ce PDF contient une action qui lance un programme ou ouvre un fichier : il est "
            "refusé pour la sécurité des lecteurs."
        ),
        "embedded_file": _(
            "Ce PDF contient des fichiers intégrés (pièces jointes à l'intérieur du PDF) : "
            "envoyez chaque document comme un PDF séparé."
        ),
        "xfa": _(
            "Ce PDF est un formulaire dynamique (XFA), qui peut exécuter des scripts : "
            "enregistrez-le à nouveau avec « Imprimer » puis « Enregistrer au format PDF »."
        ),
        "too_complex": _(
            "Ce PDF est trop complexe pour être vérifié : enregistrez-le à nouveau en PDF "
            "simple (par exemple avec « Imprimer » puis « Enregistrer au format PDF »)."
        ),
    }
    return ValidationError(messages[code], code=code)


def _has_executable_at(data: bytes, offset: int) -> bool:
    """An ELF, PE (Windows), Mach-O or script program starting at `offset`."""
    head = data[offset : offset + 8]
    if head.startswith(b"\x7fELF"):
        return True
    if head.startswith((b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe")):
        return True
    if head.startswith((b"\xcf\xfa\xed\xfe", b"#!")):
        return True
    if head.startswith(b"MZ"):
        pe_offset = int.from_bytes(data[offset + 0x3C : offset + 0x40], "little")
        return data[offset + pe_offset : offset + pe_offset + 4] == b"PE\x00\x00"
    return False


def _embedded_executable(data: bytes) -> bool:
    """An ELF or PE program anywhere in the raw bytes, checked by its full header (the 2-4 bytes
    of a magic number alone appear by chance in compressed streams)."""
    position = data.find(b"\x7fELF")
    while position != -1:
        ident = data[position + 4 : position + 7]
        if len(ident) == 3 and ident[0] in (1, 2) and ident[1] in (1, 2) and ident[2] == 1:
            return True
        position = data.find(b"\x7fELF", position + 1)
    position = data.find(b"MZ")
    while position != -1:
        pe_offset = int.from_bytes(data[position + 0x3C : position + 0x40], "little")
        start = position + pe_offset
        if 0x40 <= pe_offset < 0x1000 and data[start : start + 4] == b"PE\x00\x00":
            return True
        position = data.find(b"MZ", position + 1)
    return False


def _check_bytes(data: bytes) -> None:
    if not data.startswith(PDF_HEADER):
        raise _refusal("content")
    # A program right behind the header ("%PDF-" then an executable), hidden after the end
    # of the PDF, or whole anywhere in the file.
    line_end = min((i for i in (data.find(b"\n"), data.find(b"\r")) if i != -1), default=-1)
    if _has_executable_at(data, len(PDF_HEADER)) or (
        line_end != -1 and _has_executable_at(data, line_end + 1)
    ):
        raise _refusal("executable")
    end = data.rfind(PDF_END)
    if end == -1:
        raise _refusal("unreadable")
    trailing = data[end + len(PDF_END) :].lstrip(_TRAILING_PADDING)
    if trailing.rstrip(_TRAILING_PADDING):
        if _has_executable_at(trailing, 0) or _embedded_executable(trailing):
            raise _refusal("executable")
        raise _refusal("trailing_data")
    if _embedded_executable(data):
        raise _refusal("executable")


def _resolved(dictionary: dict, key: str):
    """The value under `key`, following an indirect reference (pypdf's `[]` does)."""
    value = dict.get(dictionary, key)
    return value.get_object() if value is not None else None


def _dictionary_refusal(dictionary: dict) -> str | None:
    """What a PDF dictionary holds that a reader could run, if anything."""
    action = _resolved(dictionary, "/S")
    if "/JS" in dictionary or "/JavaScript" in dictionary or action == "/JavaScript":
        return "javascript"
    if action == "/Launch" or "/Launch" in dictionary:
        return "launch"
    if "/AA" in dictionary:
        return "automatic_action"
    if (
        "/EmbeddedFiles" in dictionary
        or "/EF" in dictionary
        or _resolved(dictionary, "/Type") == "/EmbeddedFile"
        or _resolved(dictionary, "/Subtype") == "/FileAttachment"
        or action == "/GoToE"
    ):
        return "embedded_file"
    if "/XFA" in dictionary:
        return "xfa"
    return None


def _objects(root):
    """Every object reachable from `root`, each indirect object once (a PDF's references form
    cycles: a page's /Parent); stops with a refusal past MAX_PDF_OBJECTS."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise _refusal("too_complex")
        if isinstance(item, DictionaryObject):
            yield item
            stack.extend(dict.values(item))
        elif isinstance(item, ArrayObject):
            stack.extend(list.__iter__(item))


def _open_action_runs_code(catalog: dict) -> bool:
    """Whether the action run when the document opens (or one chained to it by /Next) is a
    script or a launch. An /OpenAction that is a destination (show page 1) is harmless and
    common; any other active content is found by the walk over all objects anyway."""
    from pypdf.generic import ArrayObject, DictionaryObject

    pending = [_resolved(catalog, "/OpenAction")]
    for _step in range(1000):  # chained actions, bounded
        if not pending:
            break
        action = pending.pop()
        if not isinstance(action, DictionaryObject):
            continue
        if _resolved(action, "/S") in ("/JavaScript", "/Launch") or "/JS" in action:
            return True
        following = _resolved(action, "/Next")
        if isinstance(following, ArrayObject):
            pending.extend(item.get_object() for item in following)
        elif following is not None:
            pending.append(following)
    return False


def _check_structure(data: bytes) -> None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refusal("encrypted")
        catalog = reader.trailer["/Root"].get_object()
        if len(reader.pages) == 0:
            raise _refusal("unreadable")
        if _open_action_runs_code(catalog):
            raise _refusal("open_action")
        for dictionary in _objects(reader.trailer):
            code = _dictionary_refusal(dictionary)
            if code:
                raise _refusal(code)
    except ValidationError:
        raise
    except Exception as error:  # pypdf raises many kinds on crafted input: all mean unreadable
        logger.info("Refused an unreadable PDF upload: %r", error)
        raise _refusal("unreadable") from error


def validate_pdf(upload: UploadedFile, *, max_bytes: int | None = None) -> None:
    """Raises a French `ValidationError` unless `upload` is a plain PDF (see the module)."""
    if not (upload.name or "").lower().endswith(".pdf"):
        raise _refusal("extension")
    limit = upload_max_bytes() if max_bytes is None else max_bytes
    if upload.size > limit:
        raise ValidationError(
            _("Ce fichier pèse %(size)s : la taille maximale est de %(max)s Mo.")
            % {"size": filesizeformat(upload.size), "max": limit // MEGABYTE},
            code="size",
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    _check_bytes(data)
    _check_structure(data)
