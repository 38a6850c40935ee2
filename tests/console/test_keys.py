import re

from django.test import Client

from pulsebridge.core.apikeys import find_api_key
from pulsebridge.core.models import ApiKey, AuditEntry


def test_a_new_key_is_shown_once_and_works_until_revoked(owner, as_user, alice):
    client = as_user(owner)
    page = client.post(
        "/keys/create", {"dialect": "pylo", "monthly_quota": "1000"}
    ).content.decode()
    key = re.search(r'<code id="new-key">([^<]+)</code>', page).group(1)
    api_key = find_api_key(key, "pylo")
    assert api_key.company == alice
    assert api_key.plan.monthly_quota == 1000
    assert key not in client.get("/keys/").content.decode()
    assert Client().get("/pylo/devices", HTTP_X_API_KEY=key).status_code == 200
    usage = client.get("/keys/").content.decode()
    assert re.search(r'<td class="num">1</td>', usage)  # counted this month
    client.post(f"/keys/{api_key.pk}/revoke")
    from pulsebridge.core.apikeys import forget_verified_keys

    forget_verified_keys()
    assert Client().get("/pylo/devices", HTTP_X_API_KEY=key).status_code == 401
    assert list(
        AuditEntry.objects.filter(target=api_key.prefix).values_list("action", flat=True)
    ) == [
        "apikey.create",
        "apikey.revoke",
    ]


def test_an_unknown_dialect_or_a_bad_number_is_refused(owner, as_user):
    client = as_user(owner)
    assert "is not a dialect" in client.post("/keys/create", {"dialect": "soap"}).content.decode()
    page = client.post(
        "/keys/create", {"dialect": "pylo", "rate_per_second": "-3"}
    ).content.decode()
    assert "a whole number" in page
    assert not ApiKey.objects.exists()


def test_a_ping_application_s_secret_is_shown_once_and_gets_a_token(owner, as_user):
    client = as_user(owner)
    page = client.post(
        "/keys/applications", {"name": "Fleet app", "grant": "client-credentials", "user": owner.pk}
    ).content.decode()
    client_id = re.search(r'<code id="new-client-id">([^<]+)</code>', page).group(1)
    secret = re.search(r'<code id="new-client-secret">([^<]+)</code>', page).group(1)
    token = Client().post(
        "/ping/auth/token/",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        content_type="application/json",
    )
    assert token.status_code == 200
    assert secret not in client.get("/keys/").content.decode()
