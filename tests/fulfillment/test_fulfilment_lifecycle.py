"""Tenovi fulfilment requests and Pylo orders are one Order: shipping, delivering, returning and
cancelling it moves the HWI devices it ships, announces each change and e-mails notify_emails."""

import pytest
from django.core import mail
from django.core.management.base import CommandError

from pulsebridge.devices.models import Device, Enrolment
from pulsebridge.fulfillment import enrolments
from pulsebridge.fulfillment.enrolments import Activation, PatientDetails, Shipping
from pulsebridge.fulfillment.services import (
    OrderError,
    cancel_order,
    deliver_order,
    return_order,
    ship_order,
)
from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.webhooks.models import Event

GATEWAY = "0A1B2C3D4E5F"
IMEI = "359423381882621"
STATUS_EVENT = "ENROLMENT_STATUS_CHANGED"


def shipping(**overrides):
    return Shipping(
        shipping_name="Patient One",
        shipping_address="123 Street",
        shipping_city="Townsville",
        shipping_state="CA",
        shipping_zip_code="12345",
        notify_emails=["nurse@alice.example", "son@example.com"],
        **overrides,
    )


def request(company, name="Tenovi BPM - L", **overrides):
    return enrolments.activate(
        company,
        Activation(name=name, shipping=shipping(**overrides), patient=PatientDetails("P-1")),
    )


def statuses():
    return list(
        Event.objects.filter(type=STATUS_EVENT).order_by("id").values_list("subject_id", flat=True)
    )


def test_shipping_a_dropship_pairs_the_sensor_with_the_gateway_shipped(alice):
    cuff = request(alice)
    order = ship_order(cuff.order, [], gateways=[GATEWAY.lower()], carrier="usps", tracking="94")
    cuff.refresh_from_db()
    assert cuff.status == "Dropshipped"
    assert cuff.hardware_uuid == GATEWAY
    gateway = Device.objects.get(serial=GATEWAY)
    assert gateway.company == alice
    assert gateway.order == order
    assert cuff.device.gateway == gateway
    assert cuff.device.patient.external_id == "P-1"
    assert statuses() == [str(cuff.pk)]
    [line] = [ln for ln in order.lines.all() if ln.model.sku == "TENOVI-GW"]
    assert line.imeis == [GATEWAY]
    # its readings now reach the patient
    [outcome] = record_measurements(
        alice,
        [
            {
                "kind": "blood_pressure",
                "measured_at": "2025-03-01T08:00:00Z",
                "values": {"systolic": 120, "diastolic": 80},
                "gateway_id": GATEWAY,
                "sensor_code": "10",
            }
        ],
    )
    assert outcome.status == "created"
    cuff.refresh_from_db()
    assert cuff.status == "Connected"
    assert statuses() == [str(cuff.pk), str(cuff.pk)]


def test_a_request_the_client_fulfils_becomes_shipped(alice):
    cuff = request(alice, client_will_fulfill=True)
    ship_order(cuff.order, [], gateways=[GATEWAY])
    cuff.refresh_from_db()
    assert cuff.status == "Shipped"


def test_a_cellular_device_is_bound_to_the_imei_shipped(alice):
    scale = request(alice, name="Tenovi Cellular Scale")
    ship_order(scale.order, [IMEI])
    scale.refresh_from_db()
    assert (scale.status, scale.hardware_uuid) == ("Dropshipped", IMEI)
    assert scale.device.imei == IMEI


def test_a_second_device_pairs_with_the_patients_known_gateway(alice, add_device):
    add_device(alice, "TENOVI-GW", serial=GATEWAY)
    scale = enrolments.activate(
        alice, Activation(name="Tenovi Scale", hardware_uuid=GATEWAY, shipping=shipping())
    )
    ship_order(scale.order, [])  # nothing to identify: the scale pairs with the known gateway
    scale.refresh_from_db()
    assert scale.status == "Dropshipped"
    assert scale.device.gateway.serial == GATEWAY


