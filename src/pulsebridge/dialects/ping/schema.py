"""The PING customer API's OpenAPI schema (``/api/schema/ping.json``) in the document's terms:
OAuth2 with its authorize and token endpoints (authorization code and client credentials),
each operation's name, summary and description, the answers of the group-devices operations,
and every error status in DRF's shape (``{"detail"}``, or each field's messages on a 400), as
the document's own samples show."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from pulsebridge.lib.openapi import apply, json_body

AUTHORIZE_URL = "/ping/auth/authorize/"
TOKEN_URL = "/ping/auth/token/"  # noqa: S105 - a URL, not a secret


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


COMPONENTS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "string"}},
    },
    "ValidationError": {
        "type": "object",
        "description": "Each refused field (or `non_field_errors`) with its messages; nested "
        "fields as nested objects.",
        "additionalProperties": {
            "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
        },
    },
    "BadRequest": {
        "description": "A 400: each field's messages, or `detail` when the body is not JSON.",
        "anyOf": [ref("ValidationError"), ref("Error")],
    },
    "GroupDevicesMoved": {
        "type": "object",
        "required": ["count"],
        "properties": {"count": {"type": "integer", "description": "Devices moved."}},
    },
    "TokenRequest": {
        "type": "object",
        "required": ["client_id", "client_secret", "grant_type"],
        "properties": {
            "client_id": {"type": "string", "description": "The application's client ID."},
            "client_secret": {"type": "string", "description": "The application's secret."},
            "grant_type": {
                "type": "string",
                "enum": ["client_credentials", "authorization_code", "refresh_token"],
            },
            "redirect_uri": {
                "type": "string",
                "description": "authorization_code: the redirect URI given to the authorize "
                "endpoint.",
            },
            "code": {
                "type": "string",
                "description": "authorization_code: the code the authorize endpoint returned.",
            },
            "refresh_token": {"type": "string", "description": "refresh_token: the token."},
        },
    },
    "Token": {
        "type": "object",
        "required": ["access_token", "expires_in", "token_type", "scope"],
        "properties": {
            "access_token": {"type": "string"},
            "expires_in": {"type": "integer", "description": "Seconds."},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "scope": {"type": "string"},
            "refresh_token": {
                "type": "string",
                "description": "Authorization code grant only.",
            },
        },
    },
    "OAuthError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "string",
                "description": "`invalid_request`, `invalid_client`, `invalid_grant`, "
                "`unsupported_grant_type` ...",
            },
            "error_description": {"type": "string"},
        },
    },
}

ERROR_WORDS = {
    400: "Invalid request parameters and validation errors.",
    401: "No valid access token (`Authorization: Bearer <token>`).",
    403: "The token's user belongs to no customer.",
    404: "No such object among the customer's.",
    415: "The body is not JSON (`Content-Type: application/json`).",
}


def errors(*codes: int) -> dict[str, Any]:
    out = {}
    for code in codes:
        schema = ref("BadRequest") if code == 400 else ref("Error")
        out[str(code)] = json_body(schema, ERROR_WORDS[code])
    return out


DEFAULT_WORDS = {
    "list": "A page of {noun}.",
    "create": "Creates one of {noun}.",
    "read": "One of {noun}, by id.",
    "update": "Replaces the writable fields of one of {noun}.",
    "partial": "Changes the fields given of one of {noun}.",
    "delete": "Deletes one of {noun}.",
}


def crud(
    base: str,
    noun: str,
    name: str,
    *,
    tag: str,
    words: dict[str, tuple[str, str]],
) -> dict[tuple[str, str], dict[str, Any]]:
    """The operations of one resource; ``words`` maps list/create/read/update/partial/delete
    to the document's summary and a description."""
    one = f"{base}{{id}}/"
    plan = {
        # 404 too: a page past the last ({"detail": "Invalid page."})
        "list": ("get", base, f"list{name}s", (400, 401, 403, 404)),
        "create": ("post", base, f"create{name}", (400, 401, 403, 415)),
        "read": ("get", one, f"get{name}", (400, 401, 403, 404)),
        "update": ("put", one, f"update{name}", (400, 401, 403, 404, 415)),
        "partial": ("patch", one, f"partialUpdate{name}", (400, 401, 403, 404, 415)),
        "delete": ("delete", one, f"delete{name}", (400, 401, 403, 404)),
    }
    out = {}
    for kind, (summary, description) in words.items():
        method, path, operation_id, codes = plan[kind]
        out[(method, path)] = {
            "operationId": operation_id,
            "summary": summary,
            "description": description or DEFAULT_WORDS[kind].format(noun=noun),
            "tags": [tag],
            "extra_responses": errors(*codes),
        }
    return out


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/1.0/customers/accounts/me/"): {
        "operationId": "getUserDetails",
        "summary": "User details",
        "description": "The details of the authenticated user and the customer the user "
        "belongs to.",
        "tags": ["User Accounts"],
        "extra_responses": errors(401, 403),
    },
    ("post", "/1.0/customers/accounts/password/change/"): {
        "operationId": "changePassword",
        "summary": "Change password",
        "description": "Changes the authenticated user's password: the old one, and the new "
        "one twice.",
        "tags": ["User Accounts"],
        "extra_responses": errors(400, 401, 403, 415),
    },
    **crud(
        "/1.0/applications/",
        "the OAuth2 applications of the user",
        "Application",
        tag="OAuth2 Applications",
        words={
            "list": ("List of OAuth2 applications", "The user's OAuth2 applications."),
            "create": (
                "Create OAuth2 application",
                "Creates an application for the client credentials or the authorization code "
                "grant. The answer is the only one that carries `client_secret`: keep it.",
            ),
            "read": ("OAuth2 application details", "One application (without its secret)."),
            "update": ("Update OAuth2 application", ""),
            "partial": ("Partial update OAuth2 application", ""),
            "delete": ("Delete OAuth2 application", "Deletes it; its tokens stop working."),
        },
    ),
    **crud(
        "/1.0/configurations/customer/",
        "the customer's device configurations (draft, then published)",
        "Configuration",
        tag="Configurations",
        words={
            "list": ("List configurations", "Filterable by state, orderable, paginated."),
            "create": ("Create configuration", "Creates a draft configuration."),
            "read": ("Configuration details", ""),
            "update": ("Update configuration", "Only a draft can be changed."),
            "partial": ("Partial update configuration", "Only a draft can be changed."),
            "delete": ("Delete configuration", "A configuration in use cannot be deleted."),
        },
    ),
    ("post", "/1.0/configurations/customer/{id}/publish/"): {
        "operationId": "publishConfiguration",
        "summary": "Publish configuration",
        "description": "Publishes a draft: from then on it can be given to device groups, and "
        "no longer changed.",
        "tags": ["Configurations"],
        "requestBody": None,
        "extra_responses": errors(400, 401, 403, 404),
    },
    **crud(
        "/1.0/devices/devices/",
        "the customer's devices",
        "Device",
        tag="Devices",
        words={
            "list": (
                "List devices",
                "Filterable by IMEI, MAC, fault, group and location (within or beyond a "
                "radius, inside or outside a geo group), searchable, orderable, paginated.",
            ),
            "read": ("Device details", ""),
            "update": ("Update device", "Only the device's own writable fields change."),
            "partial": ("Partial update device", "Only the device's own writable fields change."),
        },
    ),
    **crud(
        "/1.0/customers/groups/",
        "the customer's device groups",
        "DeviceGroup",
        tag="Device groups",
        words={
            "list": ("List device groups", ""),
            "create": ("Create device group", "A group with a published configuration."),
            "read": ("Device group details", ""),
            "update": ("Update device group", ""),
            "partial": ("Partial update device group", ""),
            "delete": (
                "Delete device group",
                "Its devices go back to the default configuration.",
            ),
        },
    ),
    ("get", "/1.0/customers/groups/{id}/devices/"): {
        "operationId": "listDeviceGroupDevices",
        "summary": "List the devices of a device group",
        "description": "The group's devices, a page at a time (as List devices answers).",
        "tags": ["Device groups"],
        "extra_parameters": [
            {"in": "query", "name": "page", "schema": {"type": "integer"}, "required": False},
            {"in": "query", "name": "page_size", "schema": {"type": "integer"}, "required": False},
        ],
        "responses": {
            "200": json_body(ref("PaginatedDeviceList"), "A page of the group's devices."),
            **errors(400, 401, 403, 404),
        },
    },
    ("post", "/1.0/customers/groups/{id}/devices/"): {
        "operationId": "addDeviceGroupDevices",
        "summary": "Add devices to a device group",
        "description": "Moves the devices named by id into the group (out of any other); "
        "every id must be one of the customer's devices.",
        "tags": ["Device groups"],
        "responses": {
            "200": json_body(ref("GroupDevicesMoved"), "The devices were moved."),
            **errors(400, 401, 403, 404, 415),
        },
    },
    ("delete", "/1.0/customers/groups/{id}/devices/{device_id}/"): {
        "operationId": "removeDeviceGroupDevice",
        "summary": "Remove a device from a device group",
        "description": "Takes one device out of the group; it keeps the default configuration.",
        "tags": ["Device groups"],
        "extra_responses": errors(400, 401, 403, 404),
    },
    **crud(
        "/1.0/geogroups/",
        "the customer's geo groups (areas devices are inside or outside of)",
        "GeoGroup",
        tag="Geo groups",
        words={
            "list": ("List geo groups", ""),
            "create": ("Create geo group", ""),
            "read": ("Geo group details", ""),
            "update": ("Update geo group", ""),
            "partial": ("Partial update geo group", ""),
            "delete": ("Delete geo group", ""),
        },
    ),
    **crud(
        "/1.0/events/",
        "what the customer's devices reported (positions, faults ...)",
        "Event",
        tag="Events",
        words={
            "list": ("List events", "Filterable by device, kind and time, paginated."),
            "read": ("Event details", ""),
        },
    ),
}

