import json

from pulsebridge.care.services import batches, failed_records, import_now, receive_batch


def test_failed_records_carry_the_record_as_sent(alice, charlie):
    records = [
        {"id": "C-1", "firstName": "Ada", "lastName": "Byron", "importStatus": "NEW"},
        {"id": "C-2", "importStatus": "NOPE"},
    ]
    payload = json.dumps(
        {"companyCode": alice.code, "instanceId": "100", "schemaType": "client", "dataSet": records}
    )
    batch = import_now(receive_batch(alice, "client", payload, 2))
    failures = failed_records(batch)
    assert [(f["index"], f["id"], f["record"]) for f in failures] == [(1, "C-2", records[1])]
    assert failures[0]["message"]
    assert list(batches(alice)) == [batch]
    assert list(batches(charlie)) == []


def test_a_batch_with_every_record_imported_has_no_failures(alice):
    payload = json.dumps(
        {"dataSet": [{"id": "C-1", "firstName": "Ada", "lastName": "Byron", "importStatus": "NEW"}]}
    )
    assert failed_records(import_now(receive_batch(alice, "client", payload, 1))) == []
