from django.apps import AppConfig


class FhirConfig(AppConfig):
    """An app (not only a package) because the Bulk Data export job is a table of its own."""

    name = "pulsebridge.dialects.fhir"
    label = "fhir"
    verbose_name = "FHIR API"
