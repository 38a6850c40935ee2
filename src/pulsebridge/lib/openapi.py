"""What a dialect's OpenAPI schema says beyond what drf-spectacular reads from its views: each
operation's name, summary and description in the vendor's words, its real request body and
every response it answers (errors included), and the security scheme the vendor documents.

A dialect's ``schema.py`` keeps these as plain OpenAPI in one table keyed by method and path,
and names its ``postprocess`` hook in the schema view's settings (``urls.py``): the views stay
as they are, and what the schema says about an operation is in one place."""

from __future__ import annotations

import copy
from typing import Any

Operations = dict[tuple[str, str], dict[str, Any]]
REPLACED = ("operationId", "summary", "description", "tags", "parameters", "security")


def json_body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A response (or request body) of JSON with this schema."""
    out: dict[str, Any] = {"content": {"application/json": {"schema": schema}}}
    out["description"] = description
    return out


def apply(
    result: dict[str, Any],
    operations: Operations,
    *,
    components: dict[str, Any] | None = None,
    security_schemes: dict[str, Any] | None = None,
    security: list[dict[str, list[str]]] | None = None,
    extra_paths: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``result`` (drf-spectacular's schema) with each listed operation's fields put in: a
    listed ``requestBody`` (``None``: no body) and ``responses`` replace the generated ones;
    ``extra_parameters`` and ``extra_responses`` are added to the generated ones."""
    paths = result.setdefault("paths", {})
    for path, item in (extra_paths or {}).items():
        paths[path] = copy.deepcopy(item)
    for (method, path), spec in operations.items():
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue  # an operation the urls no longer have: the tests say so
        _put_in(operation, copy.deepcopy(spec))
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(copy.deepcopy(components or {}))
    if security_schemes is not None:
        result["components"]["securitySchemes"] = copy.deepcopy(security_schemes)
    if security is not None:
        for item in paths.values():
            for method, operation in item.items():
                if method != "parameters" and "security" not in operation:
                    operation["security"] = copy.deepcopy(security)
    return result


def _put_in(operation: dict[str, Any], spec: dict[str, Any]) -> None:
    """One listed operation's fields into drf-spectacular's generated one."""
    for key in REPLACED:
        if key in spec:
            operation[key] = spec[key]
    if "extra_parameters" in spec:
        names = {(p["name"], p["in"]) for p in spec["extra_parameters"]}
        kept = [p for p in operation.get("parameters", []) if (p["name"], p["in"]) not in names]
        operation["parameters"] = kept + spec["extra_parameters"]
    if "requestBody" in spec:
        if spec["requestBody"] is None:
            operation.pop("requestBody", None)
        else:
            operation["requestBody"] = spec["requestBody"]
    if "responses" in spec:
        operation["responses"] = spec["responses"]
    operation["responses"].update(spec.get("extra_responses", {}))
