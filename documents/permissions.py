"""Who sees which documents. Roles are Django groups: clerk, supervisor (admins are superusers)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Document

CLERK = "clerk"
SUPERVISOR = "supervisor"


def in_group(user, name: str) -> bool:
    return bool(user and user.is_authenticated and user.groups.filter(name=name).exists())


def is_supervisor(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or in_group(user, SUPERVISOR))
    )


def is_clerk(user) -> bool:
    return is_supervisor(user) or in_group(user, CLERK)


def documents_for(user) -> QuerySet[Document]:
    """Clerks and supervisors work on the bank's whole intake; anyone else sees nothing."""
    if is_clerk(user):
        return Document.objects.all()
    return Document.objects.none()
