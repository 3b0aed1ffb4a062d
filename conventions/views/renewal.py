"""Staff renew conventions: one ("Renouveler" on its page), or all those ending within a period
(one form, one confirmation). The work is done by conventions/renewal.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from conventions import renewal
from conventions.forms import BulkRenewForm, RenewForm
from conventions.models import Convention
from solidaren.access import get_visible_or_404, role_required


@role_required("agent")
def convention_renew(request, pk):
    convention = get_visible_or_404(
        Convention.objects.select_related("association"), request.user, pk=pk
    )
    form = RenewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            successor = renewal.renew(
                convention, indexation_percent=form.cleaned_data["indexation_percent"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(convention)
        messages.success(
            request,
            _("Convention %(reference)s créée en brouillon : relisez-la avant de la signer.")
            % {"reference": successor.reference},
        )
        return redirect(successor)
    start, end = renewal.successor_period(convention)
    return render(
        request,
        "conventions/renew_confirm.html",
        {
            "convention": convention,
            "form": form,
            "refusal": renewal.renewal_refusal(convention),
            "start": start,
            "end": end,
        },
    )


@role_required("agent")
def renew_bulk(request):
    start, end = renewal.default_period(timezone.localdate())
    # Opened without parameters: the usual window (the next 12 months), ready to confirm.
    default = {"ending_from": start, "ending_until": end, "indexation_percent": "0"}
    form = BulkRenewForm(request.POST if request.method == "POST" else request.GET or default)
    conventions = []
    if form.is_valid():
        conventions = list(
            renewal.conventions_ending_between(
                form.cleaned_data["ending_from"], form.cleaned_data["ending_until"]
            )
        )
        if request.method == "POST" and form.cleaned_data["confirm"]:
            result = renewal.renew_many(
                conventions, indexation_percent=form.cleaned_data["indexation_percent"]
            )
            if result.created:
                count = len(result.created)
                messages.success(
                    request,
                    ngettext(
                        "%(count)d convention renouvelée en brouillon.",
                        "%(count)d conventions renouvelées en brouillon.",
                        count,
                    )
                    % {"count": count},
                )
            for _convention, message in result.refused:
                messages.warning(request, message)
            return redirect("conventions:dashboard")
    rows = [(convention, renewal.renewal_refusal(convention)) for convention in conventions]
    return render(
        request,
        "conventions/renew_bulk.html",
        {
            "form": form,
            "rows": rows,
            "renewable_count": sum(1 for _convention, refusal in rows if refusal is None),
        },
    )
