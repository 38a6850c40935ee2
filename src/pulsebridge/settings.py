"""Pulsebridge settings: every value comes from the environment, with defaults that give a
working embedded install (SQLite under ``var/``, no broker, no Redis)."""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("PULSEBRIDGE_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()


def secret(name: str, default: str | None = None) -> str:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set")
    return value


def _dev_secret_key() -> str:
    # An embedded install keeps its own random key on disk so that signed cursors and sessions
    # survive restarts; production sets SECRET_KEY explicitly.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _dev_field_encryption_key() -> str:
    # Like the SECRET_KEY above: an embedded install (no SECRET_KEY given) encrypts its stored
    # secrets with a key of its own, made on first run and kept beside its database.
    path = VAR_DIR / "field_encryption_key"
    if not path.exists():
        from cryptography.fernet import Fernet

        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = secret("SECRET_KEY", default="") or _dev_secret_key()
# Keys that encrypt the stored secrets that must be read back (webhook signing secrets, Tenovi
# auth_key values): comma-separated Fernet keys, the first encrypts, all decrypt (lib/encryption.py,
# `pulsebridge secrets rotate`). Required once SECRET_KEY is given (production: every host needs
# the same keys); an embedded install without SECRET_KEY makes its own in VAR_DIR.
FIELD_ENCRYPTION_KEYS = [
    key.strip() for key in secret("FIELD_ENCRYPTION_KEYS", default="").split(",") if key.strip()
]
if not FIELD_ENCRYPTION_KEYS:
    if secret("SECRET_KEY", default=""):
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEYS_FILE) must be set when SECRET_KEY is: "
            "one or more Fernet keys, comma-separated, the same on every host"
        )
    FIELD_ENCRYPTION_KEYS = [_dev_field_encryption_key()]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by the app (no CDN)
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",
    "pulsebridge.core",
    "pulsebridge.devices",
    "pulsebridge.readings",
    "pulsebridge.fulfillment",
    "pulsebridge.webhooks",
    "pulsebridge.care",
    "pulsebridge.tracking",
    "pulsebridge.billing",
    "pulsebridge.alerts",
    "pulsebridge.operations",
    "pulsebridge.dialects.fhir.apps.FhirConfig",  # the Bulk Data export jobs
    "pulsebridge.console",
]

MIDDLEWARE = [
    # outermost: counts and times every answer, the error pages included (/metrics, logs)
    "pulsebridge.lib.metrics.observe_requests",
    # anywhere in the list: every response is rendered inside the innermost middleware
    "pulsebridge.lib.middleware.release_rendered_responses",
    # outside the session and CSRF middleware, so that it sees the cookies they set
    "pulsebridge.lib.middleware.secure_cookies_over_https",
    "pulsebridge.lib.middleware.no_store",
    "django.middleware.security.SecurityMiddleware",
    "pulsebridge.lib.middleware.refuse_long_query_strings",
    # the console's static files, before anything that would look at a session
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pulsebridge.lib.middleware.DocumentCSPMiddleware",
]

ROOT_URLCONF = "pulsebridge.urls"
WSGI_APPLICATION = "pulsebridge.wsgi.application"
# Vendor paths are matched exactly: /pylo/devices has no trailing slash; the dialects that want
# one (Tenovi, PING) redirect themselves.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pulsebridge.console.context.console",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pulsebridge.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes; IMMEDIATE makes a
    # writing transaction take its lock up front instead of failing half-way with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server, not spliced into the SQL text by the driver, and a statement
    # run PREPARE_THRESHOLD times on a connection prepared there (psycopg keeps 100 per
    # connection): PostgreSQL then parses and plans it once, which matters most to one-reading
    # requests (bench P2; the figure is in docs/performance.md, "Figures from the code"). Set
    # PREPARE_THRESHOLD=off behind a pooler that cannot keep prepared statements (PgBouncer
    # before 1.21 in transaction mode).
    PREPARE_THRESHOLD = env.str("PREPARE_THRESHOLD", default="5").strip().lower()
    if PREPARE_THRESHOLD not in ("", "off") and not PREPARE_THRESHOLD.isdigit():
        raise ImproperlyConfigured(
            f"PREPARE_THRESHOLD={PREPARE_THRESHOLD!r}: a whole number of executions, or off"
        )
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": True,
            "prepare_threshold": int(PREPARE_THRESHOLD) if PREPARE_THRESHOLD.isdigit() else None,
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every process: Redis when configured, else a table in the database.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "pulsebridge_cache",
        }
    }

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # OAuth client secrets only (CLIENT_SECRET_HASHER below): 128 random characters need no slow hash
    "pulsebridge.core.hashers.KeyedSecretHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise looks there too (for `collectstatic` output)
