"""Background tasks of the care app. They take ids, never model instances, and may run twice."""

from __future__ import annotations

from django_tasks import task

from . import importer


@task()
def import_batch(batch_id: str) -> None:
    """Import a received batch (and any earlier batch of its company still waiting)."""
    importer.import_batch(batch_id)
