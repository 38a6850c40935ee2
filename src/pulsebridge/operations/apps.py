from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Operator commands that span domains, the demo, the simulator, ``serve`` and ``worker``."""

    name = "pulsebridge.operations"
    label = "operations"
