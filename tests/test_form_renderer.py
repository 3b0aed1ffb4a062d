"""The select written in Python (solidaren/form_renderer.py) gives the HTML of Django's
template: same options, attributes, groups and escaping."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from solidaren.form_renderer import PortalFormRenderer


class Choices(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Tous"), ("a&b", "A & B <1>"), ("c", 'C "quoted"')])
    grouped = forms.ChoiceField(
        choices=[("Rennes", [("centre", "Centre"), ("sud", "Sud-Gare")]), ("autre", "Autre")]
    )
    several = forms.MultipleChoiceField(choices=[("1", "Un"), ("2", "Deux"), ("3", "Trois")])
    shaped = forms.ChoiceField(
        choices=[("x", "X"), ("y", "Y")],
        widget=forms.Select(attrs={"class": "wide", "disabled": True, "data-hint": "l'aide"}),
    )


def normalized(html: str) -> str:
    return re.sub(r"\s+", " ", html).replace("> <", "><").strip()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "a&b", "grouped": "sud", "several": ["1", "3"], "shaped": "y"},
        {"plain": "nope", "grouped": "autre"},
    ],
)
def test_each_select_is_the_html_of_djangos_template(data):
    for name in Choices.base_fields:
        reference = Choices(data, renderer=DjangoTemplates())[name].as_widget()
        ours = Choices(data, renderer=PortalFormRenderer())[name].as_widget()

        assert normalized(ours) == normalized(reference)
        assert "<option" in ours


def test_the_values_are_escaped():
    html = Choices({"plain": "a&b"}, renderer=PortalFormRenderer())["plain"].as_widget()

    assert 'value="a&amp;b" selected' in html
    assert "A &amp; B &lt;1&gt;" in html and "C &quot;quoted&quot;" in html
