"""record_measurements: routing, de-duplication, device state, the outbox, atomicity."""

import pytest

from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.readings.models import Measurement


def bp(at="2026-11-01T08:00:00Z", **ref):
    return {"kind": "blood_pressure", "measured_at": at,
            "values": {"systolic": 120, "diastolic": 80, "pulse": 60}, **ref}  # fmt: skip


def test_a_gateway_sensor_reading_is_routed_by_gateway_id_and_sensor_code(alice, add_device):
    gateway = add_device(alice, "TENOVI-GW", serial="0a1b2c3d4e5f")
    cuff = add_device(alice, "TENOVI-BPM-L", serial="CUFF-1")
    cuff.gateway = gateway
    cuff.save()
    [outcome] = record_measurements(alice, [bp(gateway_id="0A1B2C3D4E5F", sensor_code="10")])
    assert outcome.status == "created"
    assert Measurement.objects.get().device == cuff


def test_a_reading_of_the_wrong_kind_for_the_model_is_refused(alice, add_device):
    scale = add_device(alice, "PY-300-LTE")
    [outcome] = record_measurements(alice, [bp(imei=scale.imei)])
    assert outcome.status == "error"
    assert "PY-300-LTE measures weight" in outcome.errors["kind"]


def test_the_first_and_last_measurement_times_span_every_reading(alice, add_device):
    cuff = add_device(alice)
    record_measurements(alice, [bp("2026-10-05T08:00:00Z", imei=cuff.imei)])
    record_measurements(
        alice,
        [bp("2026-10-01T08:00:00Z", imei=cuff.imei), bp("2026-10-09T08:00:00Z", imei=cuff.imei)],
    )
    cuff.refresh_from_db()
    assert cuff.first_measurement_at.day == 1
    assert cuff.last_measurement_at.day == 9


def test_a_reading_keeps_the_patient_it_was_taken_for(alice, add_device):
    from pulsebridge.devices.services import assign_device

    cuff = assign_device(add_device(alice), patient_id="P-1")
    record_measurements(alice, [bp(imei=cuff.imei)])
    assign_device(cuff, patient_id="P-2")
    assert Measurement.objects.get().patient.external_id == "P-1"


def test_the_first_reading_announces_the_billing_status_change_once(alice, add_device):
    from pulsebridge.webhooks.models import Event

    cuff = add_device(alice)
    record_measurements(alice, [bp("2026-10-01T08:00:00Z", imei=cuff.imei)])
    record_measurements(alice, [bp("2026-10-02T08:00:00Z", imei=cuff.imei)])
    assert Event.objects.filter(type="DEVICE_BILLING_STATUS_CHANGED").count() == 1
    # no endpoint wants the readings: their rows are their record, no event is written
    assert not Event.objects.filter(type="DEVICE_MEASUREMENT").exists()


def test_nothing_is_stored_when_the_outbox_write_fails(alice, add_device, monkeypatch):
    from pulsebridge.readings import services

    cuff = add_device(alice)

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "publish", broken)
    with pytest.raises(RuntimeError):
        record_measurements(alice, [bp(imei=cuff.imei)])
    assert not Measurement.objects.exists()
    cuff.refresh_from_db()
    assert cuff.billing_status == "preactive"


@pytest.fixture
def watched_cuff(alice, add_device, settings):
    """An active cuff of a company with one Pylo endpoint, and a copy of that endpoint under an
    id no row has: an endpoint deleted between a batch's look-up and its write."""
    import uuid

    from pulsebridge.webhooks.models import WebhookEndpoint
    from pulsebridge.webhooks.services import create_endpoint

    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    kept = create_endpoint(alice, "http://127.0.0.1:9/hook", "secret", "pylo")
    cuff = add_device(alice)
    cuff.billing_status = "active"
    cuff.save()
    gone = WebhookEndpoint(**{f.attname: getattr(kept, f.attname) for f in kept._meta.fields})
    gone.pk = uuid.uuid4()
    return cuff, kept, gone


def test_a_reading_whose_endpoint_went_away_meanwhile_is_written_once_whole(
    transactional_db, alice, watched_cuff, monkeypatch
):
    """An endpoint deleted between the look-up and the write: its delivery cannot go in, and
    neither do the reading and its event, whether they are one statement (PostgreSQL) or one
    transaction. The batch is then looked up and written again, to the endpoints there are
    now: one reading, one event, one delivery, no error."""
    import uuid

    from pulsebridge.readings import services
    from pulsebridge.webhooks.models import Delivery, Event

    cuff, kept, gone = watched_cuff
    wanting, asked = services.endpoints_wanting, []

    def first_with_a_phantom(*args):
        asked.append(args)
        return [*wanting(*args), gone] if len(asked) == 1 else wanting(*args)

    monkeypatch.setattr(services, "endpoints_wanting", first_with_a_phantom)
    [outcome] = record_measurements(alice, [bp(imei=cuff.imei)])
    assert outcome.status == "created"
    assert len(asked) == 2
    assert Measurement.objects.get().pk == uuid.UUID(outcome.id)
    assert Event.objects.get().subject_id == outcome.id
    assert Delivery.objects.get().endpoint_id == kept.pk
    cuff.refresh_from_db()
    assert cuff.last_measurement_at is not None


def test_a_write_that_fails_again_is_refused_with_nothing_stored(
    transactional_db, alice, watched_cuff, monkeypatch
):
    """The same failure twice: the error goes to the caller, and nothing of the batch is
    stored (a reading without its announcement, or its device's times without it)."""
    from django.db import IntegrityError

    from pulsebridge.readings import services
    from pulsebridge.webhooks.models import Delivery, Event

    cuff, _, gone = watched_cuff
    wanting = services.endpoints_wanting
    monkeypatch.setattr(services, "endpoints_wanting", lambda *args: [*wanting(*args), gone])
    with pytest.raises(IntegrityError):
        record_measurements(alice, [bp(imei=cuff.imei)])
    assert not Measurement.objects.exists()
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()
    cuff.refresh_from_db()
    assert cuff.last_measurement_at is None
