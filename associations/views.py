from django.shortcuts import render
from django.views.decorators.http import require_GET

from associations.filters import AssociationDirectoryFilter
from associations.models import Association
from solidaren.access import get_visible_or_404, role_required


@require_GET
def association_list(request):
    associations = Association.objects.visible_to(request.user).prefetch_related("fields_of_action")
    directory = AssociationDirectoryFilter(request.GET, queryset=associations)
    return render(
        request,
        "associations/association_list.html",
        {"filter": directory, "associations": directory.qs.distinct()},
    )


@require_GET
def association_detail(request, slug):
    association = get_visible_or_404(
        Association.objects.prefetch_related("fields_of_action"), request.user, slug=slug
    )
    return render(request, "associations/association_detail.html", {"association": association})


@require_GET
@role_required("coordinator")
def my_associations(request):
    associations = Association.objects.coordinated_by(request.user).prefetch_related(
        "fields_of_action"
    )
    return render(request, "associations/my_associations.html", {"associations": associations})