# whitenoise serves the apps' static files where they are (the console's, with the libraries
# `make install` copied beside them): no collectstatic step, so `make run` stays one command.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The console's sign-in: sessions in the database, cookies the page's scripts cannot read, and
# marked Secure whenever the request came over HTTPS (lib.middleware.secure_cookies_over_https;
# behind a TLS proxy, set SECURE_PROXY_SSL_HEADER). SECURE_COOKIES=true marks them always.
LOGIN_URL = "/"
SESSION_COOKIE_AGE = env.int("CONSOLE_SESSION_SECONDS", default=12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)


def proxy_ssl_header(raw: str) -> tuple[str, str]:
    """``X-Forwarded-Proto: https`` or Django's ``HTTP_X_FORWARDED_PROTO,https``: the header the
    proxy that ends TLS sets (and only it), and the value that means HTTPS."""
    name, sep, value = raw.partition(":") if ":" in raw else raw.partition(",")
    name = name.strip().upper().replace("-", "_")
    if not sep or not name or not value.strip():
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER={raw!r}: write it as 'X-Forwarded-Proto: https'"
        )
    return (name if name.startswith("HTTP_") else f"HTTP_{name}", value.strip())


if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env.str("SECURE_PROXY_SSL_HEADER"))
# HSTS on every answer to an HTTPS request (SecurityMiddleware sends none over plain HTTP).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 86400)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
# Django's admin site at /admin/: off unless an operator turns it on.
ADMIN_ENABLED = env.bool("ADMIN_ENABLED", default=False)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Failed console sign-ins allowed per account and per address within the window, then refused
# with 429 and Retry-After until the window has passed (console/signin.py).
CONSOLE_SIGNIN_FAILURES_PER_ACCOUNT = env.int("CONSOLE_SIGNIN_FAILURES_PER_ACCOUNT", default=5)
CONSOLE_SIGNIN_FAILURES_PER_ADDRESS = env.int("CONSOLE_SIGNIN_FAILURES_PER_ADDRESS", default=20)
CONSOLE_SIGNIN_WINDOW_SECONDS = env.int("CONSOLE_SIGNIN_WINDOW_SECONDS", default=15 * 60)
# The same for every other password or secret check (PING log-in, token endpoint and password
# change, /admin/ log-in: core/lockout.py), per account or OAuth client and per address.
CREDENTIAL_FAILURES_PER_ACCOUNT = env.int("CREDENTIAL_FAILURES_PER_ACCOUNT", default=10)
CREDENTIAL_FAILURES_PER_ADDRESS = env.int("CREDENTIAL_FAILURES_PER_ADDRESS", default=50)
CREDENTIAL_WINDOW_SECONDS = env.int("CREDENTIAL_WINDOW_SECONDS", default=15 * 60)

