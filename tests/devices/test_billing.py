import pytest

from pulsebridge.devices.errors import DeviceError
from pulsebridge.devices.services import resume_device, suspend_device
from pulsebridge.webhooks.models import Event


def test_suspending_and_resuming_billing_announce_the_change(alice, add_device):
    device = add_device(alice)
    assert suspend_device(device).billing_status == "suspended"
    assert resume_device(device).billing_status == "preactive"  # it never sent a reading
    events = Event.objects.filter(type="DEVICE_BILLING_STATUS_CHANGED", subject_id=str(device.pk))
    assert events.count() == 2


def test_a_device_with_readings_resumes_as_active(alice, add_device):
    from django.utils import timezone

    device = add_device(alice)
    device.first_measurement_at = timezone.now()
    device.billing_status = "active"
    device.save()
    suspend_device(device)
    assert resume_device(device).billing_status == "active"


def test_suspending_twice_or_resuming_an_active_device_is_refused(alice, add_device):
    device = suspend_device(add_device(alice))
    with pytest.raises(DeviceError, match="suspended already"):
        suspend_device(device)
    resume_device(device)
    with pytest.raises(DeviceError, match="not suspended"):
        resume_device(device)
