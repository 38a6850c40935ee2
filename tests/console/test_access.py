"""Who may open what: every screen for every role, and nothing of another company."""

import pytest
from django.test import Client

from pulsebridge.core.models import AuditEntry, Membership

SCREENS = {
    "/patients/": "patients",
    "/alerts/": "alerts",
    "/billing/": "billing",
    "/devices/": "devices",
    "/orders/": "orders",
    "/trackers/": "trackers",
    "/webhooks/": "webhooks",
    "/imports/": "imports",
    "/keys/": "keys",
    "/team/": "team",
    "/audit/": "audit",
}
ALLOWED = {
    "owner": set(SCREENS.values()),
    "clinician": {"patients", "alerts", "billing", "devices", "orders", "trackers"},
    "operator": {"devices", "orders", "trackers", "webhooks", "imports"},
    "viewer": {
        "patients",
        "alerts",
        "billing",
        "devices",
        "orders",
        "trackers",
        "webhooks",
        "imports",
    },
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_opens_its_screens_and_is_refused_the_others(role, alice, as_user):
    from .conftest import make_user

    client = as_user(make_user(alice, f"user-{role}", role))
    for path, area in SCREENS.items():
        response = client.get(path)
        expected = 200 if area in ALLOWED[role] else 403
        assert response.status_code == expected, (role, path, response.status_code)
        page = response.content.decode()
        assert "{#" not in page, path  # a template comment Django did not take as one
        assert "{%" not in page, path


def test_a_clinician_cannot_open_the_keys_page(clinician, as_user):
    response = as_user(clinician).get("/keys/")
    assert response.status_code == 403
    assert "may not open the keys screen" in response.content.decode()


def test_a_viewer_cannot_change_anything(viewer, as_user, alice, add_device):
    device = add_device(alice)
    client = as_user(viewer)
    assert client.post(f"/devices/{device.pk}/billing", {"action": "suspend"}).status_code == 403
    device.refresh_from_db()
    assert device.billing_status == "preactive"


def test_signed_out_every_screen_leads_to_the_sign_in_page(db):
    for path in SCREENS:
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/?next={path}"


def test_charlie_gets_404_on_every_object_of_alice(
    charlie_user, as_user, alice, patient_with_readings, add_device
):
    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.fulfillment.services import LineRequest, OrderRequest, place_order
    from pulsebridge.webhooks.services import create_endpoint

    device = add_device(alice)
    order = place_order(alice, OrderRequest(lines=[LineRequest("PY-802-LTE", 1)]))
    endpoint = create_endpoint(alice, "http://127.0.0.1:9/hook", "s3cret", "pylo")
    key = create_api_key(alice, "pylo").api_key
    client = as_user(charlie_user)
    patient = patient_with_readings
    for method, path in [
        ("get", f"/patients/{patient.pk}/"),
        ("get", f"/patients/{patient.pk}/readings"),
        ("post", f"/devices/{device.pk}/billing"),
        ("post", f"/devices/{device.pk}/assign"),
        ("post", f"/orders/{order.pk}/cancel"),
        ("post", f"/webhooks/endpoints/{endpoint.pk}/state"),
        ("post", f"/keys/{key.pk}/revoke"),
        ("get", "/patients/not-a-uuid/"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 404, (path, response.status_code)
    order.refresh_from_db()
    key.refresh_from_db()
    assert order.status == "awaiting_shipment"
    assert key.revoked_at is None


def test_staff_may_switch_company_and_both_trails_say_so(alice, charlie, as_user):
    from .conftest import make_user

    staff = make_user(alice, "sam", Membership.Role.OWNER)
    staff.is_staff = True
    staff.save()
    client = as_user(staff)
    assert client.post("/company", {"company": "charlie-health"}).status_code == 302
    page = client.get("/patients/").content.decode()
    assert "Charlie Health" in page
    assert AuditEntry.objects.filter(
        company=charlie, actor="sam", action="console.company.switch"
    ).exists()
    assert AuditEntry.objects.filter(
        company=alice, actor="sam", action="console.company.leave"
    ).exists()


def test_a_user_who_is_not_staff_cannot_switch(owner, charlie, as_user):
    client = as_user(owner)
    assert client.post("/company", {"company": "charlie-health"}).status_code == 403
    assert "Alice Care" in client.get("/patients/").content.decode()
