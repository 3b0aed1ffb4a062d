"""Open data in the data·inclusion v1 schema: export of the directory and import of a file.

Export: every structure and service, with the schema's field names; no personal data (a
service's phone and e-mail only when they are an organisation's; `contact_nom_prenom` never).
Each item is validated by the `data-inclusion-schema` package's own pydantic models in the tests.

Import: a JSON array of structures and/or services (a data·inclusion export, e.g. a
département's), or several files. Every item is checked against the package's v1 models, then
against the directory's own rules (opening hours that parse...); a field unknown to v1 means a
file of another schema version. One transaction: the first error stops everything and names
the file's line and the field, in French. Idempotent: items are matched on (source, id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pydantic
from data_inclusion.schema import v1
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from associations.models import OWN_SOURCE, Service, Structure, StructureKind

SCHEMA_VERSION = "1"


def _text(value: str) -> str | None:
    return value or None


def _description(value: str) -> str | None:
    return value if len(value) >= 5 else None


def _codes(values: list[str]) -> list[str] | None:
    return sorted(values) if values else None


def structure_item(structure: Structure) -> dict:
    return {
        "source": structure.source,
        "id": structure.data_inclusion_id,
        "nom": structure.name,
        "date_maj": structure.updated_on.isoformat(),
        "description": _description(structure.description),
        "lien_source": None,
        "siret": _text(structure.siret),
        "commune": _text(structure.commune),
        "code_postal": _text(structure.postal_code),
        "code_insee": _text(structure.code_insee),
        "adresse": _text(structure.address),
        "complement_adresse": _text(structure.address_complement),
        "longitude": structure.longitude,
        "latitude": structure.latitude,
        "telephone": _text(structure.phone),
        "courriel": _text(structure.email),
        "site_web": _text(structure.website),
        "horaires_accueil": _text(structure.opening_hours),
        "accessibilite_lieu": _text(structure.accessibility_url),
        "reseaux_porteurs": None,
    }


def service_hours(service: Service) -> str | None:
    """An itinerant service's hours are its stops', added up (`,` adds to the previous rule)."""
    if service.is_itinerant:
        return ", ".join(stop.opening_hours for stop in service.stops.all()) or None
    return _text(service.opening_hours)


def service_item(service: Service) -> dict:
    public_contact = service.contact_is_organisation
    return {
        "source": service.source,
        "structure_id": service.structure.data_inclusion_id,
        "id": service.data_inclusion_id,
        "nom": service.name,
        "description": service.description,
        "lien_source": settings.SITE_URL + service.get_absolute_url(),
        "date_maj": service.updated_on.isoformat(),
        "type": _text(service.type),
        "thematiques": _codes(service.thematiques),
        "frais": _text(service.fees),
        "frais_precisions": _text(service.fees_details),
        "publics": _codes(service.publics),
        "publics_precisions": _text(service.publics_details),
        "conditions_acces": _text(service.access_conditions),
        "commune": _text(service.commune),
        "code_postal": _text(service.postal_code),
        "code_insee": _text(service.code_insee),
        "adresse": _text(service.address),
        "complement_adresse": _text(service.address_complement),
        "longitude": service.longitude,
        "latitude": service.latitude,
        "telephone": _text(service.phone) if public_contact else None,
        "courriel": _text(service.email) if public_contact else None,
        "modes_accueil": _codes(service.modes_accueil),
        "zone_eligibilite": service.eligibility_zone or None,
        "contact_nom_prenom": None,  # a person's name: never published
        "lien_mobilisation": _text(service.mobilisation_url),
        "modes_mobilisation": _codes(service.modes_mobilisation),
        "mobilisable_par": _codes(service.mobilisable_par),
        "mobilisation_precisions": _text(service.mobilisation_details),
        "volume_horaire_hebdomadaire": None,
        "nombre_semaines": None,
        "horaires_accueil": service_hours(service),
    }


def export_structures() -> list[dict]:
    return [structure_item(s) for s in Structure.objects.order_by("source", "source_id")]


def export_services() -> list[dict]:
    services = (
        Service.objects.select_related("structure")
        .prefetch_related("stops")
        .order_by("source", "source_id")
    )
    return [service_item(service) for service in services]


# --- import -------------------------------------------------------------------------------------


class DataInclusionImportError(Exception):
    """A French message naming the file, the line and the field."""


@dataclass
class Item:
    data: dict
    line: int
    file: str


@dataclass
class ImportReport:
    structures_created: int = 0
    structures_updated: int = 0
    services_created: int = 0
    services_updated: int = 0
    files: list[str] = field(default_factory=list)


def _fail(item: Item, field_name: str, message: str) -> DataInclusionImportError:
    return DataInclusionImportError(
        _("%(file)s, ligne %(line)s, champ « %(field)s » : %(message)s")
        % {"file": item.file, "line": item.line, "field": field_name, "message": message}
    )


def read_items(text: str, name: str) -> list[Item]:
    """The objects of a top-level JSON array, each with the line where it starts."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise DataInclusionImportError(
            _("%(file)s, ligne %(line)s, colonne %(column)s : JSON mal formé (%(error)s).")
            % {"file": name, "line": error.lineno, "column": error.colno, "error": error.msg}
        ) from error
    decoder = json.JSONDecoder()
    position = _skip_blanks(text, 0)
    if text[position : position + 1] != "[":
        raise DataInclusionImportError(
            _("%(file)s, ligne 1 : un tableau JSON d'éléments data·inclusion est attendu.")
            % {"file": name}
        )
    items = []
    position = _skip_blanks(text, position + 1)
    while text[position] != "]":
        value, end = decoder.raw_decode(text, position)
        line = text.count("\n", 0, position) + 1
        if not isinstance(value, dict):
            raise DataInclusionImportError(
                _("%(file)s, ligne %(line)s : un objet JSON est attendu.")
                % {"file": name, "line": line}
            )
        items.append(Item(value, line, name))
        position = _skip_blanks(text, end)
        if text[position] == ",":
            position = _skip_blanks(text, position + 1)
    return items


