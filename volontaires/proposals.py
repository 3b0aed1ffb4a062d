"""Proposals of missions to volunteers: propose, accept, decline, apply, expire, complete.

Every change of a mission's places happens with the mission's row locked
(`select_for_update`), so that two volunteers taking the last place at the same moment cannot
both get it: one succeeds, the other gets a clear message. Notifications are sent by Celery
tasks recorded in the task outbox with the proposal and sent once the transaction commits.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from volontaires import candidates, matching
from volontaires.models import (
    COMMITTED,
    PLACE_HOLDING,
    Assignment,
    AssignmentSource,
    AssignmentStatus,
    Mission,
    MissionStatus,
    VolunteerProfile,
)

SOLICITING_SOURCES = candidates.SOLICITING_SOURCES
solicitations_by_volunteer = candidates.solicitations_by_volunteer


def proposal_lifetime() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.VOLUNTEER_PROPOSAL_HOURS)


def _locked_mission(mission_id: int) -> Mission:
    return Mission.objects.select_for_update().get(pk=mission_id)


def places_taken(mission: Mission) -> int:
    """Accepted or done volunteers (proposals do not count here)."""
    return mission.assignments.filter(status__in=COMMITTED).count()


def places_left(mission: Mission) -> int:
    """Places not held by an accepted volunteer nor by a pending proposal."""
    return max(0, mission.places - mission.assignments.filter(status__in=PLACE_HOLDING).count())


def solicitations_this_month(volunteer: VolunteerProfile, today: datetime.date) -> int:
    """Proposals made to the volunteer by staff or by the batch this calendar month."""
    return solicitations_by_volunteer([volunteer.pk], today=today).get(volunteer.pk, 0)


PROPOSAL_MAIL_DELAYED = gettext_lazy(
    "Le service d'envoi est momentanément indisponible : l'e-mail de proposition partira dès son "
    "rétablissement."
)


def _notify_proposal(assignment_id: int) -> None:
    """Records the proposal e-mail in the outbox, in the proposal's transaction."""
    from solidaren import outbox
    from volontaires.tasks import notify_proposal

    outbox.enqueue(
        notify_proposal,
        args=[assignment_id],
        dedupe_key=f"volontaires.notify_proposal:{assignment_id}",
        delayed_notice=PROPOSAL_MAIL_DELAYED,
    )


@transaction.atomic
def propose(
    mission: Mission,
    volunteer: VolunteerProfile,
    *,
    by=None,
    source: str = AssignmentSource.STAFF,
    score: int | None = None,
) -> Assignment:
    """Asks one volunteer; refuses with the French reasons when the rules say no."""
    mission = _locked_mission(mission.pk)
    now = timezone.now()
    if mission.status != MissionStatus.OPEN or places_left(mission) == 0:
        raise ValidationError(_("Toutes les places de cette mission sont déjà pourvues."))
    reasons = candidates.eligibility(mission, volunteer, today=timezone.localdate(now))
    if reasons:
        raise ValidationError(reasons)
    limit = volunteer.solicitations_limit
    if solicitations_this_month(volunteer, timezone.localdate(now)) >= limit:
        raise ValidationError(
            _("%(name)s a déjà été sollicité·e %(limit)d fois ce mois-ci : c'est le maximum.")
            % {"name": volunteer, "limit": limit}
        )
    assignment = Assignment.objects.create(
        mission=mission,
        volunteer=volunteer,
        status=AssignmentStatus.PROPOSED,
        source=source,
        proposed_at=now,
        proposed_by=by,
        score=score,
    )
    _notify_proposal(assignment.pk)
    return assignment


def propose_best(
    mission: Mission,
    *,
    by=None,
    count: int | None = None,
    source: str = AssignmentSource.STAFF,
) -> list[Assignment]:
    """Proposes the mission to the best-ranked candidates, up to its free places.

    Volunteers who reached their monthly solicitation limit are left out by the loader; a few
    more candidates than places are read in case the situation changed since the ranking."""
    today = timezone.localdate()
    wanted = places_left(mission) if count is None else min(count, places_left(mission))
    if wanted <= 0:
        return []
    [mission_data] = candidates.mission_snapshots([mission], today=today)
    ranked = candidates.top_candidates(
        mission_data, today=today, limit=wanted + 10, solicitable_on=today
    )
    profiles = VolunteerProfile.objects.select_related("user").in_bulk(
        [candidate.volunteer_id for candidate in ranked]
    )
    proposals = []
    for candidate in ranked:
        if len(proposals) >= wanted:
            break
        try:
            proposals.append(
                propose(
                    mission,
                    profiles[candidate.volunteer_id],
                    by=by,
                    source=source,
                    score=candidate.score,
                )
            )
        except ValidationError:
            continue  # the situation changed since the ranking (e.g. a place was taken)
    return proposals