OAUTH_PATHS: dict[str, Any] = {
    "/auth/authorize/": {
        "get": {
            "operationId": "authorizeClient",
            "summary": "Authorizing a client",
            "description": "Starts the authorization code grant: the user logs in and agrees, "
            "then is redirected to the redirect URL (or the application's first) with `code` "
            "and `state`, or with `error` when the user does not agree or the request is "
            "wrong.",
            "tags": ["Authentication"],
            "security": [],
            "parameters": [
                {
                    "in": "query",
                    "name": "response_type",
                    "required": True,
                    "schema": {"type": "string", "enum": ["code"]},
                },
                {
                    "in": "query",
                    "name": "client_id",
                    "required": True,
                    "schema": {"type": "string"},
                },
                {"in": "query", "name": "redirect_uri", "schema": {"type": "string"}},
                {"in": "query", "name": "state", "schema": {"type": "string"}},
                {"in": "query", "name": "scope", "schema": {"type": "string"}},
            ],
            "responses": {
                "302": {
                    "description": "Redirect through the authorization flow (to the log-in page "
                    "first); ends in a redirect to the redirect URI with `code` on success.",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                "200": {
                    "description": "The consent page (a logged-in user).",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                "400": {
                    "description": "No application has this client_id, or the redirect URI is "
                    "not one of its own: nothing to redirect to.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                "403": {
                    "description": "The logged-in user belongs to no customer.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
            },
        }
    },
    "/auth/token/": {
        "post": {
            "operationId": "obtainAccessToken",
            "summary": "Obtaining an access token",
            "description": "A new access token in exchange for the application's client ID and "
            "secret (client credentials grant), with the code from the authorize endpoint "
            "(authorization code grant: a refresh token too), or for a refresh token. JSON "
            "or a form.",
            "tags": ["Authentication"],
            "security": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ref("TokenRequest")},
                    "application/x-www-form-urlencoded": {"schema": ref("TokenRequest")},
                },
            },
            "responses": {
                "200": json_body(ref("Token"), "Access token response."),
                "400": json_body(ref("OAuthError"), "Invalid request parameters."),
                "401": json_body(ref("OAuthError"), "Unknown client or wrong secret."),
                "429": json_body(ref("OAuthError"), "Too many requests; see Retry-After."),
            },
        }
    },
}


