from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Prefetch
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from associations import (
    data_inclusion,
    directory,
    freshness,
    opening_hours,
    orientation,
    pocket_guide,
    structures,
)
from associations.filters import AssociationDirectoryFilter
from associations.forms import (
    AssociationProfileForm,
    DirectorySearchForm,
    OrientationAnswerForm,
    OrientationForm,
    ServiceChangeForm,
    ServiceEditForm,
)
from associations.models import (
    Association,
    OrientationRequest,
    PrescriberRole,
    Service,
    ServiceChange,
)
from conventions.models import Convention, DocumentStatus
from solidaren import page_cache
from solidaren.access import (
    can_change,
    get_editable_or_404,
    get_visible_or_404,
    role_required,
    roles_of,
)

ASSOCIATIONS_PER_PAGE = 50


@require_GET
def association_list(request):
    """The directory, 50 associations a page (a national network has thousands)."""
    associations = Association.objects.visible_to(request.user).prefetch_related("fields_of_action")

    def directory_html() -> str:
        directory = AssociationDirectoryFilter(request.GET, queryset=associations)
        page = Paginator(directory.qs.distinct(), ASSOCIATIONS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        query = request.GET.copy()
        query.pop("page", None)
        context = {"filter": directory, "associations": page, "page": page}
        return render_to_string(
            "associations/_directory.html", {**context, "query": query.urlencode()}
        )

    # The same for everyone (the directory is public): its plain pages are kept until an
    # association changes. Searches are made on each request, so that made-up queries cannot
    # fill the cache.
    page_number = request.GET.get("page", "1")
    if set(request.GET) <= {"page"} and page_number.isdigit() and len(page_number) < 6:
        directory = page_cache.cached(
            "directory",
            scopes=("associations",),
            variant=(int(page_number),),
            compute=directory_html,
        )
    else:
        directory = directory_html()
    return render(request, "associations/association_list.html", {"directory": directory})


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
    services = Service.objects.filter(structure__association__in=associations).order_by("name")
    by_association: dict[int, list[Service]] = {}
    for service in services.select_related("structure"):
        by_association.setdefault(service.structure.association_id, []).append(service)
    associations = list(associations)
    for association in associations:
        association.directory_services = by_association.get(association.pk, [])
    return render(request, "associations/my_associations.html", {"associations": associations})


@require_http_methods(["GET", "POST"])
@role_required("agent", "coordinator")
def association_edit(request, slug):
    association = get_editable_or_404(Association, request.user, slug=slug)
    form = AssociationProfileForm(request.POST or None, instance=association)
    if request.method == "POST" and form.is_valid():
        form.save()
        structures.sync_from_association(association)  # the directory publishes the same
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
            "guide": _guide_of(form),
        },
    )


def _guide_of(form) -> tuple[str, str] | None:
    """The pocket guide matching the search: its quartier, else its thématique."""
    if not (form.is_bound and form.is_valid()):
        return None
    if form.cleaned_data.get("quartier"):
        return pocket_guide.QUARTIER, form.cleaned_data["quartier"].slug
    if form.cleaned_data.get("thematique"):
        return pocket_guide.THEMATIQUE, form.cleaned_data["thematique"]
    return None


@require_GET
def service_detail(request, slug):
    service = get_visible_or_404(
        directory.with_directory_data(Service.objects.all()), request.user, slug=slug
    )
    today = timezone.localdate()
    change = directory.current_change(service, today)
    return render(
        request,
        "associations/service_detail.html",
        {
            "service": service,
            "card": directory.cards([service], now=timezone.now())[0],
            "week": directory.week_hours(service, today),
            "change": change,
            "changed_hours": opening_hours.dated_hours(
                change.opening_hours, change.starts_on, change.ends_on
            )
            if change and not change.is_closure
            else [],
            "roles": roles_of(request.user),
            "may_edit": request.user.is_authenticated and can_change(request.user, service),
        },
    )


