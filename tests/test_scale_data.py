"""`generate_scale_data`: fast bulk rows that the matching and the pages can use, refused twice."""

import pytest
from django.core.management import CommandError, call_command

from associations.models import Association
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
