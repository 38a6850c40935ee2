from django.urls import path

from . import views

urlpatterns = [path("measurements", views.MeasurementsView.as_view(), name="ingest-measurements")]
