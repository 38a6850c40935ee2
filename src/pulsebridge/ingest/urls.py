from django.urls import path

from . import events, views

urlpatterns = [
    path("measurements", views.MeasurementsView.as_view(), name="ingest-measurements"),
    path("events", events.EventsView.as_view(), name="ingest-events"),
]
