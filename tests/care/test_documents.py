"""Client documents: base64 decoded strictly, stored through Django's storage with their size
and SHA-256, and read back byte for byte."""

import base64
import hashlib

import pytest

from pulsebridge.care import documents
from pulsebridge.care.models import ClientDocument
from tests.care import examples


@pytest.fixture
def betty_jones(load):
    load("client", [examples.client(id="ABC_CL_001", firstName="Betty", lastName="Jones")])


def test_a_document_round_trips_byte_for_byte(load, betty_jones, media_root):
    outcome = load("clientDocument", [examples.document()])
    assert (outcome.imported, outcome.errors) == (1, [])
    doc = ClientDocument.objects.get()
    assert documents.read(doc.file.name) == examples.PDF_BYTES
    assert doc.size == len(examples.PDF_BYTES)
    assert doc.sha256 == hashlib.sha256(examples.PDF_BYTES).hexdigest()
    assert (doc.title, doc.file_type, doc.extension) == (
        "BettyJones-CarePlan-2023",
        "Care Plan",
        "pdf",
    )
    assert doc.client_visible
    assert doc.worker_visible
    assert (media_root / doc.file.name).read_bytes() == examples.PDF_BYTES
    assert doc.file.name.endswith(".pdf")


def test_the_documents_own_example_data_is_not_base64_and_is_reported(load, betty_jones, errors_of):
    outcome = load("clientDocument", [examples.DOCUMENT])
    assert errors_of(outcome) == {
        0: "data is not valid base64: its length (59) is not a multiple of 4"
    }


def test_a_document_of_an_unknown_client_is_reported(load, errors_of):
    outcome = load("clientDocument", [examples.document()])
    assert 'clientId "ABC_CL_001" is not a client of this company' in errors_of(outcome)[0]


def test_a_records_report_lists_its_field_errors_and_unknown_references_at_once(load, errors_of):
    outcome = load("clientDocument", [examples.document(data="JVBERi1=")])
    message = errors_of(outcome)[0]
    assert "non-canonical padding bits" in message
    assert 'clientId "ABC_CL_001" is not a client of this company' in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "data is empty"),
        ("data:application/pdf;base64,JVBERi0=", "without a 'data:...;base64,' prefix"),
        ("JVBE\nRi0x", "not valid base64: it has line breaks"),
        # 76-column MIME lines: the length is then no multiple of 4, but the breaks are the fault
        ("JVBERi0x" * 10 + "\r\n" + "JVBERi0x", "it has line breaks"),
        ("JVBERi0x*===", "not valid base64"),
        ("JVBERi1=", "non-canonical padding bits"),
        ("JVBERi0x" + "=" * 4, "not valid base64"),
        (12345, "data must be a base64 string, not a number"),
    ],
)
def test_base64_is_decoded_strictly(load, betty_jones, errors_of, data, message):
    outcome = load("clientDocument", [examples.document(data=data)])
    assert message in errors_of(outcome)[0]


@pytest.mark.parametrize("extension", ["exe", "html", "svg", "js", ""])
def test_a_file_type_outside_the_allowed_list_is_reported(load, betty_jones, errors_of, extension):
    outcome = load("clientDocument", [examples.document(fileExtension=extension)])
    assert "fileExtension" in errors_of(outcome)[0]


@pytest.mark.parametrize("extension", ["PDF", ".pdf", "docx", "jpg", "png"])
def test_allowed_file_types_are_accepted_in_any_case(load, betty_jones, extension):
    outcome = load("clientDocument", [examples.document(fileExtension=extension)])
    assert outcome.errors == []
    assert ClientDocument.objects.get().extension == extension.lower().lstrip(".")


def test_visibility_must_be_a_boolean(load, betty_jones, errors_of):
    outcome = load("clientDocument", [examples.document(clientVisible="yes")])
    assert errors_of(outcome)[0] == 'clientVisible must be true or false, not "yes"'


def test_a_new_version_replaces_the_content_and_the_same_content_is_stored_once(
    load, betty_jones, media_root
):
    load("clientDocument", [examples.document()])
    load("clientDocument", [examples.document(importStatus="CHANGED")])
    stored = [p for p in media_root.rglob("*") if p.is_file()]
    assert len(stored) == 1
    new_bytes = b"%PDF-1.7 second version"
    load(
        "clientDocument",
        [examples.document(data=base64.b64encode(new_bytes).decode(), importStatus="CHANGED")],
    )
    doc = ClientDocument.objects.get()
    assert documents.read(doc.file.name) == new_bytes
    assert doc.size == len(new_bytes)


def test_changing_only_the_title_keeps_the_file(load, betty_jones):
    load("clientDocument", [examples.document()])
    before = ClientDocument.objects.get().file.name
    load(
        "clientDocument",
        [{"id": "ABC_DOC_001", "fileTitle": "Plan 2024", "importStatus": "CHANGED"}],
    )
    doc = ClientDocument.objects.get()
    assert (doc.title, doc.file.name) == ("Plan 2024", before)


def test_documents_of_two_companies_are_stored_apart(load, alice, charlie):
    for company in (alice, charlie):
        load("client", [examples.client(id="ABC_CL_001")], company=company)
        load("clientDocument", [examples.document()], company=company)
    names = {d.file.name for d in ClientDocument.objects.all()}
    assert len(names) == 2
    assert any(str(alice.pk) in n for n in names)