# Content-Security-Policy of every HTML page (lib.middleware.DocumentCSPMiddleware, django-csp):
# scripts, styles, images and requests from this origin only; no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CONTENT_SECURITY_POLICY_EXEMPT_PATHS = ("/ping/auth/",)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# FHIR Bulk Data export files. Web and worker processes on several hosts must share this place
# (a shared volume, or object storage through a Django storage backend set here).
FHIR_EXPORT_DIR = Path(env.str("FHIR_EXPORT_DIR", default=str(VAR_DIR / "fhir-exports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "fhir_exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(FHIR_EXPORT_DIR),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}
# An export's files are deleted this long after it finished.
FHIR_EXPORT_RETENTION_SECONDS = env.int("FHIR_EXPORT_RETENTION_SECONDS", default=24 * 3600)
# Resources per NDJSON file (one checkpoint each); seconds a worker spends on one export before
# it queues the rest; how long a worker's claim on an export holds without a checkpoint.
FHIR_EXPORT_PART_SIZE = env.int("FHIR_EXPORT_PART_SIZE", default=50_000)
FHIR_EXPORT_SLICE_SECONDS = env.float("FHIR_EXPORT_SLICE_SECONDS", default=30.0)
FHIR_EXPORT_LEASE_SECONDS = env.int("FHIR_EXPORT_LEASE_SECONDS", default=120)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Pulsebridge <noreply@pulsebridge.local>"
)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["pulsebridge.lib.parsers.StrictJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pulsebridge",
    "DESCRIPTION": "Connected-care device cloud: Pylo, Tenovi, Hayylo and PING dialects on one core.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Outbound webhooks refuse private and loopback addresses unless this is set (dev and tests).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = env.int("WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", default=8)

# Default usage plans given to keys created without explicit limits.
DEFAULT_RATE_PER_SECOND = {
    "pylo": 50,
    "tenovi": 1,
    "hayylo": 10,
    "ingest": 500,
    "fhir": 20,
    "api": 20,
}
# How long a server process trusts an API key it has verified (core/apikeys.py); 0: not at all.
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", default=5.0)

# LOG_FORMAT=json: one JSON object per line (python-json-logger), with the extra fields a line
# carries (a request's id, company, route, status, duration_ms). LOG_REQUESTS: one line per
# request (on by default with json). Neither ever holds a secret, a body or a patient's values.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: plain or json")
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        "pulsebridge": {"level": env.str("PULSEBRIDGE_LOG_LEVEL", default="INFO")},
    },
}

# Webhook body renderers per endpoint format: dotted paths so that the webhooks app never
# imports a dialect package.
WEBHOOK_RENDERERS = {
    "pylo": "pulsebridge.dialects.pylo.webhooks.render",
    "tenovi": "pulsebridge.dialects.tenovi.webhooks.render",
}
# Event types rendered the same for every endpoint format (the Standard Webhooks JSON body of
# docs/webhooks.md), sent only to endpoints that list them (webhooks.models.OPT_IN_EVENTS).
WEBHOOK_EVENT_RENDERERS = {
    "ALERT_RAISED": "pulsebridge.alerts.webhooks.render",
    "ALERT_RESOLVED": "pulsebridge.alerts.webhooks.render",
}
# Called by readings.services.record_measurements with the rows it is about to store (dotted
# paths, so the readings app imports none of them): each answers None or a function that runs
# in the readings' transaction with the rows that went in (alert evaluation).
READING_SCREENS = ["pulsebridge.alerts.evaluation.screen"]
# A reading received this long after it was measured raises its alert marked late.
ALERT_LATE_AFTER_MINUTES = env.int("ALERT_LATE_AFTER_MINUTES", default=60)
# How long a process trusts the alert rules it loaded (0: reads them for every batch); a change
# made in the same process is seen at once.
ALERT_RULES_CACHE_SECONDS = env.float("ALERT_RULES_CACHE_SECONDS", default=5.0)

# Which endpoints of a format receive which subject, where the format has a rule of its own.
WEBHOOK_SELECTORS = {
    "tenovi": "pulsebridge.dialects.tenovi.webhooks.select",
}

# The webhook workers LISTEN for new deliveries on a session of their own: on the database
# itself, not through a pooler in transaction mode (a libpq URL; empty: DATABASE_URL's server).
LISTEN_DATABASE_URL = env.str("LISTEN_DATABASE_URL", default="")

# How long a webhook worker holds the deliveries it claimed before another worker may take them
# over (a worker that died mid-send). At least twice the timeout, so a live send is never doubled.
WEBHOOK_CLAIM_LEASE_SECONDS = env.float("WEBHOOK_CLAIM_LEASE_SECONDS", default=60.0)

