from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "pulsebridge.webhooks"
    label = "webhooks"
