"""Every path of Tenovi's Swagger, with its parameters named as the Swagger names them."""

from django.urls import path, re_path

from . import gateways, orders, patients, tools, views

HWI = "clients/<slug:client_domain>/hwi/"

urlpatterns = [
    path(f"{HWI}hwi-devices/", views.HwiDevicesView.as_view(), name="tenovi-hwi-devices"),
    path(f"{HWI}hwi-devices/<uuid:id>/", views.HwiDeviceView.as_view(), name="tenovi-hwi-device"),
    path(
        f"{HWI}hwi-devices/<uuid:hwi_device_id>/properties/",
        views.PropertiesView.as_view(),
        name="tenovi-properties",
    ),
    path(
        f"{HWI}hwi-devices/<uuid:hwi_device_id>/properties/<uuid:id>/",
        views.PropertyView.as_view(),
        name="tenovi-property",
    ),
    path(
        f"{HWI}hwi-devices/<uuid:hwi_device_id>/measurements/",
        views.DeviceMeasurementsView.as_view(),
        name="tenovi-device-measurements",
    ),
    path(
        f"{HWI}unlink-gateway/<uuid:id>/",
        views.UnlinkGatewayView.as_view(),
        name="tenovi-unlink-gateway",
    ),
    path(f"{HWI}hwi-device-types/", views.DeviceTypesView.as_view(), name="tenovi-device-types"),
    path(
        f"{HWI}hwi-device-types/<str:id>/",
        views.DeviceTypeView.as_view(),
        name="tenovi-device-type",
    ),
    path(
        f"{HWI}patients/<str:patient_external_id>/measurements/",
        views.PatientMeasurementsView.as_view(),
        name="tenovi-patient-measurements",
    ),
    path(f"{HWI}hwi-patients/", patients.PatientsView.as_view(), name="tenovi-patients"),
    path(
        f"{HWI}hwi-patients/<str:external_id__iexact>/",
        patients.PatientView.as_view(),
        name="tenovi-patient",
    ),
    path(f"{HWI}hwi-gateways/", gateways.GatewaysView.as_view(), name="tenovi-gateways"),
    path(
        f"{HWI}hwi-gateways/<str:gateway_uuid__iexact>/",
        gateways.GatewayView.as_view(),
        name="tenovi-gateway",
    ),
    path(
        f"{HWI}gateway-info/<str:gateway_uuid__iexact>/",
        gateways.GatewayInfoView.as_view(),
        name="tenovi-gateway-info",
    ),
    path(
        f"{HWI}hardware-uuid-logs/",
        gateways.HardwareUuidLogsView.as_view(),
        name="tenovi-hardware-uuid-logs",
    ),
    path(f"{HWI}hwi-replacements/", views.ReplacementsView.as_view(), name="tenovi-replacements"),
    path(
        f"{HWI}hwi-replacements/<uuid:id>/",
        views.ReplacementView.as_view(),
        name="tenovi-replacement",
    ),
    path(f"{HWI}hwi-bulk-orders/", orders.BulkOrdersView.as_view(), name="tenovi-bulk-orders"),
    path(
        f"{HWI}hwi-bulk-orders/<str:id>/",
        orders.BulkOrderView.as_view(),
        name="tenovi-bulk-order",
    ),
    path(f"{HWI}webhooks/", views.WebhooksView.as_view(), name="tenovi-webhooks"),
    path(f"{HWI}webhooks/<uuid:id>/", views.WebhookView.as_view(), name="tenovi-webhook"),
    path(f"{HWI}test-webhooks/", tools.TestWebhooksView.as_view(), name="tenovi-test-webhooks"),
    path(
        f"{HWI}resend-webhooks/",
        tools.ResendWebhooksView.as_view(),
        name="tenovi-resend-webhooks",
    ),
    # Last: a path without its trailing slash is redirected to the one with it.
    re_path(r"^(?P<path>.*[^/])$", views.add_slash),
]
