"""``pulsebridge company create|update|list``: the tenants."""

from __future__ import annotations

from django.core.management.base import CommandError

from pulsebridge.core import services
from pulsebridge.core.models import Company
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag, iso


def company_json(company: Company) -> dict:
    return {
        "id": str(company.pk),
        "code": company.code,
        "name": company.name,
        "instance_id": company.instance_id,
        "alert_email": company.alert_email,
        "time_zone": company.time_zone,
    }


class Command(SubcommandCommand):
    help = "Create, change and list companies (the tenants)."

    def add_subcommands(self, subparsers) -> None:
        create = subparsers.add_parser("create", help="create a company")
        create.add_argument("--name", required=True, help="display name, e.g. 'Demo Clinic'")
        create.add_argument(
            "--code",
            required=True,
            help="slug (letters, digits, - and _): also the Tenovi client domain and the Hayylo companyCode",
        )
        create.add_argument(
            "--instance-id",
            default="",
            help=f"the Hayylo instanceId (default {services.DEFAULT_INSTANCE_ID})",
        )
        create.add_argument("--alert-email", default="", help="where operator alerts are sent")
        add_json_flag(create)

        update = subparsers.add_parser("update", help="change a company's name, instance id...")
        update.add_argument("code", metavar="CODE")
        update.add_argument("--name")
        update.add_argument("--instance-id", help="the Hayylo instanceId its imports must name")
        update.add_argument("--alert-email", help="where operator alerts are sent ('' for none)")
        update.add_argument("--time-zone", help="IANA zone its billing days are counted in")
        add_json_flag(update)

        listing = subparsers.add_parser("list", help="list companies")
        add_json_flag(listing)

    def handle_create(self, *, name, code, instance_id, alert_email, json, **_):
        if not name.strip():
            raise CommandError("--name must not be blank")
        company = services.create_company(
            code=code, name=name, instance_id=instance_id, alert_email=alert_email
        )
        if json:
            self.emit_json(company_json(company))
        else:
            self.stdout.write(
                f"created company {company.code} ({company.name}), id {company.pk}, "
                f"Hayylo instance id {company.instance_id}"
            )

    def handle_update(self, *, code, name, instance_id, alert_email, time_zone, json, **_):
        company = services.company_by_code(code)
        changed = services.update_company(
            company,
            name=name,
            instance_id=instance_id,
            alert_email=alert_email,
            time_zone=time_zone,
        )
        if json:
            self.emit_json({**company_json(company), "changed": changed})
        elif changed:
            self.stdout.write(f"changed {', '.join(changed)} of {company.code}")
        else:
            self.stdout.write(
                "nothing to change: give --name, --instance-id, --alert-email or --time-zone"
            )

    def handle_list(self, *, json, **_):
        companies = list(services.list_companies())
        if json:
            self.emit_json(
                {
                    "count": len(companies),
                    "companies": [
                        {**company_json(c), "created_at": iso(c.created_at)} for c in companies
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
