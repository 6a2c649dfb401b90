"""Settings for the test suite: the real settings with a throwaway secret key and a test database
file of this run's own (parallel runs on one machine must not share one SQLite file)."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault(
    "SQLITE_TEST_PATH",
    os.path.join(tempfile.gettempdir(), f"ocr-review-test-{os.getpid()}.sqlite3"),
)

from .settings import *  # noqa: E402,F403

# Each test run starts with an empty cache of its own: throttle counters never leak between runs.
if not REDIS_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Blind second checks sample fields by document id: tests that count auto-accepted fields enable
# them where they test them (tests/reviews/test_second_checks.py).
REVIEW_SECOND_CHECKS = False
