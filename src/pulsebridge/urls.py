from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularSwaggerOauthRedirectView,
    SpectacularSwaggerSplitView,
)
from rest_framework.request import Request
from rest_framework.views import APIView

from pulsebridge.core.lockout import Guard, guarded_login
from pulsebridge.operations import health

ADMIN_GUARD = Guard("admin.login", actor="admin")


class SwaggerOAuthRedirectView(APIView):
    """drf-spectacular's redirect to the sidecar's ``oauth2-redirect.html`` (the query passed
    on), answering another method or a bad request in JSON as the docs' other views do."""

    def get(self, request: Request) -> HttpResponseRedirect:
        target = SpectacularSwaggerOauthRedirectView(request=request).get_redirect_url()
        return HttpResponseRedirect(target)


def dialect_docs(name: str, title: str, *, oauth: bool = False) -> list:
    """One OpenAPI schema and Swagger UI per dialect, each with the dialect's base path. With
    ``oauth`` (PING), the page Swagger UI's Authorize dialog sends the browser back to
    (``oauth2-redirect.html`` beside the page, its default), from the sidecar too."""
    redirect = [
        path(
            f"api/docs/{name}/oauth2-redirect.html",
            SwaggerOAuthRedirectView.as_view(),
            name=f"docs-{name}-oauth2-redirect",
        )
    ]
    return [
        *(redirect if oauth else []),
        path(
            f"api/schema/{name}.json",
            SpectacularJSONAPIView.as_view(
                urlconf=f"pulsebridge.dialects.{name}.urls",
                custom_settings={
                    "TITLE": title,
                    "SERVERS": [{"url": f"/{name}"}],
                    # each dialect's words, bodies, errors and security (its schema.py)
                    "POSTPROCESSING_HOOKS": [
                        "drf_spectacular.hooks.postprocess_schema_enums",
                        f"pulsebridge.dialects.{name}.schema.postprocess",
                    ],
                },
            ),
            name=f"schema-{name}",
        ),
        # Swagger UI from the installed sidecar, its script at ?script= (no inline script)
        path(
            f"api/docs/{name}/",
            SpectacularSwaggerSplitView.as_view(
                url_name=f"schema-{name}", template_name="console/swagger_ui.html"
            ),
        ),
    ]


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("ingest/v1/", include("pulsebridge.ingest.urls")),
    # billing, time log, alert rules and alerts for care software (an ``api`` key)
    path("api/v1/", include("pulsebridge.ingest.api_urls")),
    path("pylo/", include("pulsebridge.dialects.pylo.urls")),
    path("tenovi/", include("pulsebridge.dialects.tenovi.urls")),
    path("hayylo/", include("pulsebridge.dialects.hayylo.urls")),
    # the PING document writes its URLs with a doubled slash (`https://api.pingasset.com//auth/token/`)
    re_path(r"^ping/+", include("pulsebridge.dialects.ping.urls")),
    path("fhir/R4/", include("pulsebridge.dialects.fhir.urls")),
    *dialect_docs("pylo", "Pulsebridge: the Pylo RPM API"),
    *dialect_docs("tenovi", "Pulsebridge: the Tenovi HWI API"),
    *dialect_docs("hayylo", "Pulsebridge: the Hayylo Inbound API"),
    *dialect_docs("ping", "Pulsebridge: the PING customer API", oauth=True),
    # last: the dialects' prefixes above are matched first
    path("", include("pulsebridge.console.urls")),
]
if settings.ADMIN_ENABLED:  # off unless ADMIN_ENABLED=true: one more sign-in to guard
    urlpatterns[:0] = [
        # wrong passwords at /admin/ are limited per account and address like every other
        path("admin/login/", guarded_login(ADMIN_GUARD)(admin.site.login)),
        path("admin/", admin.site.urls),
    ]

# an unknown path under an API prefix answers in that API's JSON shape, any other the console's page
handler400 = "pulsebridge.errors.bad_request"
handler404 = "pulsebridge.console.views.errors.not_found"
handler500 = "pulsebridge.errors.server_error"
