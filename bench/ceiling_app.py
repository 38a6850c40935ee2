"""The ceiling server's application: Pulsebridge's settings (its middleware, DRF, the same
``pulsebridge.wsgi`` start-up) with the two views of ``bench/ceiling_urls.py``, which touch no
database, served by gunicorn with the configuration ``pulsebridge serve`` runs
(``pulsebridge.operations.webserver``).

Started by ``bench/ceiling.py`` as ``gunicorn bench.ceiling_app:application``; never part of the
product's URL conf."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulsebridge.settings")

from django.conf import settings

settings.ROOT_URLCONF = "bench.ceiling_urls"  # before the start-up below loads the URL conf

from pulsebridge.wsgi import application  # noqa: E402 - the same start-up as the product

__all__ = ["application"]
