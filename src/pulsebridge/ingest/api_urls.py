"""The native API's paths, mounted at ``/api/v1/`` (see ``api.py``)."""

from django.urls import path

from . import api

urlpatterns = [
    path("billing/report", api.BillingReportView.as_view(), name="api-billing-report"),
    path(
        "patients/<str:patient_id>/time-entries",
        api.TimeEntriesView.as_view(),
        name="api-time-entries",
    ),
    path("patients/<str:patient_id>/setups", api.SetupsView.as_view(), name="api-setups"),
    path(
        "patients/<str:patient_id>/alert-rules",
        api.PatientRulesView.as_view(),
        name="api-patient-rules",
    ),
    path(
        "patients/<str:patient_id>/alert-rules/<str:code>",
        api.PatientRulesView.as_view(),
        name="api-patient-rule",
    ),
    path("alert-rules", api.RulesView.as_view(), name="api-rules"),
    path("alert-rules/<str:code>", api.RuleView.as_view(), name="api-rule"),
    path("alerts", api.AlertsView.as_view(), name="api-alerts"),
    path("alerts/<str:alert_id>", api.AlertView.as_view(), name="api-alert"),
    path(
        "alerts/<str:alert_id>/acknowledge",
        api.AlertActionView.as_view(),
        {"action": "acknowledge"},
        name="api-alert-acknowledge",
    ),
    path(
        "alerts/<str:alert_id>/resolve",
        api.AlertActionView.as_view(),
        {"action": "resolve"},
        name="api-alert-resolve",
    ),
]
