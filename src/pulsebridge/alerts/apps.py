from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "pulsebridge.alerts"
    label = "alerts"
    verbose_name = "Threshold alerts"
