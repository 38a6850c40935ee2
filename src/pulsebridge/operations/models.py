from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """Each running background worker writes its row every few seconds; /readyz reads the
    newest. Rows of workers gone for a day are removed by the workers that remain."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} at {self.beat_at:%Y-%m-%dT%H:%M:%S}"
