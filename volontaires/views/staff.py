"""Agents' pages: residents' requests taken by phone, the missions with their ranked candidates
and proposals, completion, volunteers' verification.

Every page is for agents (`role_required("agent")`) and reads its objects through
`visible_to`; the rules themselves live in `casework`, `matching` and `proposals`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidaren import outbox, page_cache
from solidaren.access import get_visible_or_404, role_required
from solidaren.pagination import page_by_ids
from volontaires import batch_assignment, candidates, casework, proposals
from volontaires.access_log import record_resident_access
from volontaires.filters import StaffMissionFilter
from volontaires.models import (
    COMMITTED,
    PLACE_HOLDING,
    Assignment,
    AssignmentStatus,
    BatchAssignmentRun,
    Enrolment,
    Mission,
    MissionStatus,
    Programme,
    Resident,
    ResidentAccessSource,
    VolunteerProfile,
)
from volontaires.staff_forms import (
    CompletionForm,
    RequestMissionForm,
    ResidentForm,
    VolunteerSearchForm,
)

MISSIONS_PER_PAGE = 25  # rows rendered per page; the queries do not grow with it
# The ranked-candidates page shows the best 20, then 20 more per "more" click (at most 200):
# ranking reads only the nearest plausible volunteers (volontaires/candidates.py).
CANDIDATES_PER_PAGE = 20
MAX_CANDIDATES_SHOWN = 200
EXCLUDED_SHOWN = 30


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_http_methods(["GET", "POST"])
@role_required("agent")
def request_new(request):
    resident_form = ResidentForm(request.POST or None, prefix="habitant")
    mission_form = RequestMissionForm(request.POST or None, prefix="mission")
    if request.method == "POST" and all([resident_form.is_valid(), mission_form.is_valid()]):
        try:
            mission = casework.record_request(
                resident_form.save(commit=False), mission_form.unsaved_mission(), by=request.user
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                _("Demande enregistrée : proposez maintenant la mission à un·e volontaire."),
            )
            return redirect("volontaires:staff_mission", pk=mission.pk)
    return render(
        request,
        "volontaires/staff_request_form.html",
        {"resident_form": resident_form, "mission_form": mission_form},
    )


@require_GET
@role_required("agent")
def mission_list(request):
    return page_cache.signed_in_page(
        request, "volontaires/staff_mission_list.html", lambda: _mission_list_context(request)
    )


def _mission_list_context(request) -> dict:
    data = request.GET.copy()
    data.setdefault("status", MissionStatus.OPEN)
    missions = casework.staff_missions(Mission.objects.visible_to(request.user))
    mission_filter = StaffMissionFilter(data, queryset=missions)
    page = page_by_ids(mission_filter.qs, MISSIONS_PER_PAGE, request.GET.get("page"))
    programme = mission_filter.form.cleaned_data.get("programme")
    query = data.copy()
    query.pop("page", None)
    return {
        "filter": mission_filter,
        "page": page,
        "query": query.urlencode(),
        "programme": programme,
    }


@require_POST
@role_required("agent")
def mission_batch(request):
    """Queues the assignment of every open mission still lacking volunteers (a Celery task:
    it can take minutes at a département's scale) and shows its progress page."""
    programme = None
    raw = request.POST.get("programme", "").strip()
    if raw:
        programme = Programme.objects.filter(pk=raw).first() if raw.isdigit() else None
        if programme is None:
            messages.error(request, _("Ce programme n'existe pas."))
            return redirect("volontaires:staff_missions")
    if not casework.missions_needing_volunteers(
        today=timezone.localdate(), programme=programme
    ).exists():
        messages.info(request, _("Aucune mission ouverte n'attend de volontaire."))
        return redirect("volontaires:staff_missions")
    run = batch_assignment.queue_batch(programme=programme, by=request.user)
    outbox.confirm_after_commit(
        request,
        sent=_("L'attribution groupée a commencé : suivez-la ici."),
        delayed=_("L'attribution groupée est enregistrée : elle partira dès que possible."),
    )
    return redirect(run)


def _batch_run_context(request, pk) -> dict:
    run = get_visible_or_404(
        BatchAssignmentRun.objects.select_related("programme", "created_by"), request.user, pk=pk
    )
    return {"run": run, "missions": run.result.get("missions", [])}


@require_GET
@role_required("agent")
def batch_run(request, pk):
    return render(request, "volontaires/staff_batch_run.html", _batch_run_context(request, pk))


@require_GET
@role_required("agent")
def batch_run_progress(request, pk):
    """The progress block alone, polled by htmx until the run is over."""
    return render(
        request, "volontaires/_staff_batch_progress.html", _batch_run_context(request, pk)
    )


def _missions():
    """A mission with what its page shows. The resident's record comes by a second query:
    one query joining all eleven tables took PostgreSQL 7–10 ms to plan (0.2 ms to run)."""
    return Mission.objects.select_related(
        "programme", "mission_type", "quartier", "association", "required_language", "created_by"
    ).prefetch_related(
        Prefetch(
            "resident",
            queryset=Resident.objects.select_related(
                "quartier", "language", "referring_association", "consent_recorded_by"
            ),
        )
    )


@require_GET
@role_required("agent")
def mission_detail(request, pk):
    visible = get_visible_or_404(Mission.objects.only("pk", "resident_id"), request.user, pk=pk)
    if visible.resident_id is not None:  # the page shows the resident's whole record
        record_resident_access(
            user=request.user,
            resident_id=visible.resident_id,
            source=ResidentAccessSource.STAFF_MISSION,
            path=request.path,
        )
    if request.GET.get("ecartes") and request.headers.get("HX-Request"):
        mission = _missions().get(pk=visible.pk)
        return _excluded_block(request, mission, timezone.localdate())
    return page_cache.signed_in_page(
        request,
        "volontaires/staff_mission_detail.html",
        lambda: _mission_context(request, _missions().get(pk=visible.pk)),
    )


def _mission_context(request, mission: Mission) -> dict:
    today = timezone.localdate()
    assignments = list(
        mission.assignments.select_related("volunteer__user", "proposed_by").order_by(
            "proposed_at", "pk"
        )
    )
    held = sum(assignment.status in PLACE_HOLDING for assignment in assignments)
    open_places = mission.status == MissionStatus.OPEN and mission.places > held
    shown = _shown_candidates(request)
    ranked = (
        candidates.rank_candidates(mission, today=today, limit=shown + 1) if open_places else []
    )
    solicited = proposals.solicitations_by_volunteer(
        [candidate.volunteer_id for candidate in ranked[:shown]], today=today
    )
    completion_forms = {
        assignment.pk: CompletionForm(
            prefix=f"realisee-{assignment.pk}",
            initial={
                "done_on": min(mission.date or today, today),
                "duration_minutes": mission.expected_duration_minutes,
            },
        )
        for assignment in assignments
        if assignment.status == AssignmentStatus.ACCEPTED
    }
    return {
        "mission": mission,
        "assignments": [
            (assignment, completion_forms.get(assignment.pk)) for assignment in assignments
        ],
        "candidates": [
            (candidate, solicited.get(candidate.volunteer_id, 0)) for candidate in ranked[:shown]
        ],
        "more_candidates": shown + CANDIDATES_PER_PAGE if len(ranked) > shown else None,
        "excluded": _excluded(mission, today) if request.GET.get("ecartes") else None,
        "open_places": open_places,
        "places_taken": sum(assignment.status in COMMITTED for assignment in assignments),
    }


def _shown_candidates(request) -> int:
    raw = request.GET.get("candidats", "")
    shown = int(raw) if raw.isdigit() else CANDIDATES_PER_PAGE
    return min(max(shown, CANDIDATES_PER_PAGE), MAX_CANDIDATES_SHOWN)


def _excluded(mission, today) -> dict:
    volunteers, total = candidates.excluded_volunteers(mission, today=today, limit=EXCLUDED_SHOWN)
    return {"volunteers": volunteers, "total": total}


def _excluded_block(request, mission, today):
    """The volunteers left out and why, loaded by htmx when the agent opens the block."""
    return render(
        request,
        "volontaires/_staff_excluded.html",
        {"mission": mission, "excluded": _excluded(mission, today)},
    )


@require_POST
@role_required("agent")
def mission_propose_best(request, pk):
    mission = get_visible_or_404(Mission, request.user, pk=pk)
    made = proposals.propose_best(mission, by=request.user)
    if made:
        outbox.confirm_after_commit(
            request,
            sent=ngettext(
                "Mission proposée à %(count)d volontaire, prévenu·e par e-mail.",
                "Mission proposée à %(count)d volontaires, prévenu·es par e-mail.",
                len(made),
            )
            % {"count": len(made)},
            delayed=ngettext(
                "Mission proposée à %(count)d volontaire.",
                "Mission proposée à %(count)d volontaires.",
                len(made),
            )
            % {"count": len(made)},
        )
    else:
        messages.warning(
            request,
            _(
                "Aucune proposition faite : pas de place libre, ou aucun·e volontaire disponible "
                "qui n'ait déjà été sollicité·e le nombre maximum de fois ce mois-ci."
            ),
        )
    return redirect("volontaires:staff_mission", pk=mission.pk)


@require_POST
@role_required("agent")
def mission_propose(request, pk, volunteer_pk):
    mission = get_visible_or_404(Mission, request.user, pk=pk)
    volunteer = get_visible_or_404(
        VolunteerProfile.objects.select_related("user"), request.user, pk=volunteer_pk
    )
    ranked = candidates.rank_candidates(mission, [volunteer])
    try:
        proposals.propose(
            mission, volunteer, by=request.user, score=ranked[0].score if ranked else None
        )
    except ValidationError as error:
        messages.error(
            request,
            _("Proposition impossible à %(name)s : %(reasons)s")
            % {"name": volunteer, "reasons": _error_text(error)},
        )
    else:
        outbox.confirm_after_commit(
            request,
            sent=_("Mission proposée à %(name)s, prévenu·e par e-mail.") % {"name": volunteer},
            delayed=_("Mission proposée à %(name)s.") % {"name": volunteer},
        )
    return redirect("volontaires:staff_mission", pk=mission.pk)


@require_POST
@role_required("agent")
def assignment_complete(request, pk):
    assignment = get_visible_or_404(
        Assignment.objects.select_related("volunteer__user"), request.user, pk=pk
    )
    form = CompletionForm(request.POST, prefix=f"realisee-{assignment.pk}")
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        messages.error(request, _("Mission non enregistrée : %s") % " ".join(errors))
    else:
        try:
            proposals.complete(assignment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                _("Mission enregistrée comme réalisée par %(name)s.")
                % {"name": assignment.volunteer},
            )
    return redirect("volontaires:staff_mission", pk=assignment.mission_id)


VOLUNTEERS_PER_PAGE = 30


@require_GET
@role_required("agent")
def volunteer_list(request):
    """Volunteers to verify (by default) or all of them, searched by name or e-mail; each
    links to the page where staff verify them."""
    show_all = request.GET.get("tous") == "1"
    search = VolunteerSearchForm(request.GET)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    for error in search.errors.get("q", []):
        messages.error(request, _("Recherche ignorée : %(error)s") % {"error": error})
    volunteers = casework.volunteers_for_staff(request.user, to_verify=not show_all, text=text)
    page = Paginator(volunteers, VOLUNTEERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "volontaires/staff_volunteer_list.html",
        {"page": page, "show_all": show_all, "text": text},
    )


@require_GET
@role_required("agent")
def volunteer_detail(request, pk):
    queryset = VolunteerProfile.objects.select_related(
        "user", "quartier", "verified_by"
    ).prefetch_related(
        "mission_types",
        "languages",
        "availability_slots",
        Prefetch("enrolments", queryset=Enrolment.objects.select_related("programme")),
    )
    volunteer = get_visible_or_404(queryset, request.user, pk=pk)
    assignments = volunteer.assignments.select_related(
        "mission__mission_type", "mission__programme"
    ).order_by("-proposed_at", "-pk")[:30]
    return render(
        request,
        "volontaires/staff_volunteer.html",
        {
            "volunteer": volunteer,
            "assignments": assignments,
            "solicited": proposals.solicitations_by_volunteer(
                [volunteer.pk], today=timezone.localdate()
            ).get(volunteer.pk, 0),
        },
    )


@require_POST
@role_required("agent")
def volunteer_verify(request, pk):
    volunteer = get_visible_or_404(
        VolunteerProfile.objects.select_related("user"), request.user, pk=pk
    )
    verified = request.POST.get("verifie") != "0"
    casework.verify_volunteer(volunteer, by=request.user, verified=verified)
    if verified:
        messages.success(
            request,
            _("%(name)s est vérifié·e : les missions à domicile peuvent lui être proposées.")
            % {"name": volunteer},
        )
    else:
        messages.success(
            request,
            _("Vérification retirée : %(name)s ne recevra plus de missions à domicile.")
            % {"name": volunteer},
        )
    return redirect("volontaires:staff_volunteer", pk=volunteer.pk)
