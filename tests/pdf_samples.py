"""PDF files for the upload tests, built with pypdf: a plain one and the kinds a reader could
run (scripts, automatic actions, launches, embedded files, programs hidden inside)."""

import io

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

# The first bytes of a real x86-64 ELF program (e_ident: class 64-bit, little endian, version 1).
ELF_PROGRAM = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44
# A DOS/PE header: "MZ", e_lfanew at 0x3C pointing to the "PE\0\0" signature.
PE_PROGRAM = b"MZ" + b"\x90" * 0x3A + (0x80).to_bytes(4, "little") + b"\x00" * 0x40 + b"PE\x00\x00"


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def plain_pdf() -> bytes:
    return _written(_writer())


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action")})
    action[NameObject("/S")] = NameObject(kind)
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def open_action_javascript_pdf() -> bytes:
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        _action("/JavaScript", JS=TextStringObject("app.alert('ouvert');"))
    )
    return _written(writer)


def open_action_destination_pdf() -> bytes:
    """An /OpenAction that only shows the first page: harmless, and common."""
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, NameObject("/Fit")]
    )
    return _written(writer)


def document_javascript_pdf() -> bytes:
    """A document-level script, in the catalog's /Names /JavaScript tree."""
    writer = _writer()
    script = writer._add_object(_action("/JavaScript", JS=TextStringObject("this.print();")))
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {
            NameObject("/JavaScript"): DictionaryObject(
                {NameObject("/Names"): ArrayObject([TextStringObject("imprimer"), script])}
            )
        }
    )
    return _written(writer)


def page_automatic_action_pdf() -> bytes:
    writer = _writer()
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/GoTo", D=ArrayObject([writer.pages[0].indirect_reference]))}
    )
    return _written(writer)


def launch_link_pdf() -> bytes:
    writer = _writer()
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([]),
            NameObject("/A"): _action("/Launch", F=TextStringObject("cmd.exe")),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return _written(writer)


def embedded_file_pdf(name: str = "facture.exe", content: bytes = PE_PROGRAM) -> bytes:
    writer = _writer()
    writer.add_attachment(name, content)
    return _written(writer)


def elf_after_eof_pdf() -> bytes:
    return plain_pdf() + ELF_PROGRAM


def header_then_elf() -> bytes:
    """`%PDF-` followed by a program: what the first-bytes check used to accept."""
    return b"%PDF-" + ELF_PROGRAM


def xfa_form_pdf() -> bytes:
    """A dynamic XFA form, whose XML may carry scripts."""
    writer = _writer()
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject([]),
            NameObject("/XFA"): TextStringObject(
                "<xdp:xdp><script>app.alert(1)</script></xdp:xdp>"
            ),
        }
    )
    return _written(writer)
