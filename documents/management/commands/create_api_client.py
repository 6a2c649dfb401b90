from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from documents.api import tokens
from documents.models import ApiClient


class Command(BaseCommand):
    help = (
        "Create an API client and print its token (shown this once; only its hash is kept). "
        "With --rotate, issue a new token for an existing client instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--types", default="", help="document type codes it may use, comma-separated"
        )
        parser.add_argument("--callback-secret", default="", help="webhook signing secret")
        parser.add_argument("--rate", default="", help='request rate, e.g. "120/min"')
        parser.add_argument(
            "--user", default="", help="act as this existing user (e.g. a clerk's review tool)"
        )
        parser.add_argument("--rotate", action="store_true", help="new token for NAME")
        parser.add_argument(
            "--rotate-webhook-secret",
            action="store_true",
            help="new webhook signing secret for NAME (printed once)",
        )

    def handle(self, *args, **opts) -> None:
        if opts["rotate_webhook_secret"]:
            client = ApiClient.objects.filter(name=opts["name"]).first()
            if client is None:
                raise CommandError(f"no API client named {opts['name']!r}")
            self.stdout.write(tokens.rotate_webhook_secret(client))
            return
        if opts["rotate"]:
            client = ApiClient.objects.filter(name=opts["name"]).first()
            if client is None:
                raise CommandError(f"no API client named {opts['name']!r}")
            self.stdout.write(tokens.rotate_token(client))
            return
        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"no user {opts['user']!r}")
        try:
            client, token = tokens.create_client(
                opts["name"],
                type_codes=[c.strip() for c in opts["types"].split(",")],
                webhook_secret=opts["callback_secret"],
                throttle_rate=opts["rate"],
                user=user,
            )
        except (ValueError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"API client {client.name!r} (user {client.user.username}), types: "
            f"{', '.join(t.code for t in client.allowed_types.all()) or 'none'}; "
            f"webhook signing secret (shown only now): {client.webhook_secret}; "
            "the token below is shown only now:"
        )
        self.stdout.write(token)
