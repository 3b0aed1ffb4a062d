from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max, Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from associations import directory
from associations.filters import AssociationDirectoryFilter
from associations.forms import AssociationProfileForm, DirectorySearchForm
from associations.models import Association, Service
from conventions.models import Convention
from solidaren.access import get_editable_or_404, get_visible_or_404, role_required, roles_of


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


# --- Directory of services (public, no account) ------------------------------------------------

SERVICES_PER_PAGE = 20


@require_GET
def service_list(request):
    form = DirectorySearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        services = []
    else:
        search = form.search() if form.is_bound else directory.Search()
        services = directory.search_services(
            search, services=Service.objects.visible_to(request.user)
        )
    page = Paginator(services, SERVICES_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "associations/service_list.html",
        {
            "form": form,
            "page": page,
            "cards": directory.cards(page.object_list, now=now),
            "query": query.urlencode(),
            "last_updated": Service.objects.aggregate(latest=Max("updated_on"))["latest"],
        },
    )


@require_GET
def service_detail(request, slug):
    service = get_visible_or_404(
        directory.with_directory_data(Service.objects.all()), request.user, slug=slug
    )
    today = timezone.localdate()
    return render(
        request,
        "associations/service_detail.html",
        {
            "service": service,
            "card": directory.cards([service], now=timezone.now())[0],
            "week": directory.week_hours(service, today),
            "change": directory.current_change(service, today),
            "roles": roles_of(request.user),
        },
    )
