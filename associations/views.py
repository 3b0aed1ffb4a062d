from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from associations.filters import AssociationDirectoryFilter
from associations.forms import AssociationProfileForm
from associations.models import Association
from conventions.models import Convention
from solidaren.access import get_editable_or_404, get_visible_or_404, role_required

ASSOCIATIONS_PER_PAGE = 50


@require_GET
def association_list(request):
    """The directory, 50 associations a page (a national network has thousands)."""
    associations = Association.objects.visible_to(request.user).prefetch_related("fields_of_action")
    directory = AssociationDirectoryFilter(request.GET, queryset=associations)
    page = Paginator(directory.qs.distinct(), ASSOCIATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "associations/association_list.html",
        {"filter": directory, "associations": page, "page": page, "query": query.urlencode()},
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
        "fields_of_action",
        Prefetch("conventions", queryset=Convention.objects.order_by("-start_date")),
    )
    return render(request, "associations/my_associations.html", {"associations": associations})


@require_http_methods(["GET", "POST"])
@role_required("agent", "coordinator")
def association_edit(request, slug):
    association = get_editable_or_404(Association, request.user, slug=slug)
    form = AssociationProfileForm(request.POST or None, instance=association)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("La fiche de l'association a été mise à jour."))
        return redirect(association)
    return render(
        request, "associations/association_edit.html", {"association": association, "form": form}
    )