# --- Orientation requests ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required("agent", "coordinator", "volunteer")
def orient(request, slug):
    service = get_visible_or_404(
        Service.objects.select_related("structure"), request.user, slug=slug
    )
    role = orientation.prescriber_role_of(request.user)
    missions = (
        orientation.volunteer_missions(request.user) if role == PrescriberRole.VOLUNTEER else None
    )
    form = OrientationForm(request.POST or None, missions=missions)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            made = orientation.orient(service=service, prescriber=request.user, **data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Demande envoyée : la structure a reçu un lien pour y répondre. Vous serez "
                    "prévenu·e de sa réponse."
                ),
            )
            return redirect(made)
    return render(request, "associations/orient.html", {"service": service, "form": form})


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_GET
@role_required("agent", "coordinator", "volunteer")
def orientation_list(request):
    orientations = (
        OrientationRequest.objects.visible_to(request.user)
        .select_related("structure", "service", "prescriber", "assignment__mission")
        .order_by("-created_at")
    )
    page = Paginator(orientations, 30).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for item in page:
        item.hide_person = not orientation.person_shown_to(request.user, item, today=today)
    return render(request, "associations/orientation_list.html", {"page": page})


@require_GET
@role_required("agent", "coordinator", "volunteer")
def orientation_detail(request, pk):
    item = get_visible_or_404(
        OrientationRequest.objects.select_related(
            "structure", "service", "prescriber", "assignment__mission"
        ),
        request.user,
        pk=pk,
    )
    may_answer = item.is_open and can_change(request.user, item)
    return render(
        request,
        "associations/orientation_detail.html",
        {
            "orientation": item,
            "hide_person": not orientation.person_shown_to(request.user, item),
            "answer_form": OrientationAnswerForm(initial={"name": request.user.get_full_name()})
            if may_answer
            else None,
        },
    )


def _record_answer(form, item) -> bool:
    """Record the structure's answer typed in `form`; False, with the form's errors, if refused."""
    try:
        orientation.answer(
            item,
            accept=form.cleaned_data["decision"] == "accepter",
            reason=form.cleaned_data["reason"],
            by=form.cleaned_data["name"],
        )
    except ValidationError as error:
        _form_errors(form, error)
        return False
    return True


@require_POST
@role_required("agent", "coordinator", "volunteer")
def orientation_reply(request, pk):
    """The receiving structure's coordinator (or an agent) answers from the portal."""
    item = get_editable_or_404(OrientationRequest, request.user, pk=pk)
    form = OrientationAnswerForm(request.POST)
    if form.is_valid() and _record_answer(form, item):
        messages.success(
            request, _("Réponse enregistrée : la personne qui a orienté est prévenue.")
        )
        return redirect(item)
    return render(
        request,
        "associations/orientation_detail.html",
        {"orientation": item, "answer_form": form},
        status=400,
    )


@require_POST
@role_required("agent", "coordinator", "volunteer")
def orientation_renew(request, pk):
    item = get_visible_or_404(OrientationRequest, request.user, pk=pk)
    try:
        orientation.renew_link(item)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Un nouveau lien a été envoyé à la structure."))
    return redirect(item)


@require_http_methods(["GET", "POST"])
def orientation_answer(request, token):
    """The private link of the receiving structure: no account needed."""
    try:
        item = orientation.read_token(token)
    except orientation.LinkRefused as refused:
        # An authentic link that expired or was replaced: a page offering a new one (200);
        # a forged link, or one for another structure's request: refused (403).
        return render(
            request,
            "associations/orientation_link_refused.html",
            {"reason": str(refused), "renewable": refused.expired, "token": token},
            status=200 if refused.expired else 403,
        )
    form = OrientationAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _record_answer(form, item):
        messages.success(
            request, _("Merci : votre réponse est transmise à la personne qui a orienté.")
        )
        return redirect("associations:orientation_answer", token=token)
    return render(
        request,
        "associations/orientation_answer.html",
        {"orientation": item, "form": form if item.is_open or form.errors else None},
    )


@require_POST
def orientation_link_renew(request, token):
    """From an expired link: a fresh link goes to the structure's registered addresses (never
    to whoever clicks), so knowing an old link gives nothing more."""
    request_id = orientation.token_request_id(token)
    item = OrientationRequest.objects.filter(pk=request_id).first() if request_id else None
    if item is None:
        raise Http404
    try:
        orientation.renew_link(item)
    except ValidationError as error:
        return render(
            request,
            "associations/orientation_link_refused.html",
            {"reason": " ".join(error.messages), "renewable": False, "token": token},
            status=400,
        )
    messages.success(
        request, _("Un nouveau lien a été envoyé aux adresses enregistrées de la structure.")
    )
    return redirect("associations:orientation_answer", token=token)


