from django.urls import path, re_path

from . import views

HWI = "clients/<slug:client_domain>/hwi/"

urlpatterns = [
    path(f"{HWI}hwi-devices/", views.HwiDevicesView.as_view(), name="tenovi-hwi-devices"),
    path(f"{HWI}hwi-devices/<uuid:pk>/", views.HwiDeviceView.as_view(), name="tenovi-hwi-device"),
    path(
        f"{HWI}hwi-devices/<uuid:pk>/properties/",
        views.PropertiesView.as_view(),
        name="tenovi-properties",
    ),
    path(
        f"{HWI}hwi-devices/<uuid:pk>/properties/<uuid:property_id>/",
        views.PropertyView.as_view(),
        name="tenovi-property",
    ),
    path(
        f"{HWI}hwi-devices/<uuid:pk>/measurements/",
        views.DeviceMeasurementsView.as_view(),
        name="tenovi-device-measurements",
    ),
    path(
        f"{HWI}unlink-gateway/<uuid:pk>/",
        views.UnlinkGatewayView.as_view(),
        name="tenovi-unlink-gateway",
    ),
    path(f"{HWI}hwi-device-types/", views.DeviceTypesView.as_view(), name="tenovi-device-types"),
    path(
        f"{HWI}hwi-device-types/<int:pk>/",
        views.DeviceTypeView.as_view(),
        name="tenovi-device-type",
    ),
    path(
        f"{HWI}patients/<str:external_id>/measurements/",
        views.PatientMeasurementsView.as_view(),
        name="tenovi-patient-measurements",
    ),
    path(f"{HWI}hwi-replacements/", views.ReplacementsView.as_view(), name="tenovi-replacements"),
    path(
        f"{HWI}hwi-replacements/<uuid:pk>/",
        views.ReplacementView.as_view(),
        name="tenovi-replacement",
    ),
    path(f"{HWI}webhooks/", views.WebhooksView.as_view(), name="tenovi-webhooks"),
    path(f"{HWI}webhooks/<uuid:pk>/", views.WebhookView.as_view(), name="tenovi-webhook"),
    # Last: a path without its trailing slash is redirected to the one with it.
    re_path(r"^(?P<path>.*[^/])$", views.add_slash),
]
