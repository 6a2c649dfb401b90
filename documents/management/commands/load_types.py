from __future__ import annotations

from django.core.management.base import BaseCommand

from documents.shipped_types import install_types


class Command(BaseCommand):
    help = (
        "Install the shipped document types (e_invoice_digital, vat_e_invoice, receipt) with "
        "their field specs. Safe to run again: types and specs are updated in place."
    )

    def handle(self, *args, **opts) -> None:
        types = install_types()
        self.stdout.write(f"shipped document types: {', '.join(t.code for t in types)}")
