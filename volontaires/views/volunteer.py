"""The volunteers' pages: profile, my space, proposals, open calls, calendar, account deletion.

Every object is read through its `visible_to(user)` queryset; what a volunteer may know of a
resident comes only from `volontaires.privacy`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidaren import page_cache
from solidaren.access import get_visible_or_404, is_agent, is_coordinator, role_required
from solidaren.links import absolute_url
from solidaren.pagination import page_by_ids
from volontaires import ical, proposals
from volontaires.access_log import record_resident_access
from volontaires.accounts import anonymise_account, can_delete_own_account
from volontaires.enrolments import change_enrolment_status
from volontaires.follow_up import request_keep_in_touch
from volontaires.forms import (
    AccountDeletionForm,
    CancelAcceptanceForm,
    CompletionForm,
    DeclineForm,
    KeepInTouchForm,
    ProfileForms,
    WithdrawForm,
)
from volontaires.models import (
    Assignment,
    AssignmentStatus,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    Mission,
    MissionStatus,
    ResidentAccessSource,
    VolunteerProfile,
)
from volontaires.privacy import contact_for_assignment, resident_details_for, visible_place
from volontaires.self_service import OpenCallFilter, open_calls, reasons_for_page

# 20 cards a page: rendering, not the queries, is what a page of open missions costs.
CALLS_PER_PAGE = 20
LAST_PLACE_TAKEN = gettext_lazy(
    "Désolé, la dernière place de cette mission vient d'être prise. Merci pour votre "
    "disponibilité !"
)


def _own_profile(user) -> VolunteerProfile:
    return get_visible_or_404(VolunteerProfile, user, user=user)


def _error_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Profile -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """Sign-up as a volunteer (after the allauth account), then the same page to edit."""
    if is_agent(request.user):
        raise PermissionDenied  # agents run the programme; they are not matched with missions
    forms = ProfileForms(request.user, request.POST or None)
    if request.method == "POST":
        if forms.is_valid():
            forms.save()
            if forms.is_new:
                messages.success(
                    request,
                    _("Bienvenue parmi les volontaires ! Votre inscription est enregistrée."),
                )
            else:
                messages.success(request, _("Votre profil est enregistré."))
            return redirect("volontaires:my_space")
        messages.error(
            request, _("Rien n'a été enregistré : corrigez les erreurs signalées ci-dessous.")
        )
    return render(request, "volontaires/volunteer_profile.html", {"forms": forms})


# --- My space ------------------------------------------------------------------------------


def _my_assignments(profile: VolunteerProfile) -> dict[str, list[Assignment]]:
    """The volunteer's proposals and missions, by status, each with what they may know."""
    now = timezone.now()
    today = timezone.localdate(now)
    assignments = (
        Assignment.objects.visible_to(profile.user)
        .filter(
            volunteer=profile,
            status__in=[
                AssignmentStatus.PROPOSED,
                AssignmentStatus.ACCEPTED,
                AssignmentStatus.DONE,
            ],
        )
        .select_related(
            "mission__mission_type", "mission__quartier", "mission__resident", "keep_in_touch"
        )
        .order_by("mission__date", "mission__start_time", "pk")
    )
    grouped: dict[str, list[Assignment]] = {"proposed": [], "accepted": [], "done": []}
    for assignment in assignments:
        assignment.contact = contact_for_assignment(assignment, today=today)
        assignment.place = visible_place(assignment.mission, assignment.contact)
        assignment.deadline = assignment.proposed_at + proposals.proposal_lifetime()
        assignment.to_declare = assignment.mission.date is not None and (
            assignment.mission.date <= today
        )
        key = {
            AssignmentStatus.PROPOSED: "proposed",
            AssignmentStatus.ACCEPTED: "accepted",
            AssignmentStatus.DONE: "done",
        }[assignment.status]
        grouped[key].append(assignment)
    grouped["done"].reverse()  # most recent first
    return grouped


@login_required
@require_GET
def my_space(request):
    profile = VolunteerProfile.objects.visible_to(request.user).filter(user=request.user).first()
    if profile is None:
        if is_agent(request.user) or is_coordinator(request.user):
            raise PermissionDenied  # other roles; only new accounts are invited to sign up
        messages.info(
            request,
            _("Complétez votre profil de volontaire pour recevoir et choisir des missions."),
        )
        return redirect("volontaires:profile")
    profile.user = request.user  # the same person, already loaded: not read again

    def context() -> dict:
        enrolments = (
            Enrolment.objects.visible_to(request.user)
            .filter(volunteer=profile)
            .select_related("programme")
            .prefetch_related(
                Prefetch("changes", queryset=EnrolmentStatusChange.objects.order_by("-changed_at"))
            )
        )
        feed_path = ical.feed_path(profile)
        return {
            "profile": profile,
            "enrolments": enrolments,
            "assignments": _my_assignments(profile),
            "decline_form": DeclineForm(),
            "withdraw_form": WithdrawForm(),
            "feed_url": absolute_url(feed_path) if feed_path else None,
            "statuses": EnrolmentStatus,
        }

    return page_cache.signed_in_page(request, "volontaires/my_space.html", context)