def _skip_blanks(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


PYDANTIC_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "enum": "valeur inconnue du schéma data·inclusion v1 : « {input} »",
    "string_too_short": "texte trop court",
    "string_too_long": "texte trop long",
    "string_pattern_mismatch": "format invalide : « {input} »",
    "string_type": "texte attendu",
    "date_from_datetime_parsing": "date invalide : « {input} » (AAAA-MM-JJ attendu)",
    "date_parsing": "date invalide : « {input} » (AAAA-MM-JJ attendu)",
    "url_parsing": "adresse web invalide : « {input} »",
    "value_error": "{msg}",
    "float_parsing": "nombre attendu",
}


def _french(error: dict) -> str:
    template = PYDANTIC_MESSAGES.get(error["type"], "valeur invalide ({msg})")
    return template.format(input=error.get("input"), msg=error["msg"].removeprefix("Value error, "))


def _validate(item: Item, model) -> pydantic.BaseModel:
    unknown = sorted(set(item.data) - set(model.model_fields))
    if unknown:
        raise _fail(
            item,
            unknown[0],
            _(
                "champ inconnu du schéma data·inclusion v%(version)s : le fichier est-il d'une "
                "autre version du schéma ?"
            )
            % {"version": SCHEMA_VERSION},
        )
    try:
        return model.model_validate(item.data)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "?"
        raise _fail(item, location, _french(first)) from error


def _source_id(source: str, identifier: str) -> str:
    return identifier.removeprefix(f"{source}--")


def _values(values) -> list[str]:
    return sorted(str(value.value if hasattr(value, "value") else value) for value in values or [])