# --- Open data: data·inclusion v1 ---------------------------------------------------------------


def _open_data(items: list[dict]) -> JsonResponse:
    response = JsonResponse(items, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # public data, read from other sites
    return response


@require_GET
def data_inclusion_structures(request):
    return _open_data(data_inclusion.export_structures())


@require_GET
def data_inclusion_services(request):
    return _open_data(data_inclusion.export_services())


# --- Pocket guide (PDF) ---------------------------------------------------------------------


@require_GET
def pocket_guide_view(request, kind, value):
    """The guide's PDF when it is up to date; otherwise it is queued and a page says so."""
    document = pocket_guide.request_guide(kind, value)
    if document.status == DocumentStatus.DONE and document.file:
        return FileResponse(
            document.file.open("rb"),
            content_type="application/pdf",
            filename=f"guide-solidaren-{kind}-{value}.pdf",
        )
    return render(
        request,
        "associations/pocket_guide_pending.html",
        {"title": pocket_guide.guide_title(kind, value), "document": document},
    )


# --- Freshness: confirm in one click, edit, staff list and campaign ----------------------------


@require_http_methods(["GET", "POST"])
def service_confirm(request, token):
    """The link of the freshness e-mail: no account needed; the button confirms (a GET never
    changes anything, so that mail scanners opening links confirm nothing)."""
    found = freshness.service_from_token(token)
    if isinstance(found, str):
        return render(request, "associations/service_confirm.html", {"reason": found}, status=403)
    if request.method == "POST":
        freshness.confirm(found)
        pocket_guide.queue_guides_of_service(found)
        messages.success(request, _("Merci : le service est confirmé à jour."))
        return redirect(found)
    return render(request, "associations/service_confirm.html", {"service": found})


@require_http_methods(["GET", "POST"])
@role_required("agent", "coordinator")
def service_edit(request, slug):
    service = get_editable_or_404(Service, request.user, slug=slug)
    form = ServiceEditForm(request.POST or None, instance=service, prefix="service")
    change_form = ServiceChangeForm(prefix="change")
    if request.method == "POST" and form.is_valid():
        service = form.save(commit=False)
        service.updated_on = timezone.localdate()  # edited: fresh from today
        service.freshness_reminded_on = None
        service.save()
        form.save_m2m()
        pocket_guide.queue_guides_of_service(service)
        messages.success(request, _("Le service est mis à jour."))
        return redirect(service)
    return render(
        request,
        "associations/service_edit.html",
        {"service": service, "form": form, "change_form": change_form},
    )


@require_POST
@role_required("agent", "coordinator")
def service_change_add(request, slug):
    service = get_editable_or_404(Service, request.user, slug=slug)
    change_form = ServiceChangeForm(
        request.POST, prefix="change", instance=ServiceChange(service=service)
    )
    if change_form.is_valid():
        change_form.save()
        pocket_guide.queue_guides_of_service(service)
        messages.success(request, _("La période est enregistrée."))
        return redirect(service)
    return render(
        request,
        "associations/service_edit.html",
        {
            "service": service,
            "form": ServiceEditForm(instance=service, prefix="service"),
            "change_form": change_form,
        },
        status=400,
    )


@require_GET
@role_required("agent")
def staff_services(request):
    today = timezone.localdate()
    services = freshness.by_staleness(
        Service.objects.select_related("structure", "quartier"), today
    )
    rows = [
        (
            service,
            freshness.freshness_label(
                freshness.freshness(service.updated_on, service.update_frequency, today)
            ),
            freshness.due_on(service.updated_on, service.update_frequency),
        )
        for service in services
    ]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "associations/staff_services.html", {"page": page})


@require_POST
@role_required("agent")
def staff_update_campaign(request):
    """Asks every structure whose services are past their frequency to check them now."""
    count = freshness.remind(
        Service.objects.select_related("structure"), timezone.localdate(), again=True
    )
    messages.success(
        request,
        ngettext(
            "Campagne lancée : %(count)s service à vérifier a été signalé à sa structure.",
            "Campagne lancée : %(count)s services à vérifier ont été signalés à leurs structures.",
            count,
        )
        % {"count": count},
    )
    return redirect("associations:staff_services")
