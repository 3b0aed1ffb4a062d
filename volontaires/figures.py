"""The figures of a programme, always counted from the rows (never stored).

- inscrits: volunteers enrolled in the programme;
- actifs: enrolled and not withdrawn (a pause does not remove anyone);
- mobilises: volunteers with at least one mission done in the programme;
- habitants: residents with at least one mission done for them;
- soutiens: distinct (volunteer, resident) pairs with at least one mission done;
- missions_realisees: missions done, one per volunteer who did it (a food-bank sorting day
  done by ten volunteers counts ten, as the campaign counted them).
"""

from django.db.models import Count, Q, QuerySet

from volontaires.models import Assignment, AssignmentStatus, Enrolment, EnrolmentStatus, Programme

FIGURE_KEYS = ["inscrits", "actifs", "mobilises", "habitants", "soutiens", "missions_realisees"]


def done_assignments(programme: Programme) -> QuerySet:
    return Assignment.objects.filter(mission__programme=programme, status=AssignmentStatus.DONE)


def supports(programme: Programme) -> QuerySet:
    """Distinct (volunteer id, resident id) pairs with a mission done, as value dicts."""
    return (
        done_assignments(programme)
        .filter(mission__resident__isnull=False)
        .values("volunteer_id", "mission__resident_id")
        .distinct()
        .order_by()
    )


def programme_figures(programme: Programme) -> dict[str, int]:
    enrolments = Enrolment.objects.filter(programme=programme).aggregate(
        inscrits=Count("pk"), actifs=Count("pk", filter=~Q(status=EnrolmentStatus.WITHDRAWN))
    )
    done = done_assignments(programme).aggregate(
        mobilises=Count("volunteer", distinct=True),
        habitants=Count("mission__resident", distinct=True),
        missions_realisees=Count("pk"),
    )
    return {
        "inscrits": enrolments["inscrits"],
        "actifs": enrolments["actifs"],
        "mobilises": done["mobilises"],
        "habitants": done["habitants"],
        "soutiens": supports(programme).count(),
        "missions_realisees": done["missions_realisees"],
    }
