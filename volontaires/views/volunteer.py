from django.shortcuts import render
from django.views.decorators.http import require_GET

from solidaren.access import get_visible_or_404, role_required
from volontaires.models import VolunteerProfile


@require_GET
@role_required("volunteer")
def my_space(request):
    profile = get_visible_or_404(
        VolunteerProfile.objects.select_related("quartier").prefetch_related("mission_types"),
        request.user,
        user=request.user,
    )
    return render(request, "volontaires/my_space.html", {"profile": profile})