# --- Enrolments: pause, resume, withdraw ---------------------------------------------------


def _change_own_enrolment(request, pk: int, status: str, note: str = ""):
    enrolment = get_visible_or_404(Enrolment, request.user, pk=pk, volunteer__user=request.user)
    change_enrolment_status(enrolment, status, by=request.user, note=note)
    return enrolment


@role_required("volunteer")
@require_POST
def enrolment_pause(request, pk):
    enrolment = _change_own_enrolment(request, pk, EnrolmentStatus.PAUSED)
    messages.success(
        request,
        _(
            "Votre engagement dans « %(programme)s » est en pause : aucune mission ne vous sera "
            "proposée d'ici votre reprise. Les missions déjà acceptées restent prévues."
        )
        % {"programme": enrolment.programme},
    )
    return redirect("volontaires:my_space")


@role_required("volunteer")
@require_POST
def enrolment_resume(request, pk):
    enrolment = _change_own_enrolment(request, pk, EnrolmentStatus.ACTIVE)
    messages.success(
        request,
        _("Content·e de vous retrouver : vous êtes de nouveau actif·ve dans « %(programme)s ».")
        % {"programme": enrolment.programme},
    )
    return redirect("volontaires:my_space")


@role_required("volunteer")
@require_POST
def enrolment_withdraw(request, pk):
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Le motif est trop long (500 caractères au plus)."))
        return redirect("volontaires:my_space")
    enrolment = _change_own_enrolment(
        request, pk, EnrolmentStatus.WITHDRAWN, note=form.cleaned_data["reason"]
    )
    messages.success(
        request,
        _(
            "Votre désistement de « %(programme)s » est enregistré. Merci pour votre engagement ! "
            "Si vous aviez accepté des missions, prévenez l'équipe."
        )
        % {"programme": enrolment.programme},
    )
    return redirect("volontaires:my_space")


# --- Proposals: accept, decline, complete, keep in touch -----------------------------------


def _own_assignment(request, pk: int) -> Assignment:
    return get_visible_or_404(
        Assignment.objects.select_related("mission"),
        request.user,
        pk=pk,
        volunteer__user=request.user,
    )


@role_required("volunteer")
@require_POST
def proposal_accept(request, pk):
    assignment = _own_assignment(request, pk)
    try:
        proposals.accept(assignment, user=request.user)
    except ValidationError as error:
        _error_messages(request, error)
        return redirect("volontaires:my_space")
    messages.success(
        request,
        _("Merci ! La mission « %(title)s » est acceptée.") % {"title": assignment.mission},
    )
    return redirect("volontaires:mission_detail", pk=assignment.mission_id)


