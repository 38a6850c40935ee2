"""FHIR R4 (4.0.1), read-only, under ``/fhir/R4/``: Patient, Device and Observation over the
core's patients, devices and readings; search with cursor pages; Bulk Data ``$export``."""
