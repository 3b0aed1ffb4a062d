"""Calls for volunteers: coordinators for their own associations, agents for city events.

Coordinators reach only their associations' calls (`Mission.objects.editable_by`): another
association's call is a 404, as if it did not exist.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from associations.models import Association
from solidaren.access import is_agent, role_required
from volontaires import calls
from volontaires.models import Mission
from volontaires.staff_forms import CallForm


@require_GET
@role_required("agent", "coordinator")
def call_list(request):
    return render(
        request,
        "volontaires/staff_calls.html",
        {
            "calls": calls.calls_editable_by(request.user).order_by("-date", "-pk"),
            "creates_city_events": is_agent(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required("agent", "coordinator")
def call_new(request):
    origin = calls.origin_for(request.user)
    associations = (
        None
        if is_agent(request.user)
        else Association.objects.coordinated_by(request.user).order_by("name")
    )
    form = CallForm(
        request.POST or None,
        instance=Mission(origin=origin, volunteer_calls=True),
        associations=associations,
    )
    if request.method == "POST" and form.is_valid():
        try:
            mission = calls.create_call(form.save(commit=False), by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Appel publié : les volontaires peuvent dès maintenant s'y inscrire."),
            )
            return redirect("volontaires:call", pk=mission.pk)
    return render(request, "volontaires/staff_call_form.html", {"form": form, "origin": origin})


@require_http_methods(["GET", "POST"])
@role_required("agent", "coordinator")
def call_detail(request, pk):
    mission = get_object_or_404(calls.calls_editable_by(request.user), pk=pk)
    form = CallForm(request.POST or None, instance=mission, taken=mission.accepted)
    if request.method == "POST" and form.is_valid():
        try:
            calls.update_call(form.save(commit=False))
        except ValidationError as error:  # e.g. a place taken since the form was shown
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Appel mis à jour."))
            return redirect("volontaires:call", pk=mission.pk)
    return render(
        request,
        "volontaires/staff_call_form.html",
        {
            "form": form,
            "mission": mission,
            "origin": mission.origin,
            "volunteers": calls.committed_volunteers(mission),
        },
    )
