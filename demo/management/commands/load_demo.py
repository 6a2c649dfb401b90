from __future__ import annotations

import io
import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from demo.loading import load_document_types
from demo.render import bills_to_pdf, render_bill
from documents import services
from documents.models import Document
from documents.shipped_types import install_types
from ocr_review.roles import CLERK, SUPERVISOR

DEMO_USERS = (
    ("admin", "admin", True),
    ("supervisor", SUPERVISOR, False),
    ("clerk", CLERK, False),
    ("clerk2", CLERK, False),
)


class Command(BaseCommand):
    help = (
        "Load the demo document types, users (admin, supervisor, clerk, clerk2) and N rendered "
        "demo bills per type. Safe to run again: nothing is duplicated."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bills", type=int, default=3, help="demo bills per document type")
        parser.add_argument("--seed", type=int, default=1000)
        parser.add_argument(
            "--password",
            default=os.environ.get("OCR_DEMO_PASSWORD", ""),
            help="password of the demo users (default: $OCR_DEMO_PASSWORD or a "
            "random one, printed)",
        )

    def handle(self, *args, **opts) -> None:
        types = load_document_types()
        shipped = install_types()  # as manage.py load_types
        self.stdout.write(f"document types: {', '.join(t.code for t in [*types, *shipped])}")
        self._users(opts["password"])
        created = 0
        for doc_type in types:
            for i in range(opts["bills"]):
                seed = opts["seed"] + i
                bill = render_bill(doc_type.code, seed)
                if i % 3 == 2:
                    data, name = bills_to_pdf([bill]), f"{doc_type.code}-{seed}.pdf"
                else:
                    buffer = io.BytesIO()
                    bill.image.save(buffer, "PNG")
                    data, name = buffer.getvalue(), f"{doc_type.code}-{seed}.png"
                result = services.ingest(
                    data,
                    name=name,
                    document_type=doc_type,
                    source=Document.Source.DEMO,
                    external_id=f"demo-{seed}",
                )
                created += result.created
        self.stdout.write(f"demo bills: {created} new, queued for recognition")

    def _users(self, password: str) -> None:
        User = get_user_model()
        generated = not password
        password = password or secrets.token_urlsafe(9)
        for username, role, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created or not user.has_usable_password():
                user.set_password(password)
                user.is_staff = superuser
                user.is_superuser = superuser
                user.save()
                if not superuser:
                    user.groups.add(Group.objects.get_or_create(name=role)[0])
                note = " (generated)" if generated else ""
                self.stdout.write(f"user {username} / {password}{note}")
            else:
                self.stdout.write(f"user {username} exists (password unchanged)")
