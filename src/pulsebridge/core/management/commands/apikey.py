"""``pulsebridge apikey create|revoke|list``: a company's keys, one dialect each."""

from __future__ import annotations

from django.core.management.base import CommandError

from pulsebridge.core.apikeys import create_api_key, revoke_api_key
from pulsebridge.core.models import ApiKey, UsagePlan
from pulsebridge.core.services import company_by_code as get_company
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag, iso, positive_int


def plan_json(plan: UsagePlan | None) -> dict | None:
    if plan is None:
        return None
    return {"rate_per_second": plan.rate_per_second, "monthly_quota": plan.monthly_quota}


def describe_plan(plan: UsagePlan | None) -> str:
    if plan is None:
        return "no plan"
    rate = f"{plan.rate_per_second}/s" if plan.rate_per_second else "unlimited/s"
    quota = f"{plan.monthly_quota}/month" if plan.monthly_quota else "unlimited/month"
    return f"{rate}, {quota}"


def find_by_prefix(prefix: str) -> ApiKey:
    """The key named by its prefix ``pb_<dialect>_<lookup>`` (the whole key works too)."""
    parts = prefix.strip().split("_")
    if len(parts) < 3 or parts[0] != "pb":
        raise CommandError(f"{prefix!r} is not a key prefix: expected pb_<dialect>_<lookup>")
    api_key = ApiKey.objects.select_related("company").filter(lookup=parts[2]).first()
    if api_key is None or api_key.dialect != parts[1]:
        raise CommandError(f"no API key with prefix {'_'.join(parts[:3])}")
    return api_key


class Command(SubcommandCommand):
    help = "Create, revoke and list API keys."

    def add_subcommands(self, subparsers) -> None:
        create = subparsers.add_parser("create", help="create a key (shown once)")
        create.add_argument("--company", required=True, metavar="CODE")
        create.add_argument("--dialect", required=True, choices=ApiKey.Dialect.values)
        create.add_argument(
            "--rate-per-second",
            type=positive_int,
            metavar="N",
            help="requests per second (default: the dialect's default)",
        )
        create.add_argument(
            "--monthly-quota", type=positive_int, metavar="N", help="requests per calendar month"
        )
        create.add_argument(
            "--no-plan",
            action="store_true",
            help="a key without a usage plan (the Pylo API answers it 403, as documented)",
        )
        add_json_flag(create)

        revoke = subparsers.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix", metavar="PREFIX", help="pb_<dialect>_<lookup>")
        add_json_flag(revoke)

        listing = subparsers.add_parser("list", help="list a company's keys (never the keys)")
        listing.add_argument("--company", required=True, metavar="CODE")
        add_json_flag(listing)

    def handle_create(
        self, *, company, dialect, rate_per_second, monthly_quota, no_plan, json, **_
    ):
        company = get_company(company)
        if no_plan and (rate_per_second or monthly_quota):
            raise CommandError(
                "--no-plan cannot be combined with --rate-per-second/--monthly-quota"
            )
        issued = create_api_key(
            company,
            dialect,
            rate_per_second=rate_per_second,
            monthly_quota=monthly_quota,
            with_plan=not no_plan,
        )
        api_key = issued.api_key
        if json:
            self.emit_json(
                {
                    "key": issued.key,
                    "prefix": api_key.prefix,
                    "dialect": api_key.dialect,
                    "company": company.code,
                    "plan": plan_json(api_key.plan),
                }
            )
            return
        self.stdout.write(issued.key)
        self.stderr.write(
            f"{dialect} key {api_key.prefix} for {company.code} ({describe_plan(api_key.plan)}); "
            "the key is shown only now, store it safely."
        )

    def handle_revoke(self, *, prefix, json, **_):
        api_key = find_by_prefix(prefix)
        was_revoked = api_key.revoked_at is not None
        api_key = revoke_api_key(api_key.prefix)
        if json:
            self.emit_json(
                {
                    "prefix": api_key.prefix,
                    "dialect": api_key.dialect,
                    "company": api_key.company.code,
                    "revoked_at": iso(api_key.revoked_at),
                }
            )
        elif was_revoked:
            self.stdout.write(f"{api_key.prefix} was already revoked at {iso(api_key.revoked_at)}")
        else:
            self.stdout.write(f"revoked {api_key.prefix}")

    def handle_list(self, *, company, json, **_):
        company = get_company(company)
        keys = list(
            ApiKey.objects.for_company(company).select_related("plan").order_by("created_at")
        )
        rows = [
            {
                "prefix": k.prefix,
                "last4": k.last4,
                "dialect": k.dialect,
                "plan": plan_json(k.plan),
                "revoked": k.revoked_at is not None,
                "revoked_at": iso(k.revoked_at),
                "created_at": iso(k.created_at),
            }
            for k in keys
        ]
        if json:
            self.emit_json({"company": company.code, "count": len(rows), "api_keys": rows})
            return
        if not keys:
            self.stdout.write(f"{company.code} has no API keys")
            return
        for k in keys:
            state = f"revoked {iso(k.revoked_at)}" if k.revoked_at else "live"
            shown = f"{k.prefix}_…{k.last4}"
            self.stdout.write(f"{shown:<30} {k.dialect:<7} {describe_plan(k.plan):<28} {state}")
