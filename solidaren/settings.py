"""The one settings module of the SolidaRen portal.

Every difference between the demo, the tests and production comes from environment variables
(see `.env.example` and the README). With no variable set, the portal runs the embedded demo
stack: SQLite under `data/`, Celery tasks executed in-process, e-mails printed on the console.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    # The local demo only: with DEBUG=0 a missing SECRET_KEY stops the start (above).
    SECRET_KEY = "insecure-development-key-only-for-the-local-demo-never-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0.")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# Public address of the portal: every absolute link (e-mails, allauth's mails, the calendar
# feed) is built from it (solidaren.links.absolute_url), never from the request's host. `make
# demo` sets it from its PORT; the default is the address `make demo` serves by default.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The portal's name in e-mails ("Bonjour de la part de SolidaRen"), instead of the host.
SITE_NAME = envstr("SITE_NAME", "SolidaRen")
# Where people report an accessibility problem or ask about the site (footer pages).
CONTACT_EMAIL = envstr("CONTACT_EMAIL", "contact@solidaren.fr")

DATA_DIR = Path(envstr("DATA_DIR", str(BASE_DIR / "data")))

INSTALLED_APPS = [
    # Back-office rights (package "rights"): django.contrib.admin with a site whose
    # autocomplete survives tampered input (solidaren/autocomplete.py).
    "solidaren.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "allauth",
    "allauth.account",
    "django_filters",
    "django_celery_results",
    "simple_history",
    "import_export",
    "solidaren",
    "associations",
    "conventions",
    "volontaires",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "solidaren.middleware.FrenchFirstLocaleMiddleware",
    "solidaren.middleware.UploadSizeLimitMiddleware",  # uploads: before anything reads the body
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "solidaren.urls"
WSGI_APPLICATION = "solidaren.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "solidaren.navigation.navigation",
            ],
        },
    },
]

# Form widgets: Django's templates through the project's engine, the select written in Python
# (solidaren/form_renderer.py: one template render per option was a third of a list page).
FORM_RENDERER = "solidaren.form_renderer.PortalFormRenderer"

# Database: DATABASE_URL (postgresql://user:password@host:5432/name); SQLite file by default.
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'solidaren.sqlite3'}"),
        # Production (DEBUG=0): persistent connections, checked before each request reuses
        # one (CONN_HEALTH_CHECKS), instead of a new connection per request.
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # SQLite under simultaneous requests (the demo): WAL lets readers go on while one request
    # writes; IMMEDIATE makes each request's transaction take the write lock at BEGIN, so it
    # waits its turn instead of failing with "database is locked" when a read transaction
    # tries to become a writer after another request wrote. Requests are thus served one
    # transaction at a time: the busy timeout (seconds) is how long one may queue (8
    # simultaneous sign-ups, each hashing a password, queue ~20 s on a loaded 2-core machine).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 60,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
else:
    # Forms' choices are read with QuerySet.iterator(): on PostgreSQL a server-side cursor,
    # i.e. DECLARE, FETCH and CLOSE round trips per select for lists of a few dozen rows (and
    # unusable behind a transaction-pooling PgBouncer). Rows are fetched at once instead.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Each request is one transaction: an error never leaves half-written data behind.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared through Redis in production so that allauth's rate limits hold across workers.
# Optional (task outbox and resilience): while Redis does not answer within
# CACHE_SOCKET_TIMEOUT_SECONDS, a local-memory cache answers (solidaren/cache.py), and Redis is
# tried again after CACHE_RETRY_AFTER_SECONDS.
CACHE_URL = envstr("CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "solidaren.cache.FailOpenRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {
                "socket_timeout": envint("CACHE_SOCKET_TIMEOUT_SECONDS", 1),
                "socket_connect_timeout": envint("CACHE_SOCKET_TIMEOUT_SECONDS", 1),
                "retry_after": envint("CACHE_RETRY_AFTER_SECONDS", 10),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Parts of public pages kept in that cache until their data change (solidaren/page_cache.py):
# only with the shared Redis cache, at most this many seconds; 0 turns it off.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 600 if CACHE_URL else 0)
# Signed-in pages kept per user and session in the same way, at most this many seconds (they
# also change with the minute); 0 turns them off. Only while PAGE_CACHE_SECONDS is on.
SIGNED_IN_PAGE_CACHE_SECONDS = envint("SIGNED_IN_PAGE_CACHE_SECONDS", 60)

# --- Accounts and login protection -----------------------------------------------------------
# Every login form is allauth's (the back-office login redirects to it, see urls.py), so one
# policy applies everywhere: failed logins counted in the database by django-axes, per account
# and per IP, with a delay that grows with each failure; optional TOTP for staff, required for
# superusers (solidaren/login_protection.py, solidaren/accounts.py, solidaren/two_factor.py).
INSTALLED_APPS += ["allauth.mfa", "axes"]
MIDDLEWARE += [
    "solidaren.two_factor.SuperuserTOTPRequiredMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked login into the lockout page
]
AUTH_USER_MODEL = "solidaren.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a locked account or IP before any password is checked.
    "solidaren.login_protection.LoginProtectionBackend",
    # E-mail + password, and the permissions (it derives from Django's ModelBackend). Django's
    # own ModelBackend is left out: it would hash every wrong password a second time.
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: the e-mail address is the login and must be verified before the first login.
ACCOUNT_ADAPTER = "solidaren.accounts.AccountAdapter"
ACCOUNT_FORMS = {"signup": "solidaren.accounts.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True  # allauth's default, relied upon: same answer for any address
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
# The reset link proves the ownership of the address: it clears the account's failed logins and
# logs the owner in at once (through the TOTP step when they have one).
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[SolidaRen] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# allauth's rate limits count in the cache (CACHE_URL shares them between web processes). Wrong
# passwords are not counted there (the adapter leaves them to axes): allauth's per-address
# counter refused the right password for 5 minutes after 5 failures typed by anyone. The same
# "login_failed" limit still guards the second factor (wrong TOTP codes, per user and per IP).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Client IP for allauth's limits and axes' counters: the number of proxies in front of the
# portal whose X-Forwarded-For is trusted (0: the connection's address).
ALLAUTH_TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)

# Failed logins (django-axes, database handler: survives restarts, needs no Redis). An account
# is locked after LOGIN_FAILURES_PER_ACCOUNT failures within LOGIN_ACCOUNT_FAILURES_KEPT_HOURS,
# an IP after LOGIN_FAILURES_PER_IP within LOGIN_IP_FAILURES_KEPT_MINUTES (one office may share
# an address); the lock lasts LOGIN_LOCKOUT_MINUTES from the last failure, doubled for each
# further failure after it ends, at most LOGIN_LOCKOUT_MAX_MINUTES. Attempts during a lock are
# refused without being counted, so that an attacker cannot prolong it. A successful login
# forgets the account's own failures, a password reset all those typed for its addresses.
LOGIN_FAILURES_PER_ACCOUNT = envint("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_IP = envint("LOGIN_FAILURES_PER_IP", 20)
LOGIN_ACCOUNT_FAILURES_KEPT_HOURS = envint("LOGIN_ACCOUNT_FAILURES_KEPT_HOURS", 24)
LOGIN_IP_FAILURES_KEPT_MINUTES = envint("LOGIN_IP_FAILURES_KEPT_MINUTES", 60)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 5)
LOGIN_LOCKOUT_MAX_MINUTES = envint("LOGIN_LOCKOUT_MAX_MINUTES", 60)
AXES_HANDLER = "solidaren.login_protection.LoginFailureHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = "solidaren.login_protection.cooloff_time"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"  # allauth's login form field
AXES_USERNAME_CALLABLE = "solidaren.login_protection.login_identifier"
AXES_CLIENT_IP_CALLABLE = "solidaren.login_protection.client_ip"
AXES_LOCKOUT_CALLABLE = "solidaren.login_protection.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not kept (data minimisation)
AXES_VERBOSE = False

# Two-factor authentication (allauth.mfa): TOTP apps and recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SolidaRen"
# --- end of accounts and login protection ----------------------------------------------------

# E-mail: printed on the console in the demo, SMTP in production.
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(DATA_DIR / "emails"))
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "SolidaRen <ne-pas-repondre@solidaren.fr>")
SERVER_EMAIL = envstr("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
ADMINS = [("Admins", address) for address in envlist("ADMINS")]

# Internationalisation: French first, English available through the language switcher.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "solidaren" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
MEDIA_URL = "/media/"  # never served publicly: downloads go through permission-checked views
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Celery: with CELERY_BROKER_URL unset, tasks run in-process (eagerly) — the embedded demo.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# With no broker: tasks queued by a request run after its response in a background thread of
# the same process (solidaren/outbox.py), so that e.g. a year's PDFs do not keep the page
# waiting; 0 runs them in the request (the tests do, to assert their effects at once).
TASKS_IN_BACKGROUND = envbool("TASKS_IN_BACKGROUND", True)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis re-delivers an unacknowledged task after the visibility timeout; task time limits stay
# well below it so that a running task is never delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 900)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 840)
CELERY_WORKER_MAX_TASKS_PER_CHILD = envint("CELERY_WORKER_MAX_TASKS_PER_CHILD", 200)
# A worker child grown past this (KiB, e.g. after large PDF renders) is replaced after its task.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 400_000)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "close-ended-conventions": {
        "task": "conventions.close_ended_conventions",
        "schedule": crontab(hour=5, minute=30),
    },
    "refresh-stale-documents": {
        "task": "conventions.refresh_stale_documents",
        "schedule": crontab(hour=2, minute=0),
    },
    "expire-volunteer-proposals": {
        "task": "volontaires.expire_proposals",
        "schedule": crontab(minute="*/15"),
    },
    "volunteer-mission-reminders": {
        "task": "volontaires.send_mission_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "convention-renewal-reminders": {
        "task": "conventions.send_renewal_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
}

# Task outbox and resilience (solidaren/outbox.py): every task is written in the database with
# the data it acts on (OutboxTask) and published after the commit with short timeouts; a sweep
# (beat, every minute; the worker at start-up; `manage.py sweep_outbox`) sends what the broker
# refused and re-queues work left "en cours" by a worker that died.
OUTBOX_PUBLISH_TIMEOUT_SECONDS = envint("OUTBOX_PUBLISH_TIMEOUT_SECONDS", 2)
OUTBOX_SWEEP_AFTER_SECONDS = envint("OUTBOX_SWEEP_AFTER_SECONDS", 10)
OUTBOX_KEEP_SENT_DAYS = envint("OUTBOX_KEEP_SENT_DAYS", 7)
# Work still "en cours" this long after its task's time limit is lost (its worker died).
TASK_RECOVERY_MARGIN_SECONDS = envint("TASK_RECOVERY_MARGIN_SECONDS", 60)
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE["sweep-outbox"] = {
    "task": "solidaren.sweep_outbox",
    "schedule": 60.0,
    "options": {"expires": 55},  # a sweep not started within the minute gives way to the next
}
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "solidaren.outbox.DelayedWorkMiddleware",
)

# Conventions and yearly reports.
# Value of one hour of volunteering in yearly reports (minimum wage with employer charges).
VOLUNTEER_HOUR_VALUE = envstr("VOLUNTEER_HOUR_VALUE", "17.00")
# Who receives the conventions' reminders (renewal 6 months ahead); default: every active agent.
CONVENTION_ALERT_EMAILS = envlist("CONVENTION_ALERT_EMAILS")
# A yearly report's explanatory annex is required when a budget line's actual amount differs
# from the planned one by more than this percentage (conventions/rules.py).
REPORT_ANNEX_GAP_PERCENT = envint("REPORT_ANNEX_GAP_PERCENT", 20)

# Uploads (solidaren/uploads.py): the largest file accepted, in MB (PDF attachments). A request
# body above UPLOAD_MAX_MB + DATA_UPLOAD_MAX_MEMORY_SIZE is refused (413) before it is read, and
# an upload handler stops a streamed file as soon as it passes the limit; the reverse proxy
# should refuse such bodies first (nginx: client_max_body_size 11m for the default).
# REPORT_ATTACHMENT_MAX_MB is the former name of the same setting.
UPLOAD_MAX_MB = envint("UPLOAD_MAX_MB", envint("REPORT_ATTACHMENT_MAX_MB", 10))
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # form fields besides files; real forms stay far below
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # larger uploads are spooled to a temporary file
FILE_UPLOAD_HANDLERS = [
    "solidaren.uploads.UploadLimitHandler",  # first: sees every chunk before it is stored
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Volontaires Solidaires: proposals a volunteer may receive in a month (national platform: 2).
VOLUNTEER_MAX_SOLICITATIONS_PER_MONTH = envint("VOLUNTEER_MAX_SOLICITATIONS_PER_MONTH", 2)

# Programme figures and the agents' workload (aggregates over every row) are kept this long in
# the cache (volontaires/figures.py); 0 counts afresh on every page (development, tests).
FIGURES_CACHE_SECONDS = envint("FIGURES_CACHE_SECONDS", 0 if DEBUG else 120)

# `make bench` (solidaren/bench.py) only: serves the bare view /bench/ok it compares with.
BENCH_BARE_VIEW = envbool("BENCH_BARE_VIEW", False)
# An unanswered proposal expires after this many hours, and the next candidate is asked.
VOLUNTEER_PROPOSAL_HOURS = envint("VOLUNTEER_PROPOSAL_HOURS", 48)


# Personal data retention (volontaires/retention.py, daily; stated on /donnees-personnelles/).
# Residents are anonymised this many months after the last activity of their requests;
# volunteers after this many months without activity (warned by e-mail one month before);
# the access log of residents' records keeps its rows this many months.
def _retention_months(name: str, default: int) -> int:
    months = envint(name, default)
    if months < 1:
        raise ImproperlyConfigured(f"{name} must be a number of months, at least 1.")
    return months


RESIDENT_RETENTION_MONTHS = _retention_months("RESIDENT_RETENTION_MONTHS", 24)
VOLUNTEER_RETENTION_MONTHS = _retention_months("VOLUNTEER_RETENTION_MONTHS", 24)
RESIDENT_ACCESS_LOG_RETENTION_MONTHS = _retention_months("RESIDENT_ACCESS_LOG_RETENTION_MONTHS", 12)
CELERY_BEAT_SCHEDULE["personal-data-retention"] = {
    "task": "volontaires.apply_retention",
    "schedule": crontab(hour=3, minute=30),
}

# Orientation requests (associations/orientation.py): personal data of closed requests are
# blanked after this many months; reminders, expiry and anonymisation run daily.
ORIENTATION_RETENTION_MONTHS = envint("ORIENTATION_RETENTION_MONTHS", 24)
CELERY_BEAT_SCHEDULE["orientation-upkeep"] = {
    "task": "associations.orientation_upkeep",
    "schedule": crontab(hour=6, minute=15),
}
CELERY_BEAT_SCHEDULE["directory-freshness-reminders"] = {
    "task": "associations.freshness_reminders",
    "schedule": crontab(hour=8, minute=0),
}

# Change history (django-simple-history) is an audit trail: shown, never reverted from.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Security: strict by default in production (DEBUG=0); each setting can be relaxed explicitly.
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probed over plain HTTP inside the deployment
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Security headers: a Content-Security-Policy (django-csp) and a Permissions-Policy
# (django-permissions-policy) on every response, the back-office and allauth pages included.
# No inline script or style anywhere: our templates and the back-office overrides in
# templates/admin/ load theirs from /static/, and htmx's indicator styles are off (base.html).
INSTALLED_APPS += ["csp"]  # its system checks catch settings of the old 3.x format
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1,
    "django_permissions_policy.PermissionsPolicyMiddleware",
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: images only (they cannot run code): allauth's TOTP set-up page shows its QR
        # code as a data: URI.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],  # htmx polling and the back-office autocompletes
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Powerful browser features the portal never uses are denied to it and to any frame.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint": {"level": "WARNING"},  # its INFO lines narrate every rendering step
        "fontTools": {"level": "WARNING"},
    },
}
