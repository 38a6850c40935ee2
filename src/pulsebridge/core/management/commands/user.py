"""``pulsebridge user create``: a person who signs in, member of one company."""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import CommandError

from pulsebridge.core import services
from pulsebridge.core.models import Membership
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag


class Command(SubcommandCommand):
    help = "Create users (console and PING accounts), each a member of one company."

    def add_subcommands(self, subparsers) -> None:
        create = subparsers.add_parser("create", help="create a user and their membership")
        create.add_argument("--company", required=True, metavar="CODE")
        create.add_argument("--username", required=True)
        create.add_argument(
            "--password",
            help="asked for when omitted on a terminal; beware that arguments show in `ps`",
        )
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        create.add_argument("--email", default="")
        create.add_argument(
            "--role",
            choices=Membership.Role.values,
            default=Membership.Role.VIEWER,
            help="owner: everything; clinician: patients, readings, alerts; operator: devices, "
            "orders, webhooks, imports; viewer (the default): reads only",
        )
        add_json_flag(create)

    def handle_create(
        self, *, company, username, password, first_name, last_name, email, role, json, **_
    ):
        company = services.company_by_code(company)
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError("give --password (no terminal to ask it on)")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the two passwords differ")
        user = services.create_user(
            company,
            services.NewUser(
                username=username,
                password=password,
                email=email,
                first_name=first_name,
                last_name=last_name,
                role=role,
            ),
        )
        services.audit(company, "cli", "user.create", target=user.get_username())
        if json:
            self.emit_json(
                {
                    "id": user.pk,
                    "username": user.get_username(),
                    "email": user.email,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "company": company.code,
                    "role": role,
                }
            )
        else:
            self.stdout.write(f"created user {user.get_username()} ({role} of {company.code})")
