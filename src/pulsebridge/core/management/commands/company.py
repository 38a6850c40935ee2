"""``pulsebridge company create|list``: the tenants."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction

from pulsebridge.core.models import Company

from ._base import SubcommandCommand, add_json_flag, iso, validation_message


def company_json(company: Company) -> dict:
    return {"id": str(company.pk), "code": company.code, "name": company.name}


class Command(SubcommandCommand):
    help = "Create and list companies (the tenants)."

    def add_subcommands(self, subparsers) -> None:
        create = subparsers.add_parser("create", help="create a company")
        create.add_argument("--name", required=True, help="display name, e.g. 'Demo Clinic'")
        create.add_argument(
            "--code",
            required=True,
            help="slug (letters, digits, - and _): also the Tenovi client domain and the Hayylo companyCode",
        )
        create.add_argument("--instance-id", default="", help="the Hayylo instanceId")
        create.add_argument("--alert-email", default="", help="where operator alerts are sent")
        add_json_flag(create)

        listing = subparsers.add_parser("list", help="list companies")
        add_json_flag(listing)

    def handle_create(self, *, name, code, instance_id, alert_email, json, **_):
        code, name = code.strip(), name.strip()
        if not name:
            raise CommandError("--name must not be blank")
        try:
            validate_slug(code)
        except ValidationError:
            raise CommandError(
                f"--code {code!r} is not a valid slug: use letters, digits, hyphens and underscores"
            ) from None
        if Company.objects.filter(code=code).exists():
            raise CommandError(f"a company with code {code!r} already exists")
        company = Company(
            code=code, name=name, instance_id=instance_id.strip(), alert_email=alert_email.strip()
        )
        try:
            company.full_clean()
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        try:
            with transaction.atomic():
                company.save()
        except IntegrityError:  # created by someone else since the check above
            raise CommandError(f"a company with code {code!r} already exists") from None
        if json:
            self.emit_json(company_json(company))
        else:
            self.stdout.write(f"created company {company.code} ({company.name}), id {company.pk}")

    def handle_list(self, *, json, **_):
        companies = list(Company.objects.order_by("code"))
        if json:
            self.emit_json(
                {
                    "count": len(companies),
                    "companies": [
                        {
                            **company_json(c),
                            "instance_id": c.instance_id,
                            "alert_email": c.alert_email,
                            "created_at": iso(c.created_at),
                        }
                        for c in companies
                    ],
                }
            )
            return
        if not companies:
            self.stdout.write("no companies yet: `pulsebridge company create --name N --code C`")
            return
        width = max(len(c.code) for c in companies)
        for c in companies:
            self.stdout.write(f"{c.code:<{width}}  {c.name}  (instance id {c.instance_id or '-'})")
