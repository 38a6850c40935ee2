from django.urls import path, re_path, register_converter
from rest_framework.routers import SimpleRouter

from pulsebridge.core.lockout import guarded_login
from pulsebridge.lib.ids import RowIdConverter
from pulsebridge.lib.slashes import add_slash

from . import oauth, views

# integer ids that fit a BIGINT (a 24-digit one is a 404, not SQLite's OverflowError)
register_converter(RowIdConverter, "rowid")

router = SimpleRouter(use_regex_path=False)
router.register("1.0/applications", views.ApplicationViewSet, basename="ping-application")
router.register(
    "1.0/configurations/customer", views.ConfigurationViewSet, basename="ping-configuration"
)
router.register("1.0/devices/devices", views.DeviceViewSet, basename="ping-device")
router.register("1.0/customers/groups", views.DeviceGroupViewSet, basename="ping-group")
router.register("1.0/geogroups", views.GeoGroupViewSet, basename="ping-geogroup")
router.register("1.0/events", views.EventViewSet, basename="ping-event")

urlpatterns = [
    path("auth/authorize/", oauth.AuthorizeView.as_view(), name="ping-authorize"),
    path("auth/token/", oauth.TokenView.as_view(), name="ping-token"),
    path(
        "auth/login/",
        guarded_login(oauth.LOGIN_GUARD)(oauth.LoginView.as_view()),
        name="ping-login",
    ),
    path("1.0/customers/accounts/me/", views.MeView.as_view(), name="ping-me"),
    path(
        "1.0/customers/accounts/password/change/",
        views.PasswordChangeView.as_view(),
        name="ping-password-change",
    ),
    *router.urls,
    # Last: a path without its trailing slash is redirected to the one with it.
    re_path(r"^(?P<path>.*[^/])$", add_slash),
]
