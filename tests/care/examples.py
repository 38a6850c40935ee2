"""The Hayylo document's example records, with its syntax errors corrected (comments removed,
the worker's missing comma added). The one error of substance is kept: the document's base64
``data`` is 59 characters long, which is not base64 at all (see DOCUMENT_EXAMPLE_DATA)."""

from __future__ import annotations

import base64
import copy

CLIENT = {
    "id": "CLIENT_ID_001",
    "firstName": "Betty",
    "lastName": "Smith",
    "phone": "0280008000",
    "phone2": "0404000000",
    "email": "bettysmith@email.com",
    "address": "1 George St",
    "suburb": "Sydney",
    "postCode": "2000",
    "state": "NSW",
    "gender": "female",
    "dob": "1950-01-01",
    "team": "Central Sydney Region",
    "importStatus": "NEW",
}

FAMILY = {
    "id": "FAMILY_ID_001",
    "linkedClientId": "CLIENT_ID_001",
    "faFName": "Andrew Smith",
    "mobile": "0404000001",
    "phone1": "",
    "phone2": "0243900900",
    "email": "andrewsmith@email.com",
    "importStatus": "NEW",
}

WORKER = {
    "id": "WORKER_ID_001",
    "firstName": "May",
    "lastName": "Simpson",
    "phone": "0404000003",
    "email": "maysimpson@email.com",
    "gender": "female",
    "dob": "1960-01-01",
    "team": "Care Workers",
    "importStatus": "NEW",
}


def _visit(number, worker, duration, start, service, status):
    return {
        "id": f"VISIT_ID_00{number}",
        "clientId": "CLIENT_ID_001",
        "workerId": worker,
        "duration": duration,
        "startDate": "2024-01-05",
        "startTime": start,
        "preferredStartDate": None,
        "preferredStartTime": None,
        "preferredEndTime": None,
        "serviceType": service,
        "importStatus": status,
    }


SCHEDULE = [
    _visit(1, "WORKER_ID_001", "60", "08:00", "Personal Care", "NEW"),
    _visit(2, "WORKER_ID_002", "30", "13:00", "Transport", "CHANGED"),
    _visit(3, "WORKER_ID_003", "45", "15:30", "Domestic Assistance", "CANCELLED"),
]

DOCUMENT_EXAMPLE_DATA = "sskdsksdjaksjaksjak8uXrp/Og0MTGCjMgMCBvYmoKPDwgL0ZpbHRlciA="
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nendobj\n\x00\xff\xfe binary tail\n%%EOF\n"
)

DOCUMENT = {
    "id": "ABC_DOC_001",
    "clientId": "ABC_CL_001",
    "fileType": "Care Plan",
    "fileTitle": "BettyJones-CarePlan-2023",
    "fileExtension": "pdf",
    "clientVisible": True,
    "workerVisible": True,
    "importStatus": "new",
    "data": DOCUMENT_EXAMPLE_DATA,
}


def document(**changes):
    """The document's example with real content (valid base64 of a small PDF)."""
    record = {**DOCUMENT, "data": base64.b64encode(PDF_BYTES).decode()}
    record.update(changes)
    return record


def client(**changes):
    return {**copy.deepcopy(CLIENT), **changes}


def worker(**changes):
    return {**copy.deepcopy(WORKER), **changes}


def family(**changes):
    return {**copy.deepcopy(FAMILY), **changes}


def visit(number=1, **changes):
    return {**copy.deepcopy(SCHEDULE[number - 1]), **changes}


def wrapper(schema_type, records, company_code="alice-care", instance_id="100"):
    return {
        "companyCode": company_code,
        "instanceId": instance_id,
        "schemaType": schema_type,
        "dataSet": records,
    }


# The document's worker example exactly as printed: a comma is missing after "Simpson".
DOCUMENT_WORKER_TEXT = """{
"companyCode": "alice-care",
"instanceId": "100",
"schemaType": "worker",
"dataSet": [
{
"id": "WORKER_ID_001",
"firstName": "May",
"lastName": "Simpson"
"phone": "0404000003",
"email": "maysimpson@email.com",
"gender": "female",
"dob": "1960-01-01",
"team": "Care Workers",
"importStatus": "NEW"
}
]
}"""

# The document's client example as printed: JSON has no comments.
DOCUMENT_CLIENT_TEXT = """{
"companyCode": "alice-care",
"instanceId": "100",
"schemaType": "client",
"dataSet": [
{
"id": "CLIENT_ID_001",
"firstName": "Betty",
"lastName": "Smith",
"phone": "0280008000", /* home phone */
"importStatus": "NEW"
}
]
}"""
