"""``GET /fhir/R4/metadata``: exactly what this server does, and nothing it does not."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .auth import ALL, RESOURCE_TYPES, scope_for
from .resources import OBSERVATION_KINDS

# The day this statement last changed (CapabilityStatement.date is required).
CHANGED = "2026-12-02"
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
SCOPES = [*(scope_for(t) for t in RESOURCE_TYPES), ALL]

PAGING = (
    " Results come in pages of _count (default 100, at most 1000) with a 'next' link; "
    "_total=none|estimate|accurate (estimate is accurate). Bundle.total is given when asked, "
    "for _count=0, when the answer fits in its first page, and for every Patient and Device "
    "search."
)


def _software_version() -> str:
    try:
        return version("pulsebridge")
    except PackageNotFoundError:  # a source tree without installed metadata
        return "0"


def _param(name: str, kind: str, documentation: str) -> dict:
    return {"name": name, "type": kind, "documentation": documentation}


ID = _param("_id", "token", "The resource's id; commas: any of them.")


def _resource(resource_type: str, params: list[dict], documentation: str, *,
              sorts: str = "", profiles: list[str] | None = None,
              export: bool = False) -> dict:  # fmt: skip
    out = {
        "type": resource_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
        "documentation": documentation + PAGING + sorts,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": params,
    }
    if profiles:
        out["supportedProfile"] = profiles
    if export:
        out["operation"] = [
            {"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/patient-export"}
        ]
    return out


def statement(base: str, token_url: str) -> dict:
    software = _software_version()
    vitals = "http://hl7.org/fhir/StructureDefinition/"
    return {
        "resourceType": "CapabilityStatement",
        "url": f"{base}/metadata",
        "version": software,
        "name": "PulsebridgeFHIR",
        "title": "Pulsebridge FHIR R4 API",
        "status": "active",
        "experimental": False,
        "date": CHANGED,
        "publisher": "Pulsebridge",
        "description": (
            "Read-only FHIR R4 access to a company's patients, devices and device readings "
            f"({', '.join(OBSERVATION_KINDS)}), and FHIR Bulk Data export of them."
        ),
        "kind": "instance",
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
        "software": {"name": "Pulsebridge", "version": software},
        "implementation": {"description": "Pulsebridge FHIR R4 API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": (
                "Every error is an OperationOutcome. Unknown search parameters follow "
                "'Prefer: handling=strict|lenient' (lenient by default). Another company's "
                "resources are answered 404."
            ),
            "security": {
                "cors": False,
                "service": [{"coding": [{"system": SECURITY_SERVICE, "code": "SMART-on-FHIR",
                                         "display": "SMART-on-FHIR"}]}],
                "extension": [{"url": OAUTH_URIS,
                               "extension": [{"url": "token", "valueUri": token_url}]}],
                "description": (
                    "Authorization: Bearer <token>: an OAuth2 access token from the token "
                    "endpoint (client credentials; scopes " + ", ".join(SCOPES) + "), or a "
                    "Pulsebridge API key of the fhir dialect (pb_fhir_...), which reads every "
                    "resource type of its company."
                ),
            },
            "resource": [
                _resource("Patient", [
                    _param("identifier", "token",
                           "The company's patient id or the Hayylo client id: [system|]value."),
                    _param("name", "string",
                           "Case-insensitive match of the start of the name or of one of its words."),
                    _param("_lastUpdated", "date", "When the patient's details (or the care "
                           "client's) last changed; prefixes eq, ge, gt, le, lt, sa, eb."),
                    ID,
                ], "Patients: the company's patients, with the care client details Hayylo "
                   "imported.", export=True),
                _resource("Device", [
                    _param("patient", "reference", "The patient the device serves."),
                    _param("_lastUpdated", "date", "When the device's model, serial, IMEI, "
                           "status or patient last changed; prefixes eq, ge, gt, le, lt, sa, eb."),
                    ID,
                ], "Devices: every unit the company holds."),
                _resource("Observation", [
                    _param("patient", "reference", "The patient measured."),
                    _param("subject", "reference", "Same as patient (Patient references only)."),
                    _param("code", "token", "LOINC codes of the Observations written: "
                           "85354-9, 8867-4, 29463-7, 59408-5, 2708-6, 8310-5, 41653-7, 2339-0, "
                           "14743-9, 15074-8, 19935-6, 20150-9."),
                    _param("category", "token", "vital-signs (every Observation) or laboratory "
                           "(blood glucose)."),
                    _param("date", "date", "When measured; prefixes eq, ge, gt, le, lt, sa, eb; "
                           "a date without a zone is UTC."),
                    _param("_lastUpdated", "date", "When received (readings never change); "
                           "the same prefixes."),
                    ID,
                ], "Observations: one per device reading, and one more for a pulse or FEV1 "
                   "measured with it (id '<reading id>-hr', '<reading id>-fev1').",
                   sorts=" _sort=date (default) or -date.",
                   profiles=[vitals + p for p in ("vitalsigns", "bp", "heartrate", "bodyweight",
                                                 "oxygensat", "bodytemp")]),
            ],
            "operation": [
                {"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/export"}
            ],
        }],
    }  # fmt: skip


def smart_configuration(token_url: str) -> dict:
    """``/.well-known/smart-configuration`` for backend services clients."""
    return {
        "token_endpoint": token_url,
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": SCOPES,
        "capabilities": ["client-confidential-symmetric"],
    }
