"""Settings: every knob comes from an environment variable read once here (see ocr_review/env.py).

Defaults run everything embedded (SQLite in WAL mode + django-q2's ORM broker). ``DATABASE_URL``
(PostgreSQL) and ``REDIS_URL`` (Redis broker) switch to the multi-machine set-up.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from . import backends
from .env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OCR_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"
# DJANGO_SECRET_KEY, else the key run_app.sh keeps in VAR_DIR/secret_key, else (DEBUG) a dev key.
_KEY_FILE = VAR_DIR / "secret_key"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or (
    _KEY_FILE.read_text().strip() if _KEY_FILE.is_file() else ""
)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            f"set DJANGO_SECRET_KEY (or run scripts/run_app.sh once: it keeps one in {_KEY_FILE})"
        )
    SECRET_KEY = _DEV_SECRET
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY: the development key is only for DEBUG=1")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# -- transport and browser security --------------------------------------------------------------
# DJANGO_HTTPS=1 in production: the app is reached over TLS, usually through a reverse proxy that
# sets X-Forwarded-Proto (DJANGO_BEHIND_PROXY=1). `manage.py check --deploy` is clean with both.
HTTPS = env_bool("DJANGO_HTTPS", False)
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A working day at most, and logged out after 30 idle minutes (ocr_review.middleware).
SESSION_COOKIE_AGE = env_int("SESSION_MAX_AGE_S", 8 * 3600, minimum=60)
SESSION_IDLE_TIMEOUT_S = env_int("SESSION_IDLE_TIMEOUT_S", 30 * 60, minimum=0)
# No inline script anywhere; styles may be inline (Django admin uses style attributes).
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_q: its `qcluster` command replaces django-q2's (clean shutdown on SIGTERM).
    "processing",
    "django_q",
    "axes",
    "documents",
    "recognition",
    "reviews",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ocr_review.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "ocr_review.middleware.UserTimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ocr_review.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it answers a locked-out login with 429 (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ocr_review.urls"
WSGI_APPLICATION = "ocr_review.wsgi.application"
ASGI_APPLICATION = "ocr_review.asgi.application"

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
                "documents.context_processors.roles",
            ],
        },
    },
]

# -- database ------------------------------------------------------------------------------------
SQLITE_PATH = Path(env_str("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")))
DATABASE_URL = env_str("DATABASE_URL", "")
DATABASES = {
    "default": backends.database(
        DATABASE_URL,
        sqlite_path=SQLITE_PATH,
        sqlite_test_path=Path(env_str("SQLITE_TEST_PATH", str(VAR_DIR / "test-db.sqlite3"))),
        busy_timeout_s=env_int("SQLITE_BUSY_TIMEOUT_S", 30, minimum=1),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- task queue (django-q2) ----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
# Three queues, each served by its own cluster (`Q_CLUSTER_NAME=<queue name> manage.py qcluster`)
# with its own workers and timeout, so a slow webhook receiver or a long fine-tuning run never
# delays recognition. run_app.sh starts all three; on many machines start each where it belongs.
Q_NAME = env_str("Q_NAME", "ocr_review")
Q_QUEUES = {
    "recognition": Q_NAME,
    "webhooks": f"{Q_NAME}-webhooks",
    "background": f"{Q_NAME}-background",  # corrections exports, model evaluation, fine-tuning
}
Q_WORKERS = env_int("Q_WORKERS", 1, minimum=1)
Q_TIMEOUT_S = env_int("Q_TIMEOUT_S", 600, minimum=10)
Q_RETRY_GRACE_S = env_int("Q_RETRY_GRACE_S", 60, minimum=1)
API_WEBHOOK_DEADLINE_S = env_float("API_WEBHOOK_DEADLINE_S", 10.0)
Q_BACKGROUND_TIMEOUT_S = env_int("Q_BACKGROUND_TIMEOUT_S", 6 * 3600, minimum=60)
Q_CLUSTER = {
    "name": Q_QUEUES["recognition"],
    "workers": Q_WORKERS,
    "recycle": env_int("Q_RECYCLE", 200),
    "timeout": Q_TIMEOUT_S,
    # retry must exceed timeout, or a slow task is handed to a second worker while still running.
    "retry": Q_TIMEOUT_S + Q_RETRY_GRACE_S,
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 3, minimum=1),
    "ack_failures": True,
    "max_rss": env_int("Q_MAX_RSS_KB", 900_000),
    "save_limit": 500,
    # One task waiting per worker: a stopping cluster finishes what its workers hold, so a long
    # local queue would keep it busy (and deaf to SIGTERM) for minutes.
    "queue_limit": env_int("Q_QUEUE_LIMIT", Q_WORKERS, minimum=1),
    "catch_up": False,
    "label": "Task queue",
    "poll": env_float("Q_POLL_S", 0.5),
    "ALT_CLUSTERS": {
        Q_QUEUES["webhooks"]: {
            "workers": env_int("Q_WEBHOOK_WORKERS", 2, minimum=1),
            "queue_limit": env_int("Q_WEBHOOK_WORKERS", 2, minimum=1),
            "timeout": int(API_WEBHOOK_DEADLINE_S) + 30,
            "retry": int(API_WEBHOOK_DEADLINE_S) + 30 + Q_RETRY_GRACE_S,
            "max_rss": 300_000,
        },
        Q_QUEUES["background"]: {
            "workers": env_int("Q_BACKGROUND_WORKERS", 1, minimum=1),
            "queue_limit": 1,
            "timeout": Q_BACKGROUND_TIMEOUT_S,
            "retry": Q_BACKGROUND_TIMEOUT_S + Q_RETRY_GRACE_S,
            "max_rss": env_int("Q_BACKGROUND_MAX_RSS_KB", 4_000_000),
        },
    },
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
CACHES = {
    "default": backends.cache(
        REDIS_URL,
        redis_db=env_int("REDIS_CACHE_DB", 1, minimum=0),
        key_prefix=Q_NAME,
        files_dir=VAR_DIR / "cache",
    )
}
# Run tasks inline in the calling process (tests, one-off scripts), read per call.
OCR_TASKS_SYNC = env_bool("OCR_TASKS_SYNC", False)

# -- files and intake ----------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files, page images and export archives go through Django's storage API only: a shared
# folder by default (MEDIA_ROOT, e.g. NFS for many machines), or an object store with no code
# change, e.g. OCR_FILE_STORAGE=storages.backends.s3.S3Storage (pip install django-storages[s3])
# and OCR_FILE_STORAGE_OPTIONS='{"bucket_name": "ocr", "endpoint_url": "https://s3.bank.internal"}'.
STORAGES = {
    "default": {
        "BACKEND": env_str("OCR_FILE_STORAGE", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(env_str("OCR_FILE_STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

OCR_MAX_UPLOAD_BYTES = env_int("OCR_MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024
# A JSON submission carries the file base64-encoded (4/3 of its size).
DATA_UPLOAD_MAX_MEMORY_SIZE = OCR_MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
OCR_MAX_PDF_PAGES = env_int("OCR_MAX_PDF_PAGES", 20, minimum=1)
OCR_MAX_IMAGE_PIXELS = env_int("OCR_MAX_IMAGE_PIXELS", 60_000_000, minimum=1_000_000)
OCR_MAX_DOCUMENT_PIXELS = env_int("OCR_MAX_DOCUMENT_PIXELS", 200_000_000, minimum=1_000_000)
OCR_PDF_DPI = env_int("OCR_PDF_DPI", 150, minimum=72)
OCR_MAX_ATTEMPTS = env_int("OCR_MAX_ATTEMPTS", 3, minimum=1)
OCR_STUCK_AFTER_S = env_int("OCR_STUCK_AFTER_S", Q_TIMEOUT_S + 120)
OCR_MIN_FREE_DISK_MB = env_int("OCR_MIN_FREE_DISK_MB", 1024, minimum=0)  # else /readyz: not ready
# Document exports of more documents than this run as a background job with a progress bar.
OCR_EXPORT_SYNC_MAX = env_int("OCR_EXPORT_SYNC_MAX", 500, minimum=1)

# -- retention (manage.py purge, scheduled daily) ------------------------------------------------
# Days a closed document (completed/failed, with pages, fields, events and files), an audit event
# of a closed document, and a delivered or abandoned webhook are kept after their last change;
# 0 keeps them forever. Open documents are never purged.
OCR_RETAIN_DOCUMENTS_DAYS = env_int("OCR_RETAIN_DOCUMENTS_DAYS", 0, minimum=0)
OCR_RETAIN_EVENTS_DAYS = env_int("OCR_RETAIN_EVENTS_DAYS", 0, minimum=0)
OCR_RETAIN_WEBHOOKS_DAYS = env_int("OCR_RETAIN_WEBHOOKS_DAYS", 0, minimum=0)

# -- recognition ---------------------------------------------------------------------------------
OCR_WEIGHTS_DIR = Path(env_str("OCR_WEIGHTS_DIR", str(BASE_DIR / "recognition" / "weights")))
OCR_TORCH_THREADS = env_int("OCR_TORCH_THREADS", 1, minimum=1)
# Registered model versions (shared by every worker machine) and the fixed evaluation sets.
OCR_MODEL_STORE = Path(env_str("OCR_MODEL_STORE", str(MEDIA_ROOT / "models")))
OCR_EVAL_DIR = Path(env_str("OCR_EVAL_DIR", str(VAR_DIR / "eval")))
OCR_HELDOUT_LINES = env_int("OCR_HELDOUT_LINES", 1000, minimum=10)
# A version is activated only if no worse on the fixed synthetic set AND, when this names a line
# folder (e.g. the val/ split of a corrections export), on those held-out real corrected crops.
OCR_GATE_REAL_LINES = env_str("OCR_GATE_REAL_LINES", "")
# Which model re-reads numeric fields from their value box: "general" (PP-OCRv6) or "numeric"
# (our CRNN; better on synthetic bills only; recognition/weights/MODEL_CARD.md).
OCR_NUMERIC_FIELDS_MODEL = env_choice("OCR_NUMERIC_FIELDS_MODEL", ("general", "numeric"))
# Page lines are read first by this model ("": none), those it is unsure of again (ppocr.cascade).
OCR_FAST_READER = env_str("OCR_FAST_READER", str(OCR_WEIGHTS_DIR / "ppocr-v6-tiny-ft.onnx"))
OCR_FAST_READER_MIN_CONFIDENCE = env_float(
    "OCR_FAST_READER_MIN_CONFIDENCE", 0.98, minimum=0.01, maximum=1
)
# A worker whose model cannot be loaded gives its task back after this pause (seconds).
OCR_MODEL_RETRY_S = env_float("OCR_MODEL_RETRY_S", 30.0)
# The text detector's input, in pixels: a worker's peak memory grows ~180 bytes a pixel.
OCR_DETECTOR_MAX_PIXELS = env_int("OCR_DETECTOR_MAX_PIXELS", 2_600_000, minimum=100_000)
# The detector run on strips of this many input rows (a multiple of 32; 0: the whole input): less
# memory a photo worker, for some line recall and CPU (README, "Line finding").
OCR_DETECTOR_STRIP_ROWS = env_int("OCR_DETECTOR_STRIP_ROWS", 0, minimum=0)
if OCR_DETECTOR_STRIP_ROWS % 32:
    raise ImproperlyConfigured(
        f"OCR_DETECTOR_STRIP_ROWS={OCR_DETECTOR_STRIP_ROWS}: use 0 or a multiple of 32"
    )
OCR_DEFAULT_THRESHOLD = env_float("OCR_DEFAULT_THRESHOLD", 0.90, minimum=0, maximum=1)

# -- review ------------------------------------------------------------------------------------
REVIEW_LEASE_S = env_int("REVIEW_LEASE_S", 180, minimum=10)
# Blind second checks of auto-accepted fields, at each document type's rates (off: none).
REVIEW_SECOND_CHECKS = env_bool("REVIEW_SECOND_CHECKS", True)
# A field a clerk skipped comes back to them only when nothing else is left, or after this long.
REVIEW_SKIP_S = env_int("REVIEW_SKIP_S", 15 * 60, minimum=0)

# -- auth, i18n ----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Refuses a login while its username + address is locked out, before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login and admin login: 5 failures from one address for one username lock that pair for 15 min.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ocr_review.lockout.locked_out"
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("DJANGO_BEHIND_PROXY", False) else 0
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# -- API -----------------------------------------------------------------------------------------
# Default request rate of an API client (its own row may set another) and of browser sessions.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "120/min")
if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE):
    raise ImproperlyConfigured(f"API_THROTTLE_RATE={API_THROTTLE_RATE!r}: use e.g. 120/min")
# Prefix of links (status_url, page images) in webhook payloads, e.g. https://ocr.bank.internal
API_BASE_URL = env_str("API_BASE_URL", "").rstrip("/")
API_RECOGNIZE_MAX_BYTES = env_int("API_RECOGNIZE_MAX_KB", 1024, minimum=16) * 1024
API_WEBHOOK_TIMEOUT_S = env_float("API_WEBHOOK_TIMEOUT_S", 10.0)
# Receivers on private, loopback or link-local addresses are refused unless listed here
# (comma-separated CIDRs or host names of intranet receivers).
API_WEBHOOK_ALLOWED_NETWORKS = env_list("API_WEBHOOK_ALLOWED_NETWORKS", [])
# 11 attempts, 1 min apart doubling each time: the last one about 17 hours after the first.
API_WEBHOOK_MAX_ATTEMPTS = env_int("API_WEBHOOK_MAX_ATTEMPTS", 11, minimum=1)
API_WEBHOOK_BACKOFF_S = env_int("API_WEBHOOK_BACKOFF_S", 60, minimum=1)
API_WEBHOOK_BACKOFF_CAP_S = env_int("API_WEBHOOK_BACKOFF_CAP_S", 12 * 3600, minimum=1)
REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "documents.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "ocr_review.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ocr_review API",
    "DESCRIPTION": (
        "Submit bank bills, follow their status, read validated fields, review flagged fields. "
        "Authenticate with `Authorization: Token <token>`; errors are `{code, detail}`."
    ),
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "documents.models.Document.Status",
        "FieldStatusEnum": "documents.models.Field.Status",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its docs page need a login or a token unless API_DOCS_PUBLIC=1.
    "SERVE_PERMISSIONS": (
        ["rest_framework.permissions.AllowAny"]
        if env_bool("API_DOCS_PUBLIC", False)
        else ["rest_framework.permissions.IsAuthenticated"]
    ),
}

# Logs are in UTC in every process (web and workers alike), whatever TIME_ZONE shows users.
LOG_FORMAT = env_choice("LOG_FORMAT", ("plain", "json"))  # json: one JSON object per line
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "ocr_review.logging_json.UtcFormatter"},
        "json": {"()": "ocr_review.logging_json.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
