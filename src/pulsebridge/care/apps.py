from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "pulsebridge.care"
    label = "care"
    verbose_name = "Care data"