@dataclasses.dataclass
class BatchOutcome:
    """What a batch assignment proposed, and the places left empty with the reason."""

    proposals: list[Assignment]
    missions: list[dict]

    @property
    def empty_places(self) -> int:
        return sum(row["empty"] for row in self.missions)


def propose_batch(missions, *, by=None, progress=None) -> BatchOutcome:
    """Assigns all `missions` at once (optimal total score) and proposes them.

    The candidate pairs come from the loader (volunteers who could take one of the missions
    and may still be solicited this month), and each volunteer's solicitations left this
    month is a constraint of the optimisation itself (`matching.solve_batch`), not a filter
    applied to its result. `progress`, if given, is called with (done, total) while proposing.
    """
    today = timezone.localdate()
    missions = list(missions)
    mission_data = candidates.mission_snapshots(missions, today=today)
    volunteer_data = candidates.volunteer_snapshots(
        candidates.batch_volunteers(mission_data, today=today), solicitations_on=today
    )
    plan = matching.plan_batch(mission_data, volunteer_data, today=today)
    by_id = {mission.pk: mission for mission in missions}
    profiles = VolunteerProfile.objects.select_related("user").in_bulk(
        [volunteer_id for ids in plan.assignments.values() for volunteer_id in ids]
    )
    total = sum(len(ids) for ids in plan.assignments.values())
    proposals = []
    refused: Counter[int] = Counter()
    for mission_id, volunteer_ids in plan.assignments.items():
        for volunteer_id in volunteer_ids:
            try:
                proposals.append(
                    propose(
                        by_id[mission_id],
                        profiles[volunteer_id],
                        by=by,
                        source=AssignmentSource.BATCH,
                        score=plan.scores[mission_id, volunteer_id],
                    )
                )
            except ValidationError:
                refused[mission_id] += 1  # the situation changed since the plan was made
            if progress is not None:
                progress(len(proposals) + sum(refused.values()), total)
    made = Counter(assignment.mission_id for assignment in proposals)
    names: dict[int, list[str]] = {}
    for assignment in proposals:
        names.setdefault(assignment.mission_id, []).append(str(profiles[assignment.volunteer_id]))
    rows = []
    for data in mission_data:
        if data.places_left == 0:
            continue
        empty = data.places_left - made[data.id]
        eligible = plan.eligible.get(data.id, 0)
        rows.append(
            {
                "mission_id": data.id,
                "title": by_id[data.id].title,
                "places": data.places_left,
                "proposed": made[data.id],
                "volunteers": names.get(data.id, []),
                "empty": empty,
                "eligible": eligible,
                "reason": _empty_places_reason(data, empty, eligible, refused[data.id]),
            }
        )
    return BatchOutcome(proposals, rows)


def _empty_places_reason(data, empty: int, eligible: int, refused: int) -> str:
    if empty == 0:
        return ""
    if eligible == 0:
        return _(
            "Aucun·e volontaire ne remplit toutes les conditions (type, disponibilité, langue, "
            "vérification, maximum du mois) tout en pouvant encore être sollicité·e ce mois-ci."
        )
    if eligible < data.places_left:
        return _("Moins de volontaires éligibles (%(eligible)d) que de places (%(places)d).") % {
            "eligible": eligible,
            "places": data.places_left,
        }
    if refused:
        return _("La situation a changé pendant l'attribution (place ou volontaire pris).")
    return _(
        "Les volontaires éligibles sont plus utiles sur d'autres missions, pris·es au même "
        "moment, ou au bout de leurs sollicitations du mois."
    )


def _locked_assignment(assignment: Assignment, user) -> tuple[Assignment, Mission]:
    mission = _locked_mission(assignment.mission_id)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if user is not None and assignment.volunteer.user_id != user.pk:
        raise ValidationError(_("Cette proposition ne vous est pas adressée."))
    return assignment, mission


def _is_expired(assignment: Assignment, now: datetime.datetime) -> bool:
    return (
        assignment.status == AssignmentStatus.PROPOSED
        and assignment.proposed_at + proposal_lifetime() <= now
    )


@transaction.atomic
def accept(assignment: Assignment, *, user) -> Assignment:
    assignment, mission = _locked_assignment(assignment, user)
    now = timezone.now()
    if _is_expired(assignment, now):
        raise ValidationError(
            _("Cette proposition a expiré : elle a été faite à quelqu'un d'autre.")
        )
    if assignment.status != AssignmentStatus.PROPOSED:
        raise ValidationError(
            _("Cette proposition n'attend plus de réponse (%(status)s).")
            % {"status": assignment.get_status_display().lower()}
        )
    if mission.status in (MissionStatus.DONE, MissionStatus.CANCELLED):
        raise ValidationError(_("Cette mission n'a plus lieu."))
    # The hard constraints still hold when answering (a pause, another mission accepted
    # meanwhile at the same time or up to the monthly maximum...).
    reasons = _acceptance_refusals(mission, assignment.volunteer)
    if reasons:
        raise ValidationError(reasons)
    if places_taken(mission) >= mission.places:
        raise ValidationError(
            _(
                "Désolé, la dernière place de cette mission vient d'être prise. Merci pour votre "
                "disponibilité !"
            )
        )
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.answered_at = now
    assignment.save(update_fields=["status", "answered_at"])
    _refresh_mission_status(mission)
    return assignment


