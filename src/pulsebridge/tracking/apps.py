from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "pulsebridge.tracking"
    label = "tracking"
    verbose_name = "Asset tracking"
