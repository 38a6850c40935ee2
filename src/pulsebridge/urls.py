from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView


def dialect_docs(name: str, title: str) -> list:
    """One OpenAPI schema and Swagger UI per dialect, each with the dialect's base path."""
    return [
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
    path("admin/", admin.site.urls),
    path("ingest/v1/", include("pulsebridge.ingest.urls")),
    path("pylo/", include("pulsebridge.dialects.pylo.urls")),
    path("tenovi/", include("pulsebridge.dialects.tenovi.urls")),
    path("hayylo/", include("pulsebridge.dialects.hayylo.urls")),
    path("ping/", include("pulsebridge.dialects.ping.urls")),
    path("fhir/R4/", include("pulsebridge.dialects.fhir.urls")),
    *dialect_docs("pylo", "Pulsebridge: the Pylo RPM API"),
    *dialect_docs("tenovi", "Pulsebridge: the Tenovi HWI API"),
    *dialect_docs("hayylo", "Pulsebridge: the Hayylo Inbound API"),
    *dialect_docs("ping", "Pulsebridge: the PING customer API"),
    # last: the dialects' prefixes above are matched first
    path("", include("pulsebridge.console.urls")),
]

# an unknown path under an API prefix answers in that API's JSON shape, any other the console's page
handler404 = "pulsebridge.console.views.errors.not_found"
handler500 = "pulsebridge.errors.server_error"
