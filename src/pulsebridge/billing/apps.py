from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "pulsebridge.billing"
    label = "billing"
    verbose_name = "RPM billing"
