"""Structures of the directory made from the registry: an association becomes a structure with
a copy of its public fields (kept in step when its fiche changes)."""

from __future__ import annotations

from django.utils import timezone

from associations.models import OWN_SOURCE, Association, Structure, StructureKind

RENNES_INSEE = {"Rennes": "35238"}


def structure_fields(association: Association) -> dict:
    return {
        "kind": StructureKind.ASSOCIATION,
        "name": association.name[:150],
        "description": association.description,
        "siret": association.siret,
        "address": association.address,
        "postal_code": association.postal_code,
        "commune": association.commune,
        "code_insee": RENNES_INSEE.get(association.commune, ""),
        "phone": association.phone,
        "email": association.email,
        "website": association.website,
    }


def structure_of(association: Association) -> Structure:
    """The association's structure, made on first use."""
    structure = Structure.objects.filter(association=association).first()
    if structure is None:
        structure, _created = Structure.objects.get_or_create(
            source=OWN_SOURCE,
            source_id=association.slug,
            defaults={
                "association": association,
                "updated_on": timezone.localdate(),
                **structure_fields(association),
            },
        )
    return structure


def sync_from_association(association: Association) -> bool:
    """After the association's fiche changed: its structure publishes the same fields."""
    structure = Structure.objects.filter(association=association).first()
    if structure is None:
        return False
    fields = structure_fields(association)
    fields.pop("code_insee")  # kept: set by hand or by the demo for communes outside the table
    fields["code_insee"] = structure.code_insee or RENNES_INSEE.get(association.commune, "")
    changed = {name: value for name, value in fields.items() if getattr(structure, name) != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(structure, name, value)
    structure.updated_on = timezone.localdate()
    structure.save(update_fields=[*changed, "updated_on"])
    return True
