from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The web app for care teams and operators, at ``/``: server-rendered pages over the domain
    services, the same ones the APIs and the operator commands call."""

    name = "pulsebridge.console"
    label = "console"