# PING OAuth2 (django-oauth-toolkit). The document shows neither PKCE nor one redirect URI per
# application, so PKCE is optional and the validator picks the first registered URI.
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "pulsebridge.dialects.ping.oauth.PingOAuth2Validator",
    "PKCE_REQUIRED": False,
    "SCOPES": {
        "read": "Read your trackers and data",
        "write": "Change them",
        # SMART Backend Services style scopes of the FHIR API (dialects/fhir/auth.py)
        "system/Patient.read": "Read every patient of your company (FHIR)",
        "system/Device.read": "Read every device of your company (FHIR)",
        "system/Observation.read": "Read every reading of your company (FHIR)",
        "system/*.read": "Read everything the FHIR API serves",
    },
    "DEFAULT_SCOPES": ["read", "write"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("PING_ACCESS_TOKEN_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("PING_REFRESH_TOKEN_SECONDS", default=30 * 86400),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    # client secrets: a keyed SHA-256 (core.hashers), argon2 ones upgraded on their next use
    "CLIENT_SECRET_HASHER": "pb_hmac_sha256",
    # access and refresh tokens: only their SHA-256 is stored (RFC 9700 §2.2, the toolkit's gate)
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

# History kept, in days, of the tables partitioned by month on PostgreSQL (whole months past it
# are dropped by the worker's daily upkeep; unset: kept for ever). `pulsebridge partitions`.
READINGS_RETENTION_DAYS = env.int("READINGS_RETENTION_DAYS", default=None)
TRACKER_EVENTS_RETENTION_DAYS = env.int("TRACKER_EVENTS_RETENTION_DAYS", default=None)
DELIVERY_ATTEMPTS_RETENTION_DAYS = env.int("DELIVERY_ATTEMPTS_RETENTION_DAYS", default=90)

# Retention, by the background worker (hourly; operations/retention.py): webhook deliveries that
# succeeded (with their attempts) and the bodies of finished Hayylo import batches (the batch
# and its outcome stay) are removed after these many days; unset or 0: kept for ever.
SUCCEEDED_DELIVERIES_RETENTION_DAYS = env.int("SUCCEEDED_DELIVERIES_RETENTION_DAYS", default=30)
IMPORT_BODIES_RETENTION_DAYS = env.int("IMPORT_BODIES_RETENTION_DAYS", default=7)
# Retention steps owned by a wire format, run with the above (FHIR_EXPORT_RETENTION_SECONDS).
RETENTION_STEPS = {"fhir_exports": "pulsebridge.dialects.fhir.exports.prune_exports"}

# /readyz: ready while a background worker beat within this many seconds (each writes its
# heartbeat every WORKER_HEARTBEAT_SECONDS) and the oldest due webhook delivery is later than
# its time by at most READYZ_OUTBOX_LAG_SECONDS. READYZ_REQUIRE_WORKER=false: web hosts whose
# workers are watched apart.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=10.0)
READYZ_WORKER_HEARTBEAT_SECONDS = env.float("READYZ_WORKER_HEARTBEAT_SECONDS", default=60.0)
READYZ_OUTBOX_LAG_SECONDS = env.float("READYZ_OUTBOX_LAG_SECONDS", default=300.0)
READYZ_REQUIRE_WORKER = env.bool("READYZ_REQUIRE_WORKER", default=True)
# /metrics asks for "Authorization: Bearer <METRICS_TOKEN>" when it is set (or METRICS_TOKEN_FILE).
METRICS_TOKEN = secret("METRICS_TOKEN", default="")

# The largest JSON body of any API but Hayylo's (1,000 ingest readings are about 250 kB): one
# byte more is 413 in the dialect's shape (lib/parsers.py). Django's own limit on a form body.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# A longer query string is 414 in the dialect's shape (lib/middleware.refuse_long_query_strings).
MAX_QUERY_STRING_BYTES = env.int("MAX_QUERY_STRING_BYTES", default=4096)

# Hayylo Inbound API: the document's 6 MB request limit, read as 6 MiB (AWS Lambda's limit).
HAYYLO_MAX_BODY_BYTES = env.int("HAYYLO_MAX_BODY_BYTES", default=6 * 1024 * 1024)
# Records per step of a care import: one query per table per step, memory bounded by the step.
CARE_IMPORT_CHUNK_SIZE = env.int("CARE_IMPORT_CHUNK_SIZE", default=2000)
