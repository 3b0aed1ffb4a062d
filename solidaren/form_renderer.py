"""The form renderer: Django's templates, except the select, written here in Python.

The filter forms of the lists offer up to a few hundred quartiers, mission types and
programmes; through the template engine each option cost a template render, and those
selects were a third of a list page's time (make bench). The HTML is the one of Django's
`django/forms/widgets/select.html` (same attributes, same escaping).
"""

from django.forms.renderers import TemplatesSetting
from django.utils.html import escape
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"


def _attributes(attrs: dict) -> str:
    """As `django/forms/widgets/attrs.html`: False left out, True as a bare name."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def render_select(widget: dict) -> str:
    parts = [f'<select name="{escape(widget["name"])}"{_attributes(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{escape(option["value"])}"'
                f"{_attributes(option['attrs'])}>{escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class PortalFormRenderer(TemplatesSetting):
    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE:
            return render_select(context["widget"])
        return super().render(template_name, context, request=request)
