"""Client documents' bytes, kept in Django's default storage (``MEDIA_ROOT``, a folder under
``var/`` by default; any storage backend in production).

Files are named by company and content hash: storing the same bytes twice writes once, and a
file written by an import that is then rolled back is simply found again by the next attempt."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from pulsebridge.core.models import Company

from .records import Content


def path_for(company: Company, content: Content, extension: str) -> str:
    return f"care/{company.pk}/documents/{content.sha256}.{extension}"


def store(company: Company, content: Content, extension: str) -> str:
    """Store the bytes (unless already there); the storage name to keep on the row."""
    name = path_for(company, content, extension)
    if default_storage.exists(name):
        if default_storage.size(name) == content.size:
            return name
        default_storage.delete(name)  # cut short by a crash while it was written
    return default_storage.save(name, ContentFile(content.data))


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()
