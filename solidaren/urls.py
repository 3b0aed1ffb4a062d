from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from conventions.views import opendata
from solidaren import views
from volontaires.views import personal_data

admin.site.site_header = _("SolidaRen — back-office")
admin.site.site_title = _("SolidaRen")
admin.site.index_title = _("Administration du réseau")
# Login protection: the back-office has no login form of its own. Its login page sends to
# allauth's (failed-login lockout, rate limits, TOTP), then back; a signed-in person who is not
# staff gets the 403 page.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("comptes/", include("allauth.urls")),
    path("associations/", include("associations.urls")),
    path("conventions/", include("conventions.urls")),
    path("volontaires/", include("volontaires.urls")),
    path("opendata/subventions.csv", opendata.subsidies_csv, name="opendata_subsidies"),
    path("donnees-personnelles/", personal_data.policy, name="personal_data"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("mentions-legales/", views.legal_notices, name="legal_notices"),
    path("back-office/", admin.site.urls),
]

if settings.DEBUG:
    from django.views import defaults

    # Lets a developer look at the error pages with DEBUG on.
    urlpatterns += [
        path("erreurs/403/", defaults.permission_denied, {"exception": Exception()}),
        path("erreurs/404/", defaults.page_not_found, {"exception": Exception()}),
        path("erreurs/500/", defaults.server_error),
    ]

if settings.BENCH_BARE_VIEW:  # `make bench` only: the throughput every page is compared with
    urlpatterns += [path("bench/ok", views.bench_bare)]
