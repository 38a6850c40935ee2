import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulsebridge.settings")
application = get_wsgi_application()
# The URL conf imports every view, serializer and renderer: load it now rather than on the first
# request, so that it is frozen below with the rest (it left tens of thousands of objects for
# every full collection to scan: bench P3's p99, docs/performance.md).
get_resolver().url_patterns  # noqa: B018 (the property imports them)

# Everything loaded so far (Django, the apps, the URL conf) lives as long as the process: move it
# out of the collector's reach, so full collections stop scanning it on every request's tail
# (bench P7's p99 of a radius query: docs/performance.md, "Figures from the code").
gc.freeze()