def test_delivering_and_returning_follow_the_order(alice):
    cuff = request(alice)
    order = ship_order(cuff.order, [], gateways=[GATEWAY])
    deliver_order(order)
    cuff.refresh_from_db()
    assert cuff.status == "Delivered"
    return_order(order)
    cuff.refresh_from_db()
    assert cuff.status == "Returned"
    assert statuses() == [str(cuff.pk)] * 3


def test_a_connected_device_stays_connected_when_its_delivery_is_recorded(alice):
    cuff = request(alice)
    order = ship_order(cuff.order, [], gateways=[GATEWAY])
    Enrolment.objects.filter(pk=cuff.pk).update(status="Connected")
    deliver_order(order)
    cuff.refresh_from_db()
    assert cuff.status == "Connected"


def test_cancelling_the_order_deletes_the_hwi_device(alice):
    cuff = request(alice)
    cancel_order(cuff.order)
    assert not Enrolment.objects.exists()


def test_notify_emails_get_each_shipping_update(alice, django_capture_on_commit_callbacks):
    cuff = request(alice)
    with django_capture_on_commit_callbacks(execute=True):
        order = ship_order(cuff.order, [], gateways=[GATEWAY], carrier="ups", tracking="1Z99")
    assert [m.to for m in mail.outbox] == [["nurse@alice.example"], ["son@example.com"]]
    message = mail.outbox[0]
    assert message.subject == f"Shipping update: order {order.number} has shipped"
    assert "https://www.ups.com/track?tracknum=1Z99" in message.body
    assert "Tenovi BPM - L" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        deliver_order(order)
    assert mail.outbox[-1].subject.endswith("has been delivered")
    with django_capture_on_commit_callbacks(execute=True):
        return_order(order)
    assert mail.outbox[-1].subject.endswith("has been returned")
    assert len(mail.outbox) == 6


def test_a_cancelled_request_is_mailed_too(alice, django_capture_on_commit_callbacks):
    cuff = request(alice)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(cuff.order)
    assert mail.outbox[0].subject.endswith("has been cancelled")


def test_nothing_is_mailed_when_the_change_rolls_back(alice, django_capture_on_commit_callbacks):
    cuff = request(alice)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(OrderError):
        ship_order(cuff.order, [], gateways=["nothex"])
    assert mail.outbox == []
    cuff.refresh_from_db()
    assert cuff.status == "Dropship Requested"


def test_a_pylo_order_without_notify_emails_sends_no_mail(
    alice, django_capture_on_commit_callbacks
):
    from pulsebridge.fulfillment.services import LineRequest, OrderRequest, place_order

    order = place_order(alice, OrderRequest(lines=[LineRequest("PY-802-LTE", 1)]))
    with django_capture_on_commit_callbacks(execute=True):
        ship_order(order, [IMEI])
    assert mail.outbox == []


def test_the_gateway_count_must_match(alice):
    cuff = request(alice)
    with pytest.raises(OrderError, match="has 1 gateway; 2 gateway ids given"):
        ship_order(cuff.order, [], gateways=[GATEWAY, "AAAAAAAAAAAA"])


def test_a_gateway_of_another_company_cannot_be_shipped(alice, charlie, add_device):
    add_device(charlie, "TENOVI-GW", serial=GATEWAY)
    cuff = request(alice)
    with pytest.raises(OrderError, match="belongs to another company"):
        ship_order(cuff.order, [], gateways=[GATEWAY])


def test_the_operator_ships_with_gateway_and_returns_with_commands(alice):
    from io import StringIO

    from django.core.management import call_command

    cuff = request(alice)
    number = cuff.order.number
    with pytest.raises(CommandError, match="--gateway"):
        call_command("order", "ship", number, stdout=StringIO())
    call_command("order", "ship", number, "--gateway", GATEWAY, stdout=StringIO())
    call_command("order", "deliver", number, stdout=StringIO())
    out = StringIO()
    call_command("order", "return", number, stdout=out)
    assert "returned" in out.getvalue()
    cuff.refresh_from_db()
    assert cuff.status == "Returned"
