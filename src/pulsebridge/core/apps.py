from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pulsebridge.core"
    label = "core"
