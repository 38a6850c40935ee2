from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "pulsebridge.devices"
    label = "devices"
