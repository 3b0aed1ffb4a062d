"""The training path (parcours citoyen): volunteers register for sessions, agents record who
attended. The rules (capacity with the session row locked, dates) are in `training.py`."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidaren.access import get_visible_or_404, role_required
from volontaires import training
from volontaires.models import TrainingRegistration, TrainingSession, VolunteerProfile
from volontaires.staff_forms import AttendanceForm


def _own_profile(request) -> VolunteerProfile:
    return get_visible_or_404(VolunteerProfile, request.user, user=request.user)


@require_GET
@role_required("volunteer")
def session_list(request):
    volunteer = _own_profile(request)
    now = timezone.now()
    registrations = TrainingRegistration.objects.filter(volunteer=volunteer).select_related(
        "session"
    )
    registered = {registration.session_id for registration in registrations}
    return render(
        request,
        "volontaires/training_sessions.html",
        {
            "sessions": training.upcoming_sessions_for(volunteer, now=now),
            "registered": registered,
            "past": [r for r in registrations if r.session.starts_at <= now],
        },
    )


def _session_for_volunteer(request, pk) -> tuple[TrainingSession, VolunteerProfile]:
    volunteer = _own_profile(request)
    return get_object_or_404(TrainingSession, pk=pk), volunteer


@require_POST
@role_required("volunteer")
def session_register(request, pk):
    session, volunteer = _session_for_volunteer(request, pk)
    try:
        training.register(session, volunteer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Vous êtes inscrit·e à « %(session)s » le %(date)s.")
            % {
                "session": session,
                "date": timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M"),
            },
        )
    return redirect("volontaires:training")


@require_POST
@role_required("volunteer")
def session_unregister(request, pk):
    session, volunteer = _session_for_volunteer(request, pk)
    try:
        training.unregister(session, volunteer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Votre inscription à « %(session)s » est annulée.") % {"session": session}
        )
    return redirect("volontaires:training")


@require_GET
@role_required("agent")
def staff_session_list(request):
    return render(
        request,
        "volontaires/staff_training_list.html",
        {"sessions": training.sessions_with_counts().order_by("-starts_at"), "now": timezone.now()},
    )


@require_http_methods(["GET", "POST"])
@role_required("agent")
def staff_session(request, pk):
    registrations = TrainingRegistration.objects.select_related("volunteer__user").order_by(
        "volunteer__user__last_name", "volunteer__user__first_name", "pk"
    )
    session = get_object_or_404(
        TrainingSession.objects.select_related("programme").prefetch_related(
            Prefetch("registrations", queryset=registrations)
        ),
        pk=pk,
    )
    form = AttendanceForm(request.POST or None, registrations=session.registrations.all())
    if request.method == "POST" and form.is_valid():
        try:
            changed = training.record_attendance(session, form.attendance())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Présences enregistrées (%(count)d changement(s)).") % {"count": changed}
            )
            return redirect("volontaires:staff_training_session", pk=session.pk)
    return render(
        request,
        "volontaires/staff_training_session.html",
        {"session": session, "form": form, "started": session.starts_at <= timezone.now()},
    )
