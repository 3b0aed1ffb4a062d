"""`generate_scale_data`: fast bulk rows that the matching and the pages can use, refused twice."""

import pytest
from django.core.management import CommandError, call_command

from associations.models import Association
from solidaren import scale_data
from solidaren.scale_data import SCALE_EMAIL_DOMAIN
from volontaires import candidates
from volontaires.models import Mission, MissionStatus, VolunteerProfile


@pytest.mark.django_db
def test_generate_scale_data_fills_a_database_once(capsys):
    call_command("generate_scale_data", volunteers=300, missions=400, associations=60, stdout=None)

    scale = VolunteerProfile.objects.filter(user__email__endswith=f"@{SCALE_EMAIL_DOMAIN}")
    assert scale.count() == 300
    assert Association.objects.count() >= 60
    assert Mission.objects.filter(title__startswith="Mission n°").count() == 400
    assert "volontaires" in capsys.readouterr().err  # the progress bar
    # Realistic enough for the matching: open missions have candidates among the rows.
    open_missions = Mission.objects.filter(status=MissionStatus.OPEN, date__isnull=False)[:20]
    assert any(candidates.rank_candidates(mission, limit=3) for mission in open_missions)

    with pytest.raises(CommandError, match="contient déjà des données d'échelle"):
        call_command("generate_scale_data", volunteers=10, missions=10, associations=0)


@pytest.mark.django_db
def test_the_annual_report_of_a_large_network_summarises_and_points_to_the_detail():
    """GIVEN some 80 associations, most with subsidies this year
    WHEN the network's annual report is prepared
    THEN it shows the 25 largest supports, sums up the others, and points to the year's open
    data file for every association's detail; totals are unchanged."""
    from django.utils import timezone

    from conventions.annual_report import annual_report_data

    scale_data.generate(volunteers=10, missions=10, associations=80)
    year = timezone.localdate().year

    data = annual_report_data(year)

    assert len(data["rows"]) > 60
    assert len(data["shown_rows"]) == 25
    assert data["other_count"] == len(data["rows"]) - 25
    assert min(row.total for row in data["shown_rows"]) >= max(
        row.total for row in data["rows"] if row not in data["shown_rows"]
    )
    assert (
        sum(row.total for row in data["shown_rows"]) + data["other_total"] == (data["grand_total"])
    )
    assert data["detail_url"].endswith(f"/opendata/subventions.csv?annee={year}")