def _ping_scopes() -> dict[str, str]:
    """PING's scopes (its token answers ``"scope": "read write"``), in the words the consent
    page shows; the FHIR API's scopes are the same server's but not PING's."""
    provider = settings.OAUTH2_PROVIDER
    return {name: provider["SCOPES"][name] for name in provider["DEFAULT_SCOPES"]}


SECURITY_SCHEMES = {
    "oauth2": {
        "type": "oauth2",
        "description": "`Authorization: Bearer <access token>`, the token from either grant.",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": AUTHORIZE_URL,
                "tokenUrl": TOKEN_URL,
                "refreshUrl": TOKEN_URL,
                "scopes": _ping_scopes(),
            },
            "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": _ping_scopes()},
        },
    }
}


# Fields the serializers answer null for (a device without a MAC address), which drf-spectacular
# cannot tell from a read-only source.
NULLABLE = {("Device", "mac"), ("PatchedDevice", "mac")}


def postprocess(result, generator, request, public):
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method != "parameters" and operation.get("security") == [{"bearer": []}]:
                operation["security"] = [{"oauth2": []}]
    result = apply(
        result,
        OPERATIONS,
        components=COMPONENTS,
        security_schemes=SECURITY_SCHEMES,
        extra_paths=OAUTH_PATHS,
    )
    # the secret is in the answer to create only: never a required field of an application
    application = result["components"]["schemas"].get("Application", {})
    if "client_secret" in application.get("required", []):
        application["required"].remove("client_secret")
        application["properties"]["client_secret"]["description"] = (
            "Only in the answer to create: the secret is stored hashed."
        )
    for name, field in NULLABLE:
        result["components"]["schemas"][name]["properties"][field]["nullable"] = True
    return result
