from django.urls import path

from . import views

urlpatterns = [
    path("devices", views.DevicesView.as_view(), name="pylo-devices"),
    path("readings", views.ReadingsView.as_view(), name="pylo-readings"),
    path("orders", views.OrdersView.as_view(), name="pylo-orders"),
    path("orders/<str:number>/cancel", views.CancelOrderView.as_view(), name="pylo-order-cancel"),
]