def _acceptance_refusals(mission: Mission, volunteer: VolunteerProfile) -> list[str]:
    """The hard constraints broken by accepting `mission`; its own proposal does not count."""
    today = timezone.localdate()
    [mission_data] = candidates.mission_snapshots([mission], today=today)
    [volunteer_data] = candidates.volunteer_snapshots([volunteer])
    volunteer_data = dataclasses.replace(
        volunteer_data, mission_ids=volunteer_data.mission_ids - {mission.pk}
    )
    return matching.ineligibility_reasons(mission_data, volunteer_data)


@transaction.atomic
def apply(mission: Mission, volunteer: VolunteerProfile) -> Assignment:
    """Self-service: a volunteer takes a place on an open association or city call."""
    mission = _locked_mission(mission.pk)
    # A call filled meanwhile is FULL: its late applicants get the "last place" message.
    if not mission.volunteer_calls or mission.status not in (
        MissionStatus.OPEN,
        MissionStatus.FULL,
    ):
        raise ValidationError(_("Cette mission n'est pas ouverte aux candidatures."))
    if mission.assignments.filter(volunteer=volunteer).exists():
        raise ValidationError(_("Vous êtes déjà inscrit·e sur cette mission."))
    reasons = candidates.eligibility(mission, volunteer, today=timezone.localdate())
    if reasons:
        raise ValidationError(reasons)
    if mission.status == MissionStatus.FULL or places_left(mission) == 0:
        raise ValidationError(
            _(
                "Désolé, la dernière place de cette mission vient d'être prise. Merci pour votre "
                "disponibilité !"
            )
        )
    now = timezone.now()
    assignment = Assignment.objects.create(
        mission=mission,
        volunteer=volunteer,
        status=AssignmentStatus.ACCEPTED,
        source=AssignmentSource.SELF_SERVICE,
        proposed_at=now,
        answered_at=now,
    )
    _refresh_mission_status(mission)
    return assignment


@transaction.atomic
def decline(assignment: Assignment, *, user, reason: str = "") -> Assignment:
    assignment, mission = _locked_assignment(assignment, user)
    if assignment.status != AssignmentStatus.PROPOSED:
        raise ValidationError(_("Cette proposition n'attend plus de réponse."))
    assignment.status = AssignmentStatus.DECLINED
    assignment.answered_at = timezone.now()
    assignment.decline_reason = reason.strip()
    assignment.save(update_fields=["status", "answered_at", "decline_reason"])
    transaction.on_commit(lambda: propose_best(mission, count=1))
    return assignment


@transaction.atomic
def cancel(assignment: Assignment, *, reason: str = "") -> Assignment:
    """Calls off a proposal or an accepted mission not done yet (e.g. the volunteer deleted
    their account); the place opens again and, as after a decline, the next candidate of a
    resident's or staff mission still to come is asked."""
    assignment, mission = _locked_assignment(assignment, None)
    if assignment.status not in (AssignmentStatus.PROPOSED, AssignmentStatus.ACCEPTED):
        raise ValidationError(_("Seule une mission proposée ou acceptée peut être annulée."))
    assignment.status = AssignmentStatus.CANCELLED
    assignment.answered_at = assignment.answered_at or timezone.now()
    assignment.decline_reason = reason.strip()
    assignment.save(update_fields=["status", "answered_at", "decline_reason"])
    _refresh_mission_status(mission)
    # Nobody is asked for a mission whose date has passed (e.g. an old account anonymised).
    if not mission.volunteer_calls and (
        mission.date is None or mission.date >= timezone.localdate()
    ):
        transaction.on_commit(lambda: propose_best(mission, count=1))
    return assignment


def can_mark_done(mission: Mission, today: datetime.date) -> bool:
    """A mission can be declared done once its date has come (weekly ones at any time)."""
    return mission.date is None or mission.date <= today


def can_cancel_acceptance(mission: Mission, today: datetime.date) -> bool:
    """A volunteer can call off an accepted mission until its day (included)."""
    return mission.date is None or mission.date >= today


CANCELLATION_MAIL_DELAYED = gettext_lazy(
    "Le service d'envoi est momentanément indisponible : l'équipe sera prévenue dès son "
    "rétablissement."
)