def _check(item: Item, instance, exclude: list[str]) -> None:
    """The directory's own rules (e.g. opening hours that parse), named by the file's field."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        model_field, messages = next(iter(error.message_dict.items()))
        names = {"opening_hours": "horaires_accueil", "name": "nom", "slug": "id"}
        raise _fail(item, names.get(model_field, model_field), " ".join(messages)) from error


def _import_structure(item: Item, report: ImportReport) -> Structure:
    data = _validate(item, v1.Structure)
    source_id = _source_id(data.source, data.id)
    fields = {
        "name": data.nom,
        "description": data.description or "",
        "siret": data.siret or "",
        "address": data.adresse or "",
        "address_complement": data.complement_adresse or "",
        "postal_code": data.code_postal or "",
        "commune": data.commune or "",
        "code_insee": data.code_insee or "",
        "latitude": data.latitude,
        "longitude": data.longitude,
        "phone": data.telephone or "",
        "email": data.courriel or "",
        "website": str(data.site_web) if data.site_web else "",
        "opening_hours": data.horaires_accueil or "",
        "accessibility_url": str(data.accessibilite_lieu) if data.accessibilite_lieu else "",
        "updated_on": data.date_maj,
    }
    structure = Structure.objects.filter(source=data.source, source_id=source_id).first()
    if structure is None:
        structure = Structure(source=data.source, source_id=source_id, kind=StructureKind.OTHER)
        report.structures_created += 1
    else:
        report.structures_updated += 1
    for name, value in fields.items():
        setattr(structure, name, value)
    _check(item, structure, exclude=["association"])
    structure.save()
    return structure


def _import_service(item: Item, report: ImportReport) -> Service:
    data = _validate(item, v1.Service)
    structure_source, _sep, structure_source_id = data.structure_id.partition("--")
    if not structure_source_id:
        structure_source, structure_source_id = data.source, data.structure_id
    structure = Structure.objects.filter(
        source=structure_source, source_id=structure_source_id
    ).first()
    if structure is None:
        raise _fail(
            item,
            "structure_id",
            _("structure « %(id)s » absente du fichier et de l'annuaire.")
            % {"id": data.structure_id},
        )
    source_id = _source_id(data.source, data.id)
    service = Service.objects.filter(source=data.source, source_id=source_id).first()
    if service is None:
        slug = source_id if data.source == OWN_SOURCE else f"{data.source}-{source_id}"
        service = Service(source=data.source, source_id=source_id, slug=slugify(slug)[:120])
        report.services_created += 1
    else:
        report.services_updated += 1
    fields = {
        "structure": structure,
        "name": data.nom,
        "description": data.description,
        "type": data.type.value if data.type else "",
        "thematiques": _values(data.thematiques),
        "publics": _values(data.publics),
        "publics_details": data.publics_precisions or "",
        "fees": data.frais.value if data.frais else "",
        "fees_details": (data.frais_precisions or "")[:250],
        "access_conditions": data.conditions_acces or "",
        "modes_accueil": _values(data.modes_accueil),
        "modes_mobilisation": _values(data.modes_mobilisation),
        "mobilisable_par": _values(data.mobilisable_par),
        "mobilisation_details": data.mobilisation_precisions or "",
        "mobilisation_url": str(data.lien_mobilisation) if data.lien_mobilisation else "",
        "eligibility_zone": list(data.zone_eligibilite or []),
        "address": data.adresse or "",
        "address_complement": data.complement_adresse or "",
        "postal_code": data.code_postal or "",
        "commune": data.commune or "",
        "code_insee": data.code_insee or "",
        "latitude": data.latitude,
        "longitude": data.longitude,
        "phone": data.telephone or "",
        "email": data.courriel or "",
        "contact_is_organisation": True,
        "opening_hours": data.horaires_accueil or "",
        "is_itinerant": False,
        "updated_on": data.date_maj,
    }
    for name, value in fields.items():
        setattr(service, name, value)
    if service.slug and Service.objects.filter(slug=service.slug).exclude(pk=service.pk).exists():
        service.slug = slugify(f"{data.source}-{source_id}-{len(source_id)}")[:120]
    _check(item, service, exclude=["structure", "quartier", "languages"])
    service.save()
    return service


@transaction.atomic
def import_files(files: list[tuple[str, str]]) -> ImportReport:
    """`files`: (name, text) pairs. Structures first (services point to them)."""
    report = ImportReport(files=[name for name, _text in files])
    items = [item for name, text in files for item in read_items(text, name)]
    for item in items:
        if "structure_id" not in item.data:
            _import_structure(item, report)
    for item in items:
        if "structure_id" in item.data:
            _import_service(item, report)
    return report
