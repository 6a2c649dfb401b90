"""Roles are Django groups: clerk, supervisor (admins are superusers). Used by every app."""

from __future__ import annotations

from typing import Any

CLERK = "clerk"
SUPERVISOR = "supervisor"


def in_group(user: Any, name: str) -> bool:
    return bool(user and user.is_authenticated and user.groups.filter(name=name).exists())


def is_supervisor(user: Any) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or in_group(user, SUPERVISOR))
    )


def is_clerk(user: Any) -> bool:
    return is_supervisor(user) or in_group(user, CLERK)