@transaction.atomic
def cancel_acceptance(assignment: Assignment, *, user, reason: str) -> Assignment:
    """The volunteer calls off a mission they accepted: the place opens again (the next
    candidate of a resident's or staff mission is asked, a call shows the place again) and the
    team is told by e-mail with the reason."""
    from solidaren import outbox
    from volontaires.tasks import notify_cancellation

    assignment, mission = _locked_assignment(assignment, user)
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise ValidationError(_("Seule une mission que vous avez acceptée peut être annulée."))
    if not can_cancel_acceptance(mission, timezone.localdate()):
        raise ValidationError(
            _("Cette mission a déjà eu lieu : déclarez-la réalisée ou prévenez l'équipe.")
        )
    if not reason.strip():
        raise ValidationError(
            _("Indiquez le motif de l'annulation : l'équipe en a besoin pour s'organiser.")
        )
    assignment = cancel(assignment, reason=reason)
    outbox.enqueue(
        notify_cancellation,
        args=[assignment.pk],
        dedupe_key=f"volontaires.notify_cancellation:{assignment.pk}",
        delayed_notice=CANCELLATION_MAIL_DELAYED,
    )
    return assignment


def cancellation_recipients(mission: Mission) -> list[str]:
    """Who organises the mission: the coordinators of its association, otherwise the agents."""
    from solidaren.models import User

    users = User.objects.filter(is_active=True).exclude(email="")
    if mission.association_id is not None:
        users = users.filter(memberships__association_id=mission.association_id)
    else:
        users = users.filter(is_staff=True)
    return sorted(set(users.values_list("email", flat=True)))


def expire_overdue(now: datetime.datetime | None = None) -> int:
    """Unanswered proposals older than 48 h expire; the next candidate is asked."""
    now = now or timezone.now()
    overdue = Assignment.objects.filter(
        status=AssignmentStatus.PROPOSED, proposed_at__lte=now - proposal_lifetime()
    ).values_list("pk", flat=True)
    expired = 0
    for pk in overdue:
        with transaction.atomic():
            assignment = Assignment.objects.select_for_update().get(pk=pk)
            if not _is_expired(assignment, now):
                continue  # answered meanwhile
            assignment.status = AssignmentStatus.EXPIRED
            assignment.save(update_fields=["status"])
            expired += 1
            mission = assignment.mission
        propose_best(mission, count=1)
    return expired


@transaction.atomic
def complete(
    assignment: Assignment,
    *,
    by,
    done_on: datetime.date,
    duration_minutes: int | None,
    note: str = "",
) -> Assignment:
    """The volunteer (or staff) says the mission was done."""
    assignment, mission = _locked_assignment(assignment, None)
    if assignment.status not in (AssignmentStatus.ACCEPTED, AssignmentStatus.DONE):
        raise ValidationError(_("Seule une mission acceptée peut être déclarée réalisée."))
    if done_on > timezone.localdate():
        raise ValidationError(_("La date de réalisation ne peut pas être dans le futur."))
    if mission.date is not None and done_on < mission.date:
        raise ValidationError(
            _("La mission était prévue le %(date)s : elle ne peut pas avoir été réalisée avant.")
            % {"date": mission.date.strftime("%d/%m/%Y")}
        )
    assignment.status = AssignmentStatus.DONE
    assignment.done_on = done_on
    assignment.duration_minutes = duration_minutes
    assignment.completion_note = note.strip()
    assignment.save(update_fields=["status", "done_on", "duration_minutes", "completion_note"])
    _refresh_mission_status(mission)
    return assignment


def refresh_mission_status(mission: Mission) -> None:
    """Open, full or done again after a change of the mission itself (e.g. its places).

    The caller holds the mission's row lock."""
    _refresh_mission_status(mission)


def _refresh_mission_status(mission: Mission) -> None:
    """Full when every place is taken; done once every accepted volunteer has done it."""
    statuses = list(mission.assignments.values_list("status", flat=True))
    committed = [status for status in statuses if status in COMMITTED]
    past = mission.date is not None and mission.date <= timezone.localdate()
    if (
        committed
        and all(status == AssignmentStatus.DONE for status in committed)
        and (len(committed) >= mission.places or past)
    ):
        new_status = MissionStatus.DONE
    elif len(committed) >= mission.places:
        new_status = MissionStatus.FULL
    else:
        new_status = MissionStatus.OPEN
    if mission.status not in (MissionStatus.CANCELLED,) and mission.status != new_status:
        mission.status = new_status
        mission.save(update_fields=["status"])


def due_reminders(today: datetime.date):
    """Accepted missions taking place tomorrow whose volunteer has not been reminded."""
    return Assignment.objects.filter(
        status=AssignmentStatus.ACCEPTED,
        mission__date=today + datetime.timedelta(days=1),
        reminded_on__isnull=True,
    ).select_related("mission__resident", "volunteer__user")
