"""Retention of personal data: nothing is kept longer than the programme needs it.

Every day (beat task `volontaires.apply_retention`):

- residents with no activity for `RESIDENT_RETENTION_MONTHS` are anonymised in place
  (`resident_data.erase_resident`, the figures stay). Their last activity is the latest of
  their request (the consent date), their missions' dates and the proposals, answers and
  completions on those missions; a weekly mission still open or full keeps them active. The
  rows' creation dates are not activity: the demo and imports write old history today.
- volunteers with no activity for `VOLUNTEER_RETENTION_MONTHS` are warned by e-mail one month
  before, once, then anonymised (`accounts.anonymise_account`). Activity is the sign-up, a
  login, accepting the charter, an enrolment change (so a withdrawal starts the clock), an
  answer to a proposal, a mission done, a training registration (a proposal received is not
  the volunteer's doing: it does not keep an account alive); any activity after the
  warning makes it stale and the clock starts again. Nobody is anonymised less than a month
  after being warned. Agents', coordinators' and superusers' accounts are never anonymised
  here: they carry other responsibilities.
- the access log's rows older than `RESIDENT_ACCESS_LOG_RETENTION_MONTHS` are deleted.
"""

from __future__ import annotations

import calendar
import datetime
import logging
import smtplib
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from volontaires.access_log import delete_entries_before
from volontaires.accounts import ANONYMOUS_EMAIL, anonymise_account
from volontaires.models import (
    Assignment,
    Enrolment,
    Mission,
    MissionStatus,
    Resident,
    TrainingRegistration,
    VolunteerProfile,
)
from volontaires.resident_data import erase_residents

logger = logging.getLogger(__name__)

