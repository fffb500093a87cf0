"""Settings for the matchmaking service, driven entirely by environment variables.

With nothing set, the service runs on a bare machine: a SQLite file, Celery on kombu's
filesystem transport and a file email backend, all under ``var/``. Production is switched on by
environment variables (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``DEBUG=false``, ...),
never by a separate settings module. A malformed value stops start-up with a message naming the
variable.
"""

import os
import zoneinfo
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _
from django_guid.integrations import CeleryIntegration

# Lets admin and query set classes be subscripted for type checking.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def env_raw(name: str) -> str | None:
    """The variable's value, or the content of the file ``<NAME>_FILE`` names (how container
    platforms hand out secrets); None when neither is set. Both set is a mistake."""
    path = os.environ.get(f"{name}_FILE")
    if path is None:
        return os.environ.get(name)
    if name in os.environ:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}_FILE names a file that cannot be read: {exc}") from None


def env_str(name: str, default: str) -> str:
    value = env_raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw) if raw else default


# SQLite is for a bare machine: WAL, a busy timeout and IMMEDIATE transactions let the web and
# worker processes share the file without "database is locked".
_SQLITE_OPTIONS: dict[str, Any] = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def env_database(name: str, default: dict[str, Any]) -> dict[str, Any]:
    raw = env_raw(name)
    if not raw:
        return default
    scheme = raw.split("://", 1)[0]
    if "://" not in raw or scheme not in environ.Env.DB_SCHEMES:
        known = ", ".join(sorted({"postgres", "postgresql", "sqlite", "mysql"}))
        raise ImproperlyConfigured(f"{name} must be a database URL ({known}), not {raw!r}.")
    try:
        config: dict[str, Any] = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} names an unsupported database: {raw!r}.")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = _SQLITE_OPTIONS
        return config
    config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.postgresql":
        # No parallel query plans (PostgreSQL's default allows two workers per query): every
        # query here reads a page's worth of rows by index, and under load a parallel plan
        # starts processes to read them, taking the cores the other requests are waiting for.
        workers = env_int("DATABASE_PARALLEL_WORKERS", 0, minimum=0)
        options = config.setdefault("OPTIONS", {})
        options["options"] = " ".join(
            filter(None, [options.get("options"), f"-c max_parallel_workers_per_gather={workers}"])
        )
    return config


def env_redis_url(name: str) -> str | None:
    raw = env_raw(name)
    if not raw:
        return None
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name} must be a redis:// or rediss:// URL, not {raw!r}.")
    return raw


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name, default)
    if value not in zoneinfo.available_timezones():
        raise ImproperlyConfigured(f"{name} is not a known time zone: {value!r}.")
    return value


VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")

DEBUG = env_bool("DEBUG", True)


def _development_secret_key() -> str:
    # A bare machine gets its own random key, kept under var/ so sessions survive restarts; no
    # key is ever written in the code.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = _development_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Before the admin, as django-modeltranslation asks (programs/translation.py).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "django_guid",
    "csp",
    "auditlog",
    "programs",
    "applicants",
    "matchmaker",
]

MIDDLEWARE = [
    # First: a load balancer's probe is answered before host checks, HTTPS redirects, sessions.
    "matchmaker.health.HealthCheckMiddleware",
    # A request id for every log line of the request (and of the tasks it enqueues).
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language wins over the cookie and the browser's.
    "applicants.languages.UserLanguageMiddleware",
    # The signed-in user is the actor of the audit log entries a request writes.
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lock-out into its response.
    "axes.middleware.AxesMiddleware",
]

# The audit log (django-auditlog; what it watches is programs/audit.py). Changes are kept as JSON
# values (None stays null, lists stay lists) rather than text. Entries carry the request id of
# the log lines (django-guid), not the client's address: we name actors by account, and a proxy's
# X-Forwarded-For, which auditlog would take as the address, is the client's to forge.
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_REMOTE_ADDR = True
AUDITLOG_CID_GETTER = "django_guid.get_guid"

ROOT_URLCONF = "matchmaker.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "matchmaker.wsgi.application"

