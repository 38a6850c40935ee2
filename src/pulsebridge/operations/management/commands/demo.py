"""``pulsebridge demo``: what ``make run`` does. Migrate, create the demo once, show how to
call it, serve."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from pulsebridge.lib.commands import positive_int
from pulsebridge.operations import demo as demo_data


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Migrate the database, create the demo company when the database holds no company, "
        "print its keys and example calls, then serve (as `serve`, with the worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=positive_int, default=8000)
        parser.add_argument("--workers", type=positive_int, metavar="N")
        parser.add_argument("--no-worker", action="store_true", help="serve without the worker")
        parser.add_argument("--no-serve", action="store_true", help="prepare and print, then exit")

    def handle(self, *args, host, port, workers, no_worker, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        demo = demo_data.ensure_demo()
        base_url = f"http://{host}:{port}"
        if demo is None:
            self.stdout.write(
                "The database already holds companies, none of them the demo: no demo data "
                "added (`pulsebridge company list`)."
            )
        else:
            self._show(demo, base_url)
        if not no_serve:
            call_command("serve", host=host, port=port, workers=workers, no_worker=no_worker)

    def _show(self, demo: demo_data.Demo, base_url: str) -> None:
        write = self.stdout.write
        company = demo.company
        counts = demo.counts
        summary = ", ".join(
            plural(counts[name], name[:-1])
            for name in ("patients", "devices", "orders", "readings")
        )
        if demo.created:
            write(
                self.style.SUCCESS(
                    f"Created the demo company {company.code!r} (instance id "
                    f"{company.instance_id}): {summary} (the last {demo_data.DAYS} days)."
                )
            )
        else:
            write(f"The demo company {company.code!r} is already here: {summary}.")
        write("")
        if demo.keys:
            where = demo_data.keys_path()
            write(f"API keys (also in {where}, readable by you only):")
            for dialect in demo_data.DIALECTS:
                if dialect in demo.keys:
                    write(f"  {dialect:<7} {demo.keys[dialect]}")
        missing = [d for d in demo_data.DIALECTS if d not in demo.keys]
        if missing:
            write(
                f"No saved key for {', '.join(missing)} (revoked, or the key file is gone); make "
                f"one with: pulsebridge apikey create --company {company.code} --dialect <dialect>"
            )
        write("")
        if demo.username:
            write(f"Console: {base_url}/  sign in as {demo.username} / {demo.password} (owner)")
        else:
            write(
                f"Console: {base_url}/  (no saved demo sign-in; make a user with: pulsebridge "
                f"user create --company {company.code} --username <name> --role owner)"
            )
        if demo.client_id:
            write("PING client credentials (an OAuth2 application of that user):")
            write(f"  client_id     {demo.client_id}")
            write(f"  client_secret {demo.client_secret}")
            write(f"  {demo_data.ping_token_example(demo, base_url)}")
        write("")
        write("Try it (Pylo devices, Pylo readings of a patient, one reading from a device):")
        for line in demo_data.curl_examples(demo, base_url):
            write(f"  {line}")
        if demo.order_number:
            write("")
            write(
                f"Order {demo.order_number} awaits shipment; ship it as the operator with\n"
                f"  pulsebridge order ship {demo.order_number} --imei <15 digits> --imei "
                "<15 digits> --carrier usps --tracking 9400100000000000000000"
            )
        write("")
