from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ingest/v1/", include("pulsebridge.ingest.urls")),
    path("pylo/", include("pulsebridge.dialects.pylo.urls")),
]

handler404 = "pulsebridge.errors.not_found"
handler500 = "pulsebridge.errors.server_error"
