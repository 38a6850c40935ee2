from django.urls import path

from . import views

urlpatterns = [
    path("inbound", views.InboundView.as_view(), name="hayylo-inbound"),
    path("inbound/<str:batch_id>", views.BatchView.as_view(), name="hayylo-batch"),
]
