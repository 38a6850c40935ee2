from django.urls import path, re_path

from . import views

urlpatterns = [
    path("metadata", views.Metadata.as_view(), name="fhir-metadata"),
    path(".well-known/smart-configuration", views.SmartConfiguration.as_view()),
    path("Patient", views.PatientSearch.as_view(), name="fhir-patient-search"),
    path("Patient/$export", views.PatientExportKickoff.as_view(), name="fhir-patient-export"),
    path("Patient/<str:pk>", views.PatientRead.as_view(), name="fhir-patient"),
    path("Device", views.DeviceSearch.as_view(), name="fhir-device-search"),
    path("Device/<str:pk>", views.DeviceRead.as_view(), name="fhir-device"),
    path("Observation", views.ObservationSearch.as_view(), name="fhir-observation-search"),
    path("Observation/<str:pk>", views.ObservationRead.as_view(), name="fhir-observation"),
    path("$export", views.ExportKickoff.as_view(), name="fhir-export"),
    path("$export-status/<str:job_id>", views.ExportStatus.as_view(), name="fhir-export-status"),
    path(
        "$export-file/<str:job_id>/<str:name>", views.ExportFile.as_view(), name="fhir-export-file"
    ),
    re_path(r"^.*$", views.UnknownPath.as_view()),
]
