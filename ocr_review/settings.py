"""Settings: every knob comes from an environment variable read once here (see ocr_review/env.py).

Defaults run everything embedded (SQLite in WAL mode + django-q2's ORM broker). ``DATABASE_URL``
(PostgreSQL) and ``REDIS_URL`` (Redis broker) switch to the multi-machine set-up.
"""

from __future__ import annotations

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OCR_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY: the development key is only for DEBUG=1")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

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
    "django_q",
    "documents",
    "processing",
    "recognition",
    "reviews",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
            # two writers queue on busy_timeout instead of failing with "database is locked".
            "OPTIONS": {
                "timeout": env_int("SQLITE_BUSY_TIMEOUT_S", 30),
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
                ),
            },
            # A file, not memory, so worker processes started by tests share the test database.
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH", str(VAR_DIR / "test-db.sqlite3"))},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- task queue (django-q2) ----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
Q_WORKERS = env_int("Q_WORKERS", 1, minimum=1)
Q_TIMEOUT_S = env_int("Q_TIMEOUT_S", 600, minimum=10)
Q_CLUSTER = {
    "name": env_str("Q_CLUSTER_NAME", "ocr_review"),
    "workers": Q_WORKERS,
    "recycle": env_int("Q_RECYCLE", 200),
    "timeout": Q_TIMEOUT_S,
    # retry must exceed timeout, or a slow task is handed to a second worker while still running.
    "retry": Q_TIMEOUT_S + env_int("Q_RETRY_GRACE_S", 60),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 3, minimum=1),
    "ack_failures": True,
    "max_rss": env_int("Q_MAX_RSS_KB", 900_000),
    "save_limit": 500,
    "queue_limit": 50,
    "catch_up": False,
    "label": "Task queue",
    "poll": env_float("Q_POLL_S", 0.5),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
# Run tasks inline in the calling process (tests, one-off scripts), read per call.
OCR_TASKS_SYNC = env_bool("OCR_TASKS_SYNC", False)

# -- files and intake ----------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

OCR_MAX_UPLOAD_BYTES = env_int("OCR_MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = OCR_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
OCR_MAX_PDF_PAGES = env_int("OCR_MAX_PDF_PAGES", 20, minimum=1)
OCR_MAX_IMAGE_PIXELS = env_int("OCR_MAX_IMAGE_PIXELS", 60_000_000, minimum=1_000_000)
OCR_PDF_DPI = env_int("OCR_PDF_DPI", 150, minimum=72)
OCR_MAX_ATTEMPTS = env_int("OCR_MAX_ATTEMPTS", 3, minimum=1)
OCR_STUCK_AFTER_S = env_int("OCR_STUCK_AFTER_S", Q_TIMEOUT_S + 120)

# -- recognition ---------------------------------------------------------------------------------
OCR_WEIGHTS_DIR = Path(env_str("OCR_WEIGHTS_DIR", str(BASE_DIR / "recognition" / "weights")))
OCR_TORCH_THREADS = env_int("OCR_TORCH_THREADS", 1, minimum=1)
OCR_DEFAULT_THRESHOLD = env_float("OCR_DEFAULT_THRESHOLD", 0.90)

# -- review ------------------------------------------------------------------------------------
REVIEW_LEASE_S = env_int("REVIEW_LEASE_S", 180, minimum=10)

# -- auth, i18n ----------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
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
    "EXCEPTION_HANDLER": "ocr_review.errors.exception_handler",
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
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
