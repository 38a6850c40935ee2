from pulsebridge.core.models import AuditEntry, Membership
from pulsebridge.core.services import audit


def test_the_audit_trail_shows_who_did_what_to_which_patient(owner, as_user, alice, charlie):
    audit(alice, "bob", "patient.view", target="x", patient="P-7")
    audit(charlie, "charlie", "patient.view", patient="C-SECRET")
    client = as_user(owner)
    page = client.get("/audit/").content.decode()
    assert "P-7" in page
    assert "C-SECRET" not in page
    assert "P-7" not in client.get("/audit/", {"patient": "P-8"}).content.decode()


def test_an_owner_adds_a_user_changes_their_role_and_stops_them(owner, as_user, alice):
    client = as_user(owner)
    client.post(
        "/team/users", {"username": "nina", "password": "a long enough password", "role": "viewer"}
    )
    nina = Membership.objects.get(user__username="nina", company=alice)
    client.post(f"/team/users/{nina.pk}/role", {"role": "clinician"})
    client.post(f"/team/users/{nina.pk}/active", {"active": "no"})
    nina.refresh_from_db()
    nina.user.refresh_from_db()
    assert (nina.role, nina.user.is_active) == ("clinician", False)
    assert set(AuditEntry.objects.filter(target="nina").values_list("action", flat=True)) == {
        "user.create",
        "user.role",
        "user.deactivate",
    }


def test_the_last_owner_cannot_be_made_something_else(owner, as_user):
    membership = Membership.objects.get(user=owner)
    response = as_user(owner).post(
        f"/team/users/{membership.pk}/role", {"role": "viewer"}, follow=True
    )
    assert "last owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_the_weight_unit_is_a_company_setting(owner, as_user, alice):
    as_user(owner).post("/team/settings", {"weight_unit": "lb"})
    alice.refresh_from_db()
    assert alice.weight_unit == "lb"
