"""test_worker_crash.py starts `manage.py qcluster` with a copy of os.environ: on the distributed
pass (PostgreSQL) its workers must reach the test database, not the one DATABASE_URL names."""

from __future__ import annotations

import os

import pytest

from tests.distributed.workers import worker_database_url


@pytest.fixture(autouse=True)
def _workers_reach_the_test_database(request, monkeypatch):
    if os.environ.get("DATABASE_URL") and request.node.get_closest_marker("django_db"):
        request.getfixturevalue("django_db_setup")
        monkeypatch.setenv("DATABASE_URL", worker_database_url())
