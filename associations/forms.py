from django import forms

from associations.models import Association


class AssociationProfileForm(forms.ModelForm):
    """What a coordinator may change on their association's public page."""

    class Meta:
        model = Association
        fields = [
            "description",
            "publics",
            "address",
            "postal_code",
            "commune",
            "email",
            "phone",
            "website",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "publics": forms.Textarea(attrs={"rows": 3}),
        }
