from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    name = "pulsebridge.readings"
    label = "readings"