_SQLITE_DATABASE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": VAR_DIR / "matchmaker.sqlite3",
    "OPTIONS": _SQLITE_OPTIONS,
    # A file, not memory, so a Celery worker started by the integration tests shares it; one per
    # test process, so two test runs on one machine never share it.
    "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
}
DATABASES = {"default": env_database("DATABASE_URL", _SQLITE_DATABASE)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "applicants.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out client before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "companies:list"
LOGOUT_REDIRECT_URL = "programs:list"
# Verification and password-reset links stay valid for three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# Lock-out after repeated failures (django-axes): by user name and address together, so one
# attacker cannot lock every account from one address, nor one account from everywhere.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hant", _("Traditional Chinese")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Program content (programs/translation.py): a text missing in the reader's language is shown in
# English, or else in whichever language it was written in.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en", "zh-hant", "ru")}
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded documents live here and are served only through views that check access.
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
MEDIA_URL = "/media-not-served/"
# Uploads above this go to a temporary file instead of memory; the document limit is 10 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

REDIS_URL = env_redis_url("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "matchmaker",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery. Without REDIS_URL the broker is kombu's filesystem transport under var/, so a worker
# runs on a bare machine; with it, Redis. Results are not stored: tasks write to the database.
_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        # Tasks are acked late, so an unacked message comes back after this; every time limit
        # below stays well under it.
        "visibility_timeout": 3600,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
        # The folder is polled; a short interval keeps a bare machine's matches prompt.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# The beat schedule, in one place.
CELERY_BEAT_SCHEDULE = {
    # Heals lost messages, killed workers and a restarted broker: finds stale or missing
    # scoring in the database and enqueues it again.
    "matching-reconcile": {
        "task": "matchmaker.reconcile",
        "schedule": env_int("MATCHING_RECONCILE_SECONDS", 300, minimum=5),
    },
    # Sends what the outbox holds and retries what failed; new mail also wakes the sender at
    # once, so this sweep only picks up what a lost message or a crash left behind.
    "outbox-send": {
        "task": "matchmaker.send_outbox",
        "schedule": env_int("OUTBOX_SWEEP_SECONDS", 60, minimum=5),
    },
    # Deadline reminders at each program's offsets, and the new-matches digests that are due.
    "deadline-reminders": {
        "task": "programs.send_reminders",
        "schedule": env_int("REMINDER_TICK_SECONDS", 900, minimum=5),
    },
    "new-matches-digest": {
        "task": "programs.send_digests",
        "schedule": env_int("DIGEST_TICK_SECONDS", 3600, minimum=5),
    },
}

# Matching: companies per chunk of a fan-out; how long a changed profile may wait for its own
# task before reconcile steps in; how long a chunk may be pending before it is re-enqueued
# (above the task time limit, so a running chunk is never doubled).
MATCHING_CHUNK_SIZE = env_int("MATCHING_CHUNK_SIZE", 500, minimum=1)
MATCHING_RECONCILE_GRACE = env_int("MATCHING_RECONCILE_GRACE", 30)
MATCHING_CHUNK_TIMEOUT = env_int("MATCHING_CHUNK_TIMEOUT", CELERY_TASK_TIME_LIMIT + 60, minimum=1)

# Workers write a heartbeat row this often; /health/ counts a worker alive while its row is
# younger than the max age.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 60, minimum=2)

# Email: a file per message under var/mail/ unless SMTP is configured.
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env_path("EMAIL_FILE_PATH", VAR_DIR / "mail")
# Where links in mail sent from the background point (scheme and host, no path).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pilot programs <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The outbox's sender (matchmaker.outbox): mails claimed per batch; sending attempts before a
# mail is marked failed; how long a claimed mail may stay "sending" before another sender takes
# it for abandoned (its worker died) and sends it again. The lease outlasts the task time limit,
# so a living sender's claim is never taken from it.
OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 50, minimum=1)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", CELERY_TASK_TIME_LIMIT + 300, minimum=60)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's handler, plus a security log line for every 401 and 403.
    "EXCEPTION_HANDLER": "matchmaker.security.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "eligibility": env_str("ELIGIBILITY_RATE", "120/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Pilot program matchmaking API",
    "DESCRIPTION": (
        "Open innovation programs of city agencies, their eligibility rules, and instant "
        "eligibility checks of a company's facts against them."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page is served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Open data (programs/ocds.py): every program is an OCDS contracting process whose ocid is this
# prefix, a hyphen and the program's slug. Publish with the prefix the Open Contracting Partnership
# registers for you; the default, its documentation's placeholder, marks unregistered data.
OCDS_OCID_PREFIX = env_str("OCDS_OCID_PREFIX", "ocds-xxxxxx")
if not (
    OCDS_OCID_PREFIX.startswith("ocds-")
    and len(OCDS_OCID_PREFIX) == len("ocds-") + 6
    and OCDS_OCID_PREFIX[5:].isascii()
    and OCDS_OCID_PREFIX[5:].isalnum()
):
    raise ImproperlyConfigured(
        "OCDS_OCID_PREFIX must be ocds- and the six letters or digits registered for you, "
        f"e.g. ocds-a1b2c3, not {OCDS_OCID_PREFIX!r}."
    )

# Logs go to the console (the process manager keeps them): plain lines while developing, one
# JSON object a line in production (LOG_FORMAT=json|plain). Every line carries the request id
# (``X-Request-ID``: taken from the proxy when it is a valid id, otherwise made here, and sent
# back in the response) and tasks enqueued by a request log the same id.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "correlation_id": "request_id",
            },
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes announces its configuration at every start; lock-outs are warnings.
        "axes": {"level": "WARNING"},
        # It would say at every request that the proxy sent no request id.
        "django_guid": {"level": "WARNING"},
        # Failed sign-ins and refused authorisations (matchmaker.security) stay visible.
        "matchmaker.security": {"level": "INFO"},
    },
}

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    # Tasks log the id of the request that enqueued them, and workers log through LOGGING.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)],
    "UUID_LENGTH": 32,
}

# Content Security Policy: our own scripts, styles, images and fonts only; no inline script or
# style. The API docs page loosens it for Redoc alone (matchmaker.urls).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