@role_required("volunteer")
@require_POST
def proposal_decline(request, pk):
    assignment = _own_assignment(request, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Le motif est trop long (500 caractères au plus)."))
        return redirect("volontaires:my_space")
    try:
        proposals.decline(assignment, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(
            request,
            _("Proposition déclinée : elle sera faite à une autre personne. Merci !"),
        )
    return redirect("volontaires:my_space")


@role_required("volunteer")
@require_POST
def assignment_complete(request, pk):
    assignment = _own_assignment(request, pk)
    form = CompletionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("La mission n'est pas déclarée réalisée : corrigez le formulaire.")
        )
        return _render_mission(request, assignment.mission_id, completion_form=form)
    try:
        proposals.complete(assignment, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        # Shown on the form itself, with what the volunteer typed kept.
        form.add_error(None, error)
        return _render_mission(request, assignment.mission_id, completion_form=form)
    messages.success(request, _("Mission déclarée réalisée : merci pour votre aide !"))
    return redirect("volontaires:mission_detail", pk=assignment.mission_id)


@role_required("volunteer")
@require_POST
def assignment_cancel(request, pk):
    assignment = _own_assignment(request, pk)
    form = CancelAcceptanceForm(request.POST)
    if form.is_valid():
        try:
            proposals.cancel_acceptance(
                assignment, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        return _render_mission(request, assignment.mission_id, cancel_form=form)
    messages.success(
        request,
        _(
            "Votre participation à « %(title)s » est annulée et l'équipe est prévenue. "
            "Merci de l'avoir signalé !"
        )
        % {"title": assignment.mission},
    )
    return redirect("volontaires:my_space")


@role_required("volunteer")
@require_POST
def keep_in_touch(request, pk):
    assignment = _own_assignment(request, pk)
    form = KeepInTouchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez une association de la liste."))
        return redirect("volontaires:mission_detail", pk=assignment.mission_id)
    try:
        request_keep_in_touch(
            assignment, user=request.user, association=form.cleaned_data["association"]
        )
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(
            request,
            _(
                "Demande transmise : les agents du réseau vont proposer à une association de "
                "garder le lien avec la personne aidée."
            ),
        )
    return redirect("volontaires:mission_detail", pk=assignment.mission_id)


# --- Missions: open calls, detail, apply ---------------------------------------------------


@login_required
@require_GET
def mission_list(request):
    """Self-service: open association and city calls, with filters."""

    def context() -> dict:
        calls = open_calls(request.user, today=timezone.localdate())
        calls = OpenCallFilter(request.GET, queryset=calls)
        page = page_by_ids(calls.qs, CALLS_PER_PAGE, request.GET.get("page"))
        reasons = reasons_for_page(page.object_list, request.user, today=timezone.localdate())
        for mission in page.object_list:
            mission.your_reasons = reasons.get(mission.pk, [])
        query = request.GET.copy()
        query.pop("page", None)
        return {"filter": calls, "page": page, "query": query.urlencode()}

    return page_cache.signed_in_page(request, "volontaires/mission_list.html", context)


def _render_mission(request, pk: int, *, completion_form=None, cancel_form=None):
    mission = get_visible_or_404(
        Mission.objects.select_related("mission_type", "quartier", "association", "programme"),
        request.user,
        pk=pk,
    )
    assignment = (
        Assignment.objects.visible_to(request.user)
        .filter(mission=mission, volunteer__user=request.user)
        .select_related("keep_in_touch")
        .first()
    )
    contact = resident_details_for(request.user, mission)
    if contact is not None and is_agent(request.user):
        record_resident_access(
            user=request.user,
            resident_id=mission.resident_id,
            source=ResidentAccessSource.VOLUNTEER_MISSION,
            path=request.path,
        )
    is_call = mission.volunteer_calls and mission.resident_id is None
    today = timezone.localdate()
    context = {
        "mission": mission,
        "assignment": assignment,
        "contact": contact,
        "place": visible_place(mission, contact),
        "is_call": is_call,
        "places_left": proposals.places_left(mission) if is_call else None,
        "decline_form": DeclineForm(),
        "completion_form": completion_form
        or CompletionForm(initial={"done_on": mission.date or today}),
        "keep_in_touch_form": KeepInTouchForm(),
        "cancel_form": cancel_form or CancelAcceptanceForm(),
        "can_mark_done": proposals.can_mark_done(mission, today),
        "can_cancel": proposals.can_cancel_acceptance(mission, today),
        "deadline": assignment.proposed_at + proposals.proposal_lifetime() if assignment else None,
    }
    return render(request, "volontaires/mission_detail.html", context)


@login_required
@require_GET
def mission_detail(request, pk):
    return _render_mission(request, pk)


def _call_filled_meanwhile(user, pk: int) -> bool:
    """A call seen open in the list may be full when the volunteer clicks: it is no longer
    visible to them, but they get the "last place" message rather than a 404. Calls have no
    resident; nothing else is told about them."""
    if Mission.objects.visible_to(user).filter(pk=pk).exists():
        return False
    return Mission.objects.filter(
        pk=pk, volunteer_calls=True, resident__isnull=True, status=MissionStatus.FULL
    ).exists()


@role_required("volunteer")
@require_POST
def mission_apply(request, pk):
    back = _safe_next(request, reverse("volontaires:mission_list"))
    if _call_filled_meanwhile(request.user, pk):
        messages.error(request, LAST_PLACE_TAKEN)
        return redirect(back)
    mission = get_visible_or_404(Mission, request.user, pk=pk)
    try:
        proposals.apply(mission, _own_profile(request.user))
    except ValidationError as error:
        _error_messages(request, error)
        return redirect(back)
    messages.success(
        request,
        _("Merci ! Vous êtes inscrit·e sur « %(title)s ».") % {"title": mission.title},
    )
    return redirect("volontaires:mission_detail", pk=mission.pk)


# --- Calendar ------------------------------------------------------------------------------


@never_cache
@require_GET
def calendar_feed(request, token):
    """The private feed: the token is the only key (calendar applications have no session)."""
    profile = get_object_or_404(VolunteerProfile, ical_token=token, user__is_active=True)
    response = HttpResponse(ical.calendar_for(profile), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="missions-volontaire.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@role_required("volunteer")
@require_POST
def calendar_token(request):
    """Creates the feed's secret address, or replaces it (the old one stops working)."""
    profile = _own_profile(request.user)
    had_one = bool(profile.ical_token)
    ical.regenerate_token(profile)
    if had_one:
        messages.success(
            request,
            _("Nouvelle adresse : l'ancienne ne fonctionne plus : mettez à jour votre agenda."),
        )
    else:
        messages.success(request, _("Votre adresse d'agenda est prête : copiez-la ci-dessous."))
    return redirect(reverse("volontaires:my_space") + "#agenda")


# --- Account deletion ----------------------------------------------------------------------


@role_required("volunteer")
@require_http_methods(["GET", "POST"])
def account_delete(request):
    deletable = can_delete_own_account(request.user)
    form = AccountDeletionForm(request.POST or None, user=request.user)
    if request.method == "POST" and deletable and form.is_valid():
        anonymise_account(request.user)
        logout(request)
        messages.success(
            request,
            _(
                "Votre compte est supprimé et vos données personnelles effacées. Les missions "
                "réalisées restent comptées, sans votre nom. Merci pour votre engagement !"
            ),
        )
        return redirect("home")
    return render(
        request,
        "volontaires/volunteer_account_delete.html",
        {"form": form, "deletable": deletable},
    )
