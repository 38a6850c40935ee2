from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "pulsebridge.fulfillment"
    label = "fulfillment"
