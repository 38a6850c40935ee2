"""The seeded catalogue survives transactional tests, which flush every table."""

import pytest


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_starts_with_the_catalogue():
    from pulsebridge.devices.models import DeviceModel

    assert DeviceModel.objects.filter(sku="PY-802-LTE").exists()
    DeviceModel.objects.all().delete()  # as the flush at the end of this test will


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_has_it_again():
    from pulsebridge.devices.models import DeviceModel

    assert DeviceModel.objects.filter(sku="PY-802-LTE").exists()
