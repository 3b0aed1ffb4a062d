"""Template tags shared by the portal's pages."""

from django import template

register = template.Library()


@register.inclusion_tag("error_summary.html")
def error_summary(*forms):
    """The summary of a failed submit, above the form: one link per wrong field (to the field)
    and the errors about the whole form. static/js/portal.js moves the focus onto it."""
    fields, general = [], []
    for form in forms:
        if form is None or not form.is_bound or not form.errors:
            continue
        general += list(form.non_field_errors())
        for field in form:
            if field.errors:
                fields.append(
                    {"id": field.id_for_label, "label": field.label, "errors": field.errors}
                )
        for name in form.errors:
            if name != "__all__" and name not in form.fields:
                general += list(form.errors[name])
    return {"fields": fields, "general": general, "count": len(fields) + len(general)}