# Volunteers are warned this many months before their account is anonymised.
NOTICE_MONTHS = 1


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months` (back when negative); a 31st becomes the month's last day."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _day(value: datetime.date | datetime.datetime) -> datetime.date:
    return timezone.localdate(value) if isinstance(value, datetime.datetime) else value


def _moment(value: datetime.date | datetime.datetime) -> datetime.datetime:
    """Dates count until the end of their day (a mission done today is later than a warning
    sent this morning)."""
    if isinstance(value, datetime.datetime):
        return value
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time.max))


def _keep_latest(latest: dict, key: int, *values) -> None:
    for value in values:
        if value is not None and (key not in latest or value > latest[key]):
            latest[key] = value


# --- Residents -----------------------------------------------------------------------------


def resident_last_activity(
    residents: QuerySet, *, today: datetime.date
) -> dict[int, datetime.date]:
    """Per resident id, the day of their last activity."""
    latest: dict[int, datetime.date] = {}
    for pk, consent, created in residents.values_list("pk", "consent_recorded_at", "created_at"):
        _keep_latest(latest, pk, _day(consent or created))
    missions = Mission.objects.filter(resident__in=residents)
    for row in missions.values("resident_id").annotate(last=Max("date")).order_by():
        _keep_latest(latest, row["resident_id"], row["last"])
    running = missions.filter(
        date__isnull=True, status__in=[MissionStatus.OPEN, MissionStatus.FULL]
    )
    for resident_id in running.values_list("resident_id", flat=True):
        _keep_latest(latest, resident_id, today)
    assignments = (
        Assignment.objects.filter(mission__resident__in=residents)
        .values("mission__resident_id")
        .annotate(proposed=Max("proposed_at"), answered=Max("answered_at"), done=Max("done_on"))
        .order_by()
    )
    for row in assignments:
        _keep_latest(
            latest,
            row["mission__resident_id"],
            *(_day(row[key]) for key in ("proposed", "answered", "done") if row[key] is not None),
        )
    return latest


def residents_due(*, today: datetime.date) -> list[int]:
    """Ids of the residents not anonymised yet whose last activity is too old."""
    months = settings.RESIDENT_RETENTION_MONTHS
    residents = Resident.objects.filter(anonymised_at__isnull=True)
    return sorted(
        pk
        for pk, last in resident_last_activity(residents, today=today).items()
        if add_months(last, months) <= today
    )


# --- Volunteers ----------------------------------------------------------------------------


def retained_volunteers() -> QuerySet:
    """Profiles the retention applies to: not anonymised yet, and volunteers only."""
    return (
        VolunteerProfile.objects.filter(user__is_staff=False, user__is_superuser=False)
        .exclude(user__memberships__isnull=False)
        .exclude(user__email__endswith=ANONYMOUS_EMAIL.rsplit("@", 1)[1])
    )


def volunteer_last_activity(profiles: QuerySet) -> dict[int, datetime.datetime]:
    """Per profile id, the moment of the volunteer's last activity."""
    latest: dict[int, datetime.datetime] = {}
    for pk, *moments in profiles.values_list(
        "pk",
        "user__date_joined",
        "user__last_login",
        "charter_accepted_at",
        "data_policy_accepted_at",
    ):
        _keep_latest(latest, pk, *moments)
    enrolments = (
        Enrolment.objects.filter(volunteer__in=profiles)
        .values("volunteer_id")
        .annotate(signed_up=Max("signed_up_at"), changed=Max("status_changed_at"))
        .order_by()
    )
    for row in enrolments:
        _keep_latest(latest, row["volunteer_id"], row["signed_up"], row["changed"])
    assignments = (
        Assignment.objects.filter(volunteer__in=profiles)
        .values("volunteer_id")
        .annotate(answered=Max("answered_at"), done=Max("done_on"))
        .order_by()
    )
    for row in assignments:
        done = _moment(row["done"]) if row["done"] else None
        _keep_latest(latest, row["volunteer_id"], row["answered"], done)
    registrations = (
        TrainingRegistration.objects.filter(volunteer__in=profiles)
        .values("volunteer_id")
        .annotate(registered=Max("registered_at"))
        .order_by()
    )
    for row in registrations:
        _keep_latest(latest, row["volunteer_id"], row["registered"])
    return latest


@dataclass(frozen=True)
class VolunteerClock:
    """Where a volunteer stands: when their account is due for anonymisation, and whether
    they were warned since their last activity."""

    last_activity: datetime.datetime
    warned_at: datetime.datetime | None
    months: int

    @property
    def due_on(self) -> datetime.date:
        return add_months(_day(self.last_activity), self.months)

    @property
    def warned(self) -> bool:
        return self.warned_at is not None and self.warned_at > self.last_activity

    def warning_due(self, today: datetime.date) -> bool:
        return not self.warned and today >= add_months(self.due_on, -NOTICE_MONTHS)

    def anonymise_on(self, today: datetime.date) -> datetime.date:
        """The day the account goes: at least a month after the warning (sent `today` if
        not sent yet)."""
        warned_on = _day(self.warned_at) if self.warned else today
        return max(self.due_on, add_months(warned_on, NOTICE_MONTHS))

    def anonymisation_due(self, today: datetime.date) -> bool:
        return self.warned and today >= self.anonymise_on(today)


def volunteer_clocks(profiles: QuerySet) -> dict[int, VolunteerClock]:
    warned = dict(profiles.values_list("pk", "retention_warned_at"))
    months = settings.VOLUNTEER_RETENTION_MONTHS
    return {
        pk: VolunteerClock(last_activity=last, warned_at=warned[pk], months=months)
        for pk, last in volunteer_last_activity(profiles).items()
    }


def send_warning(
    profile: VolunteerProfile, *, anonymise_on: datetime.date, last: datetime.datetime
) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        deadline = formats.date_format(anonymise_on, "j F Y")
        body = render_to_string(
            "volontaires/email/retention_warning.txt",
            {
                "volunteer": profile,
                "deadline": deadline,
                "last_activity": formats.date_format(_day(last), "j F Y"),
                "months": settings.VOLUNTEER_RETENTION_MONTHS,
                "login_url": settings.SITE_URL + reverse("account_login"),
                "space_url": settings.SITE_URL + reverse("volontaires:my_space"),
                "policy_url": settings.SITE_URL + reverse("personal_data"),
            },
        )
        subject = _("[SolidaRen] Votre compte de volontaire sera anonymisé le %(date)s") % {
            "date": deadline
        }
    send_mail(subject, body, None, [profile.user.email])


def _locked_if_unchanged(profile_id: int, clock: VolunteerClock) -> VolunteerProfile | None:
    """The profile, row locked, unless the volunteer logged in or was warned since the clock
    was read (the job reads every volunteer's clock first, then acts on each)."""
    profile = VolunteerProfile.objects.select_for_update().select_related("user").get(pk=profile_id)
    last_login = profile.user.last_login
    if last_login is not None and last_login > clock.last_activity:
        return None
    if profile.retention_warned_at != clock.warned_at:
        return None
    return profile


def warn_volunteer(profile_id: int, clock: VolunteerClock, *, now: datetime.datetime) -> bool:
    """One warning, recorded in the same transaction as it is sent. A mail server that does
    not answer records nothing: the volunteer is warned on a later run, and the month of
    notice counts from then."""
    with transaction.atomic():
        profile = _locked_if_unchanged(profile_id, clock)
        if profile is None:
            return False
        try:
            send_warning(
                profile,
                anonymise_on=clock.anonymise_on(timezone.localdate(now)),
                last=clock.last_activity,
            )
        except (smtplib.SMTPException, OSError):
            logger.warning("Retention warning not sent to volunteer %s", profile_id, exc_info=True)
            return False
        profile.retention_warned_at = now
        profile.save(update_fields=["retention_warned_at"])
    return True


def anonymise_volunteer(profile_id: int, clock: VolunteerClock) -> bool:
    with transaction.atomic():
        profile = _locked_if_unchanged(profile_id, clock)
        if profile is None:
            return False
        anonymise_account(
            profile.user,
            note=_("Compte anonymisé après %(months)d mois sans activité.")
            % {"months": settings.VOLUNTEER_RETENTION_MONTHS},
        )
    return True


# --- The daily job -------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionReport:
    residents_anonymised: int
    volunteers_warned: int
    volunteers_anonymised: int
    access_log_entries_deleted: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def apply_retention(*, now: datetime.datetime | None = None) -> RetentionReport:
    """The daily job; running it twice the same day does nothing the second time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    residents = erase_residents(residents_due(today=today), at=now)
    warned = anonymised = 0
    for profile_id, clock in volunteer_clocks(retained_volunteers()).items():
        if clock.warning_due(today):
            warned += warn_volunteer(profile_id, clock, now=now)
        elif clock.anonymisation_due(today):
            anonymised += anonymise_volunteer(profile_id, clock)
    log_limit = timezone.make_aware(
        datetime.datetime.combine(
            add_months(today, -settings.RESIDENT_ACCESS_LOG_RETENTION_MONTHS), datetime.time.min
        )
    )
    return RetentionReport(
        residents_anonymised=residents,
        volunteers_warned=warned,
        volunteers_anonymised=anonymised,
        access_log_entries_deleted=delete_entries_before(log_limit),
    )
