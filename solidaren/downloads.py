"""Private files (generated documents, attachments) are downloaded through views that first
check who may see them; the media folder is never served publicly."""

from pathlib import PurePath

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def private_file_response(
    stored: FieldFile,
    *,
    missing_message: str,
    content_type: str = "application/pdf",
    filename: str | None = None,
) -> FileResponse:
    """The stored file as an attachment (named `filename`, else as stored), or a 404 with
    `missing_message` if it is gone."""
    try:
        handle = stored.open("rb")
    except OSError:
        raise Http404(missing_message) from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename or PurePath(stored.name).name,
        content_type=content_type,
    )
