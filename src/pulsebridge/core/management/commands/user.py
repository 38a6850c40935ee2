"""``pulsebridge user create``: a person who logs in, member of one company."""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from pulsebridge.core.models import Membership

from ._base import SubcommandCommand, add_json_flag, get_company


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
            "--role", choices=[r for r, _ in Membership.ROLE_CHOICES], default="member"
        )
        add_json_flag(create)

    def handle_create(
        self, *, company, username, password, first_name, last_name, email, role, json, **_
    ):
        company = get_company(company)
        User = get_user_model()
        username = username.strip()
        if not username:
            raise CommandError("--username must not be blank")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} already exists")
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"--email {email!r} is not an e-mail address") from None
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError("give --password (no terminal to ask it on)")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the two passwords differ")
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("the password is too weak: " + " ".join(exc.messages)) from None
        user.set_password(password)  # hashed with argon2 (settings.PASSWORD_HASHERS)
        try:
            with transaction.atomic():
                user.save()
                Membership.objects.create(user=user, company=company, role=role)
        except IntegrityError:
            raise CommandError(f"a user named {username!r} already exists") from None
        if json:
            self.emit_json(
                {
                    "id": user.pk,
                    "username": user.username,
                    "email": user.email,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "company": company.code,
                    "role": role,
                }
            )
        else:
            self.stdout.write(f"created user {user.username} ({role} of {company.code})")
