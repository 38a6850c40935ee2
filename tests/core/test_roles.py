import pytest

from pulsebridge.core import roles


def test_an_owner_may_change_everything():
    assert all(roles.may_change("owner", area) for area in roles.AREAS)


def test_a_clinician_reads_the_fleet_and_never_keys_or_the_audit_trail():
    assert roles.may_change("clinician", "patients")
    assert roles.may_read("clinician", "devices")
    assert not roles.may_change("clinician", "devices")
    assert not roles.may_read("clinician", "keys")
    assert not roles.may_read("clinician", "audit")


def test_an_operator_never_sees_health_data():
    assert roles.may_change("operator", "orders")
    assert not roles.may_read("operator", "patients")


def test_a_viewer_changes_nothing():
    assert roles.readable_areas("viewer")
    assert not any(roles.may_change("viewer", area) for area in roles.AREAS)


def test_an_unknown_role_may_do_nothing_and_an_unknown_area_is_a_bug():
    assert roles.readable_areas("janitor") == []
    with pytest.raises(ValueError, match="unknown area"):
        roles.may_read("owner", "coffee")
