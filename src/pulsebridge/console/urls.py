"""The console's paths, mounted at ``/`` after every API prefix."""

from django.urls import path

from .views import (
    alerts,
    audit,
    auth,
    billing,
    devices,
    imports,
    keys,
    orders,
    patients,
    team,
    trackers,
    webhooks,
)

app_name = "console"

urlpatterns = [
    path("", auth.signin, name="signin"),
    path("signout", auth.signout, name="signout"),
    path("company", auth.switch_company, name="switch-company"),
    path("patients/", patients.patients, name="patients"),
    path("patients/<str:patient_id>/", patients.patient, name="patient"),
    path("patients/<str:patient_id>/readings", patients.patient_readings, name="patient-readings"),
    path(
        "patients/<str:patient_id>/documents/<str:document_id>",
        patients.document,
        name="document",
    ),
    path("patients/<str:patient_id>/time", billing.log_time, name="patient-time"),
    path("patients/<str:patient_id>/setup", billing.record_setup, name="patient-setup"),
    path("patients/<str:patient_id>/alert-rules", alerts.override, name="patient-override"),
    path("alerts/", alerts.alerts_screen, name="alerts"),
    path("alerts/<str:alert_id>", alerts.alert_action, name="alert-action"),
    path("alerts/rules/<str:code>", alerts.rule, name="alert-rule"),
    path("billing/", billing.billing_screen, name="billing"),
    path("billing/report.csv", billing.billing_csv, name="billing-csv"),
    path("devices/", devices.devices, name="devices"),
    path("devices/<str:device_id>/assign", devices.assign, name="device-assign"),
    path("devices/<str:device_id>/billing", devices.billing, name="device-billing"),
    path("orders/", orders.orders, name="orders"),
    path("orders/<str:order_id>/ship", orders.ship, name="order-ship"),
    path("orders/<str:order_id>/deliver", orders.deliver, name="order-deliver"),
    path("orders/<str:order_id>/return", orders.return_, name="order-return"),
    path("orders/<str:order_id>/cancel", orders.cancel, name="order-cancel"),
    path("webhooks/", webhooks.webhooks, name="webhooks"),
    path("webhooks/endpoints", webhooks.add_endpoint, name="endpoint-add"),
    path(
        "webhooks/endpoints/<str:endpoint_id>/state", webhooks.endpoint_state, name="endpoint-state"
    ),
    path(
        "webhooks/endpoints/<str:endpoint_id>/events",
        webhooks.endpoint_events,
        name="endpoint-events",
    ),
    path("webhooks/deliveries/<str:delivery_id>/replay", webhooks.replay, name="delivery-replay"),
    path("imports/", imports.imports, name="imports"),
    path("imports/<str:batch_id>/", imports.batch, name="batch"),
    path("imports/<str:batch_id>/failed.csv", imports.failed_csv, name="batch-failed"),
    path("keys/", keys.keys, name="keys"),
    path("keys/create", keys.create_key, name="key-create"),
    path("keys/<str:key_id>/revoke", keys.revoke_key, name="key-revoke"),
    path("keys/applications", keys.create_app, name="app-create"),
    path("keys/applications/<int:app_id>/delete", keys.delete_app, name="app-delete"),
    path("trackers/", trackers.trackers, name="trackers"),
    path("trackers/<int:tracker_id>", trackers.tracker, name="tracker"),
    path("audit/", audit.audit, name="audit"),
    path("team/", team.team, name="team"),
    path("team/users", team.add_user, name="user-add"),
    path("team/users/<int:membership_id>/role", team.set_role, name="user-role"),
    path("team/users/<int:membership_id>/active", team.set_active, name="user-active"),
    path("team/settings", team.settings, name="company-settings"),
]
