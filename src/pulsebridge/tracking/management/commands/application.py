"""``pulsebridge application create``: a PING user's first OAuth2 application (later ones can
also be made through the API)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from pulsebridge.lib.commands import SubcommandCommand, add_json_flag
from pulsebridge.tracking.applications import create_application

GRANTS = {"client-credentials": "client-credentials", "authorization-code": "authorization-code"}


class Command(SubcommandCommand):
    help = "Create OAuth2 applications for PING users."

    def add_subcommands(self, subparsers) -> None:
        create = subparsers.add_parser("create", help="create an application of a user")
        create.add_argument("--username", required=True)
        create.add_argument("--name", required=True)
        create.add_argument("--grant", required=True, choices=sorted(GRANTS))
        create.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            dest="redirect_uris",
            metavar="URI",
            help="allowed redirect URI (repeat for more; the first is the default)",
        )
        add_json_flag(create)

    def handle_create(self, *, username, name, grant, redirect_uris, json, **_):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        if grant == "authorization-code" and not redirect_uris:
            raise CommandError("an authorization-code application needs --redirect-uri")
        application, secret = create_application(
            user, name=name, grant_type=GRANTS[grant], redirect_uris=redirect_uris
        )
        if json:
            self.emit_json(
                {"id": application.pk, "client_id": application.client_id, "client_secret": secret}
            )
        else:
            self.stdout.write(
                f"created application {application.pk} ({application.name}) of {username}\n"
                f"client_id     {application.client_id}\n"
                f"client_secret {secret}\n"
                "The secret is shown only now: it is stored hashed."
            )
