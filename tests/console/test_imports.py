import csv
import io
import json

from pulsebridge.care.services import import_now, receive_batch
from pulsebridge.core.models import AuditEntry


def batch_of(company, records):
    payload = json.dumps(
        {
            "companyCode": company.code,
            "instanceId": company.instance_id,
            "schemaType": "client",
            "dataSet": records,
        }
    )
    return import_now(receive_batch(company, "client", payload, len(records)))


GOOD = {"id": "C-1", "firstName": "Ada", "lastName": "Byron", "importStatus": "NEW"}
BAD = {"id": "C-2", "firstName": "Bad", "importStatus": "WHATEVER"}


def test_the_batches_and_a_batch_s_report(operator, as_user, alice):
    batch = batch_of(alice, [GOOD, BAD])
    client = as_user(operator)
    listing = client.get("/imports/").content.decode()
    assert f'href="/imports/{batch.pk}/"' in listing
    report = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "2 received, 1 imported, 1 failed" in report
    assert "C-2" in report


def test_the_failed_records_as_csv_with_the_record_sent(operator, as_user, alice):
    batch = batch_of(alice, [GOOD, BAD])
    response = as_user(operator).get(f"/imports/{batch.pk}/failed.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert (rows[0]["index"], rows[0]["id"]) == ("1", "C-2")
    assert json.loads(rows[0]["record"]) == BAD
    assert AuditEntry.objects.filter(action="import.failed.download", target=str(batch.pk)).exists()


def test_charlie_cannot_read_alice_s_batch(charlie_user, as_user, alice):
    batch = batch_of(alice, [BAD])
    client = as_user(charlie_user)
    assert client.get(f"/imports/{batch.pk}/").status_code == 404
    assert client.get(f"/imports/{batch.pk}/failed.csv").status_code == 404
