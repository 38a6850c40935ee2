"""The Tenovi dialect's OpenAPI schema (``/api/schema/tenovi.json``): every operation with the
request and response shapes of Tenovi's Swagger (``tenovi-hwi-swagger.json``), converted to
OpenAPI 3 (``x-nullable`` is ``nullable``), plus what Pulsebridge adds (each addition marked
so, in :data:`ADDITIONS`). ``tests/dialects/tenovi/test_schema.py`` holds these definitions
against the Swagger itself, so they cannot drift from it."""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.utils import OpenApiParameter

# ----------------------------------------------------------------------------- the Swagger's

DEFINITIONS: dict[str, dict[str, Any]] = {
    "WhitelistedDevices": {
        "required": ["sensor_code", "mac_address", "whitelist_status", "created", "modified"],
        "type": "object",
        "properties": {
            "sensor_code": {"type": "string", "minLength": 1},
            "mac_address": {"type": "string", "minLength": 1},
            "whitelist_status": {"type": "string", "enum": ["RE", "CO"]},
            "created": {"type": "string", "format": "date-time"},
            "modified": {"type": "string", "format": "date-time"},
        },
    },
    "GatewayProperties": {
        "required": ["key"],
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "key": {"type": "string", "maxLength": 255, "minLength": 1},
            "value": {"type": "string", "maxLength": 255, "nullable": True},
        },
    },
    "GatewayInfo": {
        "required": ["gateway_uuid"],
        "type": "object",
        "properties": {
            "gateway_uuid": {"type": "string", "maxLength": 255, "minLength": 1},
            "firmware_version": {"type": "string", "maxLength": 255, "minLength": 1},
            "bootloader_version": {"type": "string", "maxLength": 255, "minLength": 1},
            "provisioned": {"type": "boolean"},
            "last_signal_strength": {"type": "integer", "readOnly": True},
            "last_checkin_time": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "assigned_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "shipped_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "whitelisted_devices": {
                "type": "array",
                "items": {"$ref": "WhitelistedDevices"},
                "readOnly": True,
            },
            "properties": {
                "type": "array",
                "items": {"$ref": "GatewayProperties"},
                "readOnly": True,
            },
        },
    },
    "HardwareUuidLogs": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "created": {"type": "string", "format": "date-time", "readOnly": True},
            "modified": {"type": "string", "format": "date-time", "readOnly": True},
            "object_id": {"type": "string", "maxLength": 255, "nullable": True},
            "device_name": {"type": "string", "maxLength": 255, "nullable": True},
            "old_hardware_uuid": {"type": "string", "maxLength": 255, "nullable": True},
            "new_hardware_uuid": {"type": "string", "maxLength": 255, "nullable": True},
            "changer": {"type": "string", "maxLength": 255, "nullable": True},
        },
    },
    "HwiBulkOrderContents": {
        "required": ["name", "quantity", "kit_id"],
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "quantity": {"type": "integer", "minimum": 1},
            "kit_id": {"type": "integer"},
        },
    },
    "HwiBulkOrderManifest": {
        "required": ["order_section", "kitted_items", "loose_items"],
        "type": "object",
        "properties": {
            "order_section": {"type": "string", "minLength": 1},
            "kitted_items": {"type": "array", "items": {"type": "object"}},
            "loose_items": {"type": "array", "items": {"type": "object"}},
        },
    },
    "HwiBulkOrders": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "created": {"type": "string", "format": "date-time", "readOnly": True},
            "modified": {"type": "string", "format": "date-time", "readOnly": True},
            "order_number": {"type": "string", "readOnly": True, "minLength": 1},
            "shipping_name": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_address": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_city": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_state": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_zip_code": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_status": {
                "type": "string",
                "enum": ["DR", "RQ", "PE", "CR", "OH", "RS", "SH", "DE", "RE", "CA"],
                "readOnly": True,
            },
            "shipping_tracking_link": {
                "type": "string",
                "format": "uri",
                "readOnly": True,
                "minLength": 1,
                "nullable": True,
            },
            "fulfilled": {"type": "boolean", "readOnly": True},
            "requested_by": {"type": "string", "readOnly": True, "minLength": 1, "nullable": True},
            "shipped_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "delivered_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "notify_emails": {"type": "string", "maxLength": 2048, "nullable": True},
            "contents": {
                "type": "array",
                "items": {"$ref": "HwiBulkOrderContents"},
                "readOnly": True,
            },
            "manifest": {
                "type": "array",
                "items": {"$ref": "HwiBulkOrderManifest"},
                "readOnly": True,
            },
        },
    },
    "HwiMetrics": {
        "required": ["name", "primary_display_name"],
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 255, "minLength": 1},
            "primary_units": {"type": "string", "maxLength": 255},
            "primary_display_name": {"type": "string", "maxLength": 255, "minLength": 1},
            "secondary_units": {"type": "string", "maxLength": 255},
            "secondary_display_name": {"type": "string", "maxLength": 255},
            "unified_display_name": {"type": "string", "maxLength": 255},
            "type": {"type": "string", "enum": ["PH", "AD", "ST", "ES"], "nullable": True},
        },
    },
    "HwiDeviceType": {
        "required": ["name"],
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "name": {"type": "string", "maxLength": 255, "minLength": 1},
            "client_sku": {"type": "string", "maxLength": 255, "nullable": True},
            "stock_type": {"type": "string", "enum": ["ST", "OD", "NS", "VI"], "nullable": True},
            "metrics": {"type": "array", "items": {"$ref": "HwiMetrics"}, "readOnly": True},
            "sensor_code": {"type": "string", "maxLength": 3},
            "image": {"type": "string", "format": "uri", "maxLength": 1000, "nullable": True},
            "up_front_cost": {"type": "string", "readOnly": True},
            "shipping_cost": {"type": "string", "readOnly": True},
            "monthly_cost": {"type": "string", "readOnly": True},
            "sensor_id_required": {"type": "boolean"},
            "in_stock": {"type": "boolean"},
            "virtual": {"type": "boolean"},
            "deprecated": {"type": "boolean"},
        },
    },
    "DeviceFulfillmentRequestSerializerForApi": {
        "type": "object",
        "properties": {
            "created": {"type": "string", "format": "date-time", "readOnly": True},
            "shipping_status": {
                "type": "string",
                "enum": ["PE", "CR", "OH", "RS", "SH", "DE", "DI", "CN", "RE", "CA"],
                "readOnly": True,
            },
            "shipping_name": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_address": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_city": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_state": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_zip_code": {"type": "string", "maxLength": 255, "nullable": True},
            "shipped_on_behalf_of": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_tracking_link": {
                "type": "string",
                "format": "uri",
                "maxLength": 2000,
                "nullable": True,
            },
            "ship_gateway_only": {"type": "boolean"},
            "require_signature": {"type": "boolean"},
            "shipped_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "delivered_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "requested_by": {"type": "string", "readOnly": True, "minLength": 1, "nullable": True},
            "client_notes": {"type": "string"},
            "notify_emails": {"type": "string", "maxLength": 2048, "nullable": True},
            "fulfilled": {"type": "boolean", "readOnly": True},
            "client_will_fulfill": {"type": "boolean"},
            "flagged_by_client": {"type": "boolean"},
            "invalid_address": {"type": "string", "readOnly": True},
            "duplicate_device_at_address": {"type": "boolean", "readOnly": True},
        },
        "nullable": True,
    },
    "DeviceSerializerForApi": {
        "required": ["name"],
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "fulfillment_request": {"$ref": "DeviceFulfillmentRequestSerializerForApi"},
            "created": {"type": "string", "format": "date-time", "readOnly": True},
            "name": {"type": "string", "maxLength": 255, "minLength": 1},
            "hardware_uuid": {"type": "string", "maxLength": 255, "nullable": True},
            "sensor_code": {"type": "string", "readOnly": True, "default": "", "minLength": 1},
            "sensor_id": {"type": "string", "maxLength": 255},
            "device_type": {"type": "string", "format": "uuid", "readOnly": True, "nullable": True},
            "shared_hardware_uuid": {"type": "boolean", "readOnly": True},
            "model_number": {"type": "string", "readOnly": True, "minLength": 1},
        },
    },
    "HwiPatient": {
        "type": "object",
        "properties": {
            "external_id": {"type": "string", "maxLength": 255, "nullable": True},
            "name": {"type": "string", "maxLength": 255, "nullable": True},
            "phone_number": {"type": "string", "maxLength": 255, "nullable": True},
            "email": {"type": "string", "format": "email", "maxLength": 255, "nullable": True},
            "physician": {"type": "string", "maxLength": 255, "nullable": True},
            "clinic_name": {"type": "string", "maxLength": 255, "nullable": True},
            "care_manager": {"type": "string", "maxLength": 255, "nullable": True},
            "sms_opt_in": {"type": "boolean"},
        },
        "nullable": True,
    },
    "HwiDevice": {
        "required": ["device"],
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "hwi_device_id": {"type": "string", "readOnly": True, "minLength": 1},
            "status": {"type": "string", "readOnly": True, "minLength": 1},
            "connected_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "unlinked_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "last_measurement": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "device": {"$ref": "DeviceSerializerForApi"},
            "patient_id": {"type": "string"},
            "patient_phone_number": {"type": "string"},
            "patient": {"$ref": "HwiPatient"},
        },
    },
    "HwiMeasurement": {
        "required": ["metric", "value_1", "value_2", "created", "timestamp", "estimated_timestamp"],
        "type": "object",
        "properties": {
            "metric": {"type": "string", "minLength": 1},
            "device_name": {"type": "string", "maxLength": 255, "nullable": True},
            "hwi_device_id": {"type": "string", "readOnly": True},
            "patient_id": {"type": "string", "readOnly": True},
            "hardware_uuid": {"type": "string", "maxLength": 255, "nullable": True},
            "sensor_code": {"type": "string", "readOnly": True},
            "value_1": {"type": "string", "format": "decimal"},
            "value_2": {"type": "string", "format": "decimal"},
            "created": {"type": "string", "format": "date-time"},
            "timestamp": {"type": "string", "format": "date-time"},
            "timezone_offset": {"type": "integer", "maximum": 2147483647, "minimum": -2147483648},
            "estimated_timestamp": {"type": "boolean"},
            "filter_params": {"type": "object", "nullable": True},
        },
    },
    "ClientDeviceProperties": {
        "required": ["key"],
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "key": {"type": "string", "maxLength": 255, "minLength": 1},
            "value": {"type": "string", "maxLength": 255, "nullable": True},
            "synced": {"type": "boolean"},
            "handle_property": {"type": "boolean"},
        },
    },
    "HwiGateways": {
        "required": ["gateway_uuid"],
        "type": "object",
        "properties": {
            "gateway_uuid": {"type": "string", "maxLength": 255, "minLength": 1},
            "last_signal_strength": {"type": "integer", "readOnly": True},
            "last_measurement": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "shipped_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "assigned_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
        },
    },
    "HwiPatientDetails": {
        "required": ["external_id"],
        "type": "object",
        "properties": {
            "external_id": {"type": "string", "maxLength": 255, "nullable": True},
            "name": {"type": "string", "maxLength": 255, "nullable": True},
            "address": {"type": "string", "maxLength": 255, "nullable": True},
            "city": {"type": "string", "maxLength": 255, "nullable": True},
            "state": {"type": "string", "maxLength": 255, "nullable": True},
            "zip_code": {"type": "string", "maxLength": 255, "nullable": True},
            "phone_number": {"type": "string", "maxLength": 255, "nullable": True},
            "email": {"type": "string", "format": "email", "maxLength": 255, "nullable": True},
            "physician": {"type": "string", "maxLength": 255, "nullable": True},
            "clinic_name": {"type": "string", "maxLength": 255, "nullable": True},
            "care_manager": {"type": "string", "maxLength": 255, "nullable": True},
            "sms_opt_in": {"type": "boolean"},
            "address_status": {"type": "string", "readOnly": True, "default": "", "minLength": 1},
            "address_verified_by": {
                "type": "string",
                "readOnly": True,
                "default": "",
                "minLength": 1,
            },
            "confirm_address": {"type": "boolean"},
        },
    },
    "HwiReplacementDeviceTypes": {
        "required": ["name"],
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 255, "minLength": 1}},
    },
    "HwiReplacements": {
        "required": ["device_types", "hwi_device_id"],
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "device_types": {"type": "array", "items": {"$ref": "HwiReplacementDeviceTypes"}},
            "shipping_name": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_address": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_city": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_state": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_zip_code": {"type": "string", "maxLength": 255, "nullable": True},
            "shipping_status": {
                "type": "string",
                "enum": ["DR", "RQ", "PE", "CR", "OH", "RS", "SH", "DE", "RE", "CA"],
                "readOnly": True,
            },
            "notify_emails": {"type": "string", "maxLength": 2048, "nullable": True},
            "hwi_device_id": {"type": "string", "minLength": 1},
            "order_number": {"type": "string", "readOnly": True, "minLength": 1},
            "fulfilled": {"type": "boolean", "readOnly": True},
            "created": {"type": "string", "format": "date-time", "readOnly": True},
            "shipped_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "delivered_on": {
                "type": "string",
                "format": "date-time",
                "readOnly": True,
                "nullable": True,
            },
            "shipping_tracking_link": {
                "type": "string",
                "format": "uri",
                "readOnly": True,
                "minLength": 1,
                "nullable": True,
            },
        },
    },
    "ResendWebhooks": {
        "type": "object",
        "properties": {
            "responses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": {"type": "string", "nullable": True},
                },
                "readOnly": True,
            },
            "all_failed": {"type": "boolean"},
            "measurement_id": {"type": "string"},
            "client_device_id": {"type": "string"},
            "webhook_ids": {"type": "array", "items": {"type": "string", "minLength": 1}},
        },
    },
    "WebhooksTesting": {
        "required": ["event"],
        "type": "object",
        "properties": {
            "responses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": {"type": "string", "nullable": True},
                },
                "readOnly": True,
            },
            "event": {"type": "string", "minLength": 1},
            "webhook_ids": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "metric": {"type": "string", "minLength": 1},
            "sensor_code": {"type": "string"},
            "device_name": {"type": "string", "minLength": 1},
            "patient_id": {"type": "string"},
            "value": {"type": "string", "format": "decimal"},
            "secondary_value": {"type": "string", "format": "decimal"},
            "device_id": {"type": "string", "minLength": 1},
            "hardware_uuid": {"type": "string", "minLength": 1},
            "hwi_device_id": {"type": "string", "minLength": 1},
            "status": {"type": "string", "minLength": 1},
            "timestamp": {"type": "string", "format": "date-time"},
            "timezone_offset": {"type": "integer"},
            "estimated_timestamp": {"type": "boolean"},
            "created": {"type": "string", "format": "date-time"},
            "filter_params": {"type": "object", "nullable": True},
        },
    },
    "Webhooks": {
        "required": ["endpoint"],
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "created": {"type": "string", "format": "date-time", "readOnly": True},
            "modified": {"type": "string", "format": "date-time", "readOnly": True},
            "endpoint": {"type": "string", "format": "uri", "maxLength": 512, "minLength": 1},
            "auth_header": {"type": "string", "maxLength": 255, "nullable": True},
            "auth_key": {"type": "string", "maxLength": 255, "nullable": True},
            "event": {"type": "string", "enum": ["MEASUREMENT", "FULFILLMENT"]},
            "post_as_array": {"type": "boolean"},
            "enabled_by_default": {"type": "boolean"},
        },
    },
}

OPERATIONS: dict[str, dict[str, Any]] = {
    "gateway-info_read": {
        "method": "get",
        "path": "/gateway-info/{gateway_uuid__iexact}/",
        "summary": "Get detailed information about a single gateway that has been "
        "previously associated with your account.",
        "query": [],
        "body": None,
        "response": ("200", "object", "GatewayInfo"),
        "tag": "hwi-gateway-info",
    },
    "hardware-uuid-logs_list": {
        "method": "get",
        "path": "/hardware-uuid-logs/",
        "summary": "Lists all changes to the Hardware UUID for HWI Devices",
        "query": [("object_id", "string", "object_id"), ("search", "string", "A search term.")],
        "body": None,
        "response": ("200", "array", "HardwareUuidLogs"),
        "tag": "hwi-hardware-uuid-logs",
    },
    "hwi-bulk-orders_list": {
        "method": "get",
        "path": "/hwi-bulk-orders/",
        "summary": "Lists all Bulk Order Requests. If getting a list, results will be paginated.",
        "query": [
            ("fulfilled", "string", "fulfilled"),
            ("search", "string", "A search term."),
            ("page", "integer", "A page number within the paginated result set."),
            ("page_size", "integer", "Number of results to return per page."),
        ],
        "body": None,
        "response": ("200", "page", "HwiBulkOrders"),
        "tag": "hwi-bulk-orders",
    },
    "hwi-bulk-orders_read": {
        "method": "get",
        "path": "/hwi-bulk-orders/{id}/",
        "summary": "Lists all Bulk Order Requests. If getting a list, results will be paginated.",
        "query": [],
        "body": None,
        "response": ("200", "object", "HwiBulkOrders"),
        "tag": "hwi-bulk-orders",
    },
    "hwi-device-types_list": {
        "method": "get",
        "path": "/hwi-device-types/",
        "summary": "Retrieves valid device types for your account.",
        "query": [("search", "string", "A search term.")],
        "body": None,
        "response": ("200", "array", "HwiDeviceType"),
        "tag": "hwi-device-types",
    },
    "hwi-device-types_read": {
        "method": "get",
        "path": "/hwi-device-types/{id}/",
        "summary": "Retrieves valid device types for your account.",
        "query": [],
        "body": None,
        "response": ("200", "object", "HwiDeviceType"),
        "tag": "hwi-device-types",
    },
    "hwi-devices_list": {
        "method": "get",
        "path": "/hwi-devices/",
        "summary": "Lists all or Reads a single HWI Device",
        "query": [
            ("device__hardware_uuid__iexact", "string", "device__hardware_uuid__iexact"),
            ("device__hardware_uuid", "string", "device__hardware_uuid"),
            ("patient__external_id", "string", "patient__external_id"),
            ("properties__key", "string", "properties__key"),
            ("properties__value", "string", "properties__value"),
            ("search", "string", "A search term."),
        ],
        "body": None,
        "response": ("200", "array", "HwiDevice"),
        "tag": "hwi-devices",
    },
    "hwi-devices_create": {
        "method": "post",
        "path": "/hwi-devices/",
        "summary": "Creates a new HWI Device with optional Fulfillment Request",
        "query": [],
        "body": "HwiDevice",
        "response": ("201", "object", "HwiDevice"),
        "tag": "hwi-devices",
    },
    "hwi-devices_measurements_list": {
        "method": "get",
        "path": "/hwi-devices/{hwi_device_id}/measurements/",
        "summary": "Lists all measurement data for a given HWI Device",
        "query": [
            ("metric__name", "string", "metric__name"),
            ("created__gte", "string", "created__gte"),
            ("created__lt", "string", "created__lt"),
            ("timestamp__gte", "string", "timestamp__gte"),
            ("timestamp__lt", "string", "timestamp__lt"),
            ("search", "string", "A search term."),
        ],
        "body": None,
        "response": ("200", "array", "HwiMeasurement"),
        "tag": "hwi-device-measurements",
    },
    "hwi-devices_properties_list": {
        "method": "get",
        "path": "/hwi-devices/{hwi_device_id}/properties/",
        "summary": "Lists all or reads a single Property for a given HWI Device",
        "query": [("search", "string", "A search term.")],
        "body": None,
        "response": ("200", "array", "ClientDeviceProperties"),
        "tag": "hwi-device-properties",
    },
    "hwi-devices_properties_create": {
        "method": "post",
        "path": "/hwi-devices/{hwi_device_id}/properties/",
        "summary": "Creates a new HWI Device Property with a key-value pair",
        "query": [],
        "body": "ClientDeviceProperties",
        "response": ("201", "object", "ClientDeviceProperties"),
        "tag": "hwi-device-properties",
    },
    "hwi-devices_properties_read": {
        "method": "get",
        "path": "/hwi-devices/{hwi_device_id}/properties/{id}/",
        "summary": "Lists all or reads a single Property for a given HWI Device",
        "query": [],
        "body": None,
        "response": ("200", "object", "ClientDeviceProperties"),
        "tag": "hwi-device-properties",
    },
    "hwi-devices_properties_update": {
        "method": "put",
        "path": "/hwi-devices/{hwi_device_id}/properties/{id}/",
        "summary": "Updates a HWI Device Property.",
        "query": [],
        "body": "ClientDeviceProperties",
        "response": ("200", "object", "ClientDeviceProperties"),
        "tag": "hwi-device-properties",
    },
    "hwi-devices_properties_partial_update": {
        "method": "patch",
        "path": "/hwi-devices/{hwi_device_id}/properties/{id}/",
        "summary": "Updates a HWI Device Property.",
        "query": [],
        "body": "ClientDeviceProperties",
        "response": ("200", "object", "ClientDeviceProperties"),
        "tag": "hwi-device-properties",
    },
    "hwi-devices_properties_delete": {
        "method": "delete",
        "path": "/hwi-devices/{hwi_device_id}/properties/{id}/",
        "summary": "Lists all or reads a single Property for a given HWI Device",
        "query": [],
        "body": None,
        "response": ("204", None, None),
        "tag": "hwi-device-properties",
    },
    "hwi-devices_read": {
        "method": "get",
        "path": "/hwi-devices/{id}/",
        "summary": "Lists all or Reads a single HWI Device",
        "query": [],
        "body": None,
        "response": ("200", "object", "HwiDevice"),
        "tag": "hwi-devices",
    },
    "hwi-devices_update": {
        "method": "put",
        "path": "/hwi-devices/{id}/",
        "summary": "Updates a HWI Device.",
        "query": [],
        "body": "HwiDevice",
        "response": ("200", "object", "HwiDevice"),
        "tag": "hwi-devices",
    },
    "hwi-devices_partial_update": {
        "method": "patch",
        "path": "/hwi-devices/{id}/",
        "summary": "Updates a HWI Device.",
        "query": [],
        "body": "HwiDevice",
        "response": ("200", "object", "HwiDevice"),
        "tag": "hwi-devices",
    },
    "hwi-devices_delete": {
        "method": "delete",
        "path": "/hwi-devices/{id}/",
        "summary": "Deactivates a HWI Device by removing it completely from a Client's account.",
        "query": [],
        "body": None,
        "response": ("204", None, None),
        "tag": "hwi-devices",
    },
    "hwi-gateways_list": {
        "method": "get",
        "path": "/hwi-gateways/",
        "summary": "Get useful information about gateways that have been "
        "previously associated with your account.",
        "query": [
            ("last_measurement__isnull", "string", "last_measurement__isnull"),
            ("shipped_on__isnull", "string", "shipped_on__isnull"),
            ("search", "string", "A search term."),
            ("ordering", "string", "Which field to use when ordering the results."),
            ("page", "integer", "A page number within the paginated result set."),
            ("page_size", "integer", "Number of results to return per page."),
        ],
        "body": None,
        "response": ("200", "page", "HwiGateways"),
        "tag": "hwi-gateways",
    },
    "hwi-gateways_read": {
        "method": "get",
        "path": "/hwi-gateways/{gateway_uuid__iexact}/",
        "summary": "Get useful information about gateways that have been "
        "previously associated with your account.",
        "query": [],
        "body": None,
        "response": ("200", "object", "HwiGateways"),
        "tag": "hwi-gateways",
    },
    "hwi-patients_list": {
        "method": "get",
        "path": "/hwi-patients/",
        "summary": "Lists all or reads a single Patient object",
        "query": [
            ("search", "string", "A search term."),
            ("page", "integer", "A page number within the paginated result set."),
            ("page_size", "integer", "Number of results to return per page."),
        ],
        "body": None,
        "response": ("200", "page", "HwiPatientDetails"),
        "tag": "hwi-patients",
    },
    "hwi-patients_create": {
        "method": "post",
        "path": "/hwi-patients/",
        "summary": "Creates a new Patient Object",
        "query": [],
        "body": "HwiPatientDetails",
        "response": ("201", "object", "HwiPatientDetails"),
        "tag": "hwi-patients",
    },
    "hwi-patients_read": {
        "method": "get",
        "path": "/hwi-patients/{external_id__iexact}/",
        "summary": "Lists all or reads a single Patient object",
        "query": [],
        "body": None,
        "response": ("200", "object", "HwiPatientDetails"),
        "tag": "hwi-patients",
    },
    "hwi-patients_update": {
        "method": "put",
        "path": "/hwi-patients/{external_id__iexact}/",
        "summary": "Updates a Patient object.",
        "query": [],
        "body": "HwiPatientDetails",
        "response": ("200", "object", "HwiPatientDetails"),
        "tag": "hwi-patients",
    },
    "hwi-patients_partial_update": {
        "method": "patch",
        "path": "/hwi-patients/{external_id__iexact}/",
        "summary": "Updates a Patient object.",
        "query": [],
        "body": "HwiPatientDetails",
        "response": ("200", "object", "HwiPatientDetails"),
        "tag": "hwi-patients",
    },
    "hwi-patients_delete": {
        "method": "delete",
        "path": "/hwi-patients/{external_id__iexact}/",
        "summary": "Lists all or reads a single Patient object",
        "query": [],
        "body": None,
        "response": ("204", None, None),
        "tag": "hwi-patients",
    },
    "hwi-replacements_list": {
        "method": "get",
        "path": "/hwi-replacements/",
        "summary": "Lists all Replacements.",
        "query": [("fulfilled", "string", "fulfilled"), ("search", "string", "A search term.")],
        "body": None,
        "response": ("200", "array", "HwiReplacements"),
        "tag": "hwi-replacements",
    },
    "hwi-replacements_create": {
        "method": "post",
        "path": "/hwi-replacements/",
        "summary": "Creates a new Replacement Order for a given Client Device",
        "query": [],
        "body": "HwiReplacements",
        "response": ("201", "object", "HwiReplacements"),
        "tag": "hwi-replacements",
    },
    "hwi-replacements_delete": {
        "method": "delete",
        "path": "/hwi-replacements/{id}/",
        "summary": "Cancels a pending Replacement",
        "query": [],
        "body": None,
        "response": ("204", None, None),
        "tag": "hwi-replacements",
    },
    "patients_measurements_list": {
        "method": "get",
        "path": "/patients/{patient_external_id}/measurements/",
        "summary": "Lists all measurement data for a given patient id.",
        "query": [
            ("metric__name", "string", "metric__name"),
            ("created__gte", "string", "created__gte"),
            ("created__lt", "string", "created__lt"),
            ("timestamp__gte", "string", "timestamp__gte"),
            ("timestamp__lt", "string", "timestamp__lt"),
            ("search", "string", "A search term."),
        ],
        "body": None,
        "response": ("200", "array", "HwiMeasurement"),
        "tag": "hwi-patient-measurements",
    },
    "resend-webhooks_create": {
        "method": "post",
        "path": "/resend-webhooks/",
        "summary": "Resends measurement data.",
        "query": [],
        "body": "ResendWebhooks",
        "response": ("201", "object", "ResendWebhooks"),
        "tag": "hwi-resend-webhooks",
    },
    "test-webhooks_create": {
        "method": "post",
        "path": "/test-webhooks/",
        "summary": "Sends test data to all webhooks for the specified event.",
        "query": [],
        "body": "WebhooksTesting",
        "response": ("201", "object", "WebhooksTesting"),
        "tag": "hwi-test-webhooks",
    },
    "unlink-gateway_read": {
        "method": "get",
        "path": "/unlink-gateway/{id}/",
        "summary": "Unlinks a Gateway from a HWI Device",
        "query": [],
        "body": None,
        "response": ("200", "object", "HwiDevice"),
        "tag": "hwi-unlink-gateway",
    },
    "webhooks_list": {
        "method": "get",
        "path": "/webhooks/",
        "summary": "Lists all or Reads a single Webhook.",
        "query": [("search", "string", "A search term.")],
        "body": None,
        "response": ("200", "array", "Webhooks"),
        "tag": "hwi-webhooks",
    },
    "webhooks_create": {
        "method": "post",
        "path": "/webhooks/",
        "summary": "Creates a Webhook.",
        "query": [],
        "body": "Webhooks",
        "response": ("201", "object", "Webhooks"),
        "tag": "hwi-webhooks",
    },
    "webhooks_read": {
        "method": "get",
        "path": "/webhooks/{id}/",
        "summary": "Lists all or Reads a single Webhook.",
        "query": [],
        "body": None,
        "response": ("200", "object", "Webhooks"),
        "tag": "hwi-webhooks",
    },
    "webhooks_update": {
        "method": "put",
        "path": "/webhooks/{id}/",
        "summary": "Updates a Webhook.",
        "query": [],
        "body": "Webhooks",
        "response": ("200", "object", "Webhooks"),
        "tag": "hwi-webhooks",
    },
    "webhooks_partial_update": {
        "method": "patch",
        "path": "/webhooks/{id}/",
        "summary": "Updates a Webhook.",
        "query": [],
        "body": "Webhooks",
        "response": ("200", "object", "Webhooks"),
        "tag": "hwi-webhooks",
    },
    "webhooks_delete": {
        "method": "delete",
        "path": "/webhooks/{id}/",
        "summary": "Lists all or Reads a single Webhook.",
        "query": [],
        "body": None,
        "response": ("204", None, None),
        "tag": "hwi-webhooks",
    },
}


# ----------------------------------------------------------------------------- Pulsebridge's

ADDED = "Pulsebridge's addition. "
ADDITIONS: dict[str, dict[str, Any]] = {
    "DeviceSerializerForApi": {
        "meta_data": {
            "type": "object",
            "nullable": True,
            "description": ADDED + "Free JSON the client keeps with the device.",
        },
    },
    "HwiDeviceType": {
        "sku": {"type": "string", "readOnly": True, "description": ADDED + "The catalogue SKU."},
        "modules": {"type": "array", "items": {"type": "object"}, "readOnly": True},
        "supply_types": {"type": "array", "items": {"type": "object"}, "readOnly": True},
    },
    "HwiMetrics": {
        "id": {"type": "integer", "readOnly": True},
        "is_vital": {"type": "boolean", "readOnly": True},
        "time_series_data": {"type": "boolean", "readOnly": True},
    },
    "HwiReplacements": {
        "status": {
            "type": "string",
            "readOnly": True,
            "enum": ["Pending", "Shipped", "Delivered", "Returned", "Cancelled"],
            "description": ADDED + "The replacement's status, as the reference writes it.",
        },
        "old_hardware_uuid": {"type": "string", "readOnly": True},
        "new_hardware_uuid": {"type": "string", "readOnly": True, "nullable": True},
        "client_will_fulfill": {"type": "boolean", "readOnly": True},
        "require_signature": {"type": "boolean", "writeOnly": True},
    },
    "Webhooks": {
        "secret": {
            "type": "string",
            "minLength": 16,
            "maxLength": 256,
            "description": ADDED
            + "Signs the Standard Webhooks webhook-signature of every delivery; generated when "
            "not given.",
        },
    },
    "ResendWebhooks": {
        "patient_id": {
            "type": "string",
            "description": ADDED + "Resend the readings of this patient's HWI devices.",
        },
        "timestamp__gte": {"type": "string", "format": "date-time", "writeOnly": True},
        "timestamp__lt": {"type": "string", "format": "date-time", "writeOnly": True},
    },
}
# SPECIAL_ORDER webhooks are Tenovi's (its special-order webhook), though the Swagger's enum
# names only the other two.
EXTRA_ENUM = {("Webhooks", "event"): ["SPECIAL_ORDER"]}

# Filters beyond the Swagger's, by operation.
EXTRA_QUERY = {
    "hwi-devices_measurements_list": [("created__lte", "string"), ("timestamp__lte", "string")],
    "patients_measurements_list": [("created__lte", "string"), ("timestamp__lte", "string")],
}
# Operations that are not in the Swagger (reading one replacement).
EXTRA_OPERATIONS = {
    "hwi-replacements_read": {
        "method": "get",
        "path": "/hwi-replacements/{id}/",
        "summary": "Reads one Replacement (Pulsebridge's addition)",
        "query": [],
        "body": None,
        "response": ("200", "object", "HwiReplacements"),
        "tag": "hwi-replacements",
    },
}


# The Swagger's own description of each operation (tests/dialects/tenovi/test_schema.py
# holds them against it).
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("get", "/gateway-info/{gateway_uuid__iexact}/"): (
        "NOTE, This endpoint can only be used for retrieving information about gateways "
        "that have either been\n"
        "previously linked with one or more of your own devices (e.g. via an "
        "Activation/Fulfillment request) or\n"
        "Pre-Activated via a bulk order.\n"
        'It can NOT be used to "pre-validate" a gateway ID that is not already '
        "associated with your account.\n"
        "\n"
        "The 12-digit Gateway ID must be included in the URL with NO HYPHENS.\n"
        "\n"
        "For the last_signal_strength field, a signal strength value of 30 or above is "
        "considered excellent,\n"
        "while a signal strength value of 10 or below is considered poor.\n"
        "\n"
        "The last_checkin_time field indicates the last time the Gateway connected to "
        "our network.\n"
        "\n"
        "The assigned_on field indicates when the gateway was assigned to your client "
        "account.\n"
        "\n"
        "The shipped_on field indicates when the gateway was dropshipped by Tenovi (if "
        "applicable).\n"
        "\n"
        "The whitelisted_devices field provides a JSON list of devices (by sensor_code) "
        "whitelisted with this gateway.\n"
        "Note, only one device per sensor_code can be whitelisted to a Gateway at one "
        "time.\n"
        "Use the hwi-device-types endpoint or see tenovi.com/api-docs to match "
        "sensor_codes to devices.\n"
        'Valid options for the "status" field are: "RE" (for Requested) and "CO" (for '
        "Confirmed)\n"
        "\n"
        "(DEPRECATED) This endpoint will also return a list of key-value properties for "
        "each gateway"
    ),
    ("get", "/hardware-uuid-logs/"): (
        'Note, the "hwi-device-id" value is stored in the "object_id" field for this '
        "history table, as it is used to log\n"
        "changes for multiple device types.\n"
        "\n"
        'You can optionally filter by a specific hwi-device-id using the "object_id" '
        "query parameter to get the history of a\n"
        "single device. You can also search for all records with a given hardware_uuid "
        'using the "search" query parameter'
    ),
    ("get", "/hwi-bulk-orders/"): (
        'Use the query parameter "fulfilled" to filter your responses by Bulk Order '
        "Requests that have been fulfilled or not.\n"
        "\n"
        "Use the page and page_size parameters to control the pagination. Set "
        "page_size=0 to return all objects.\n"
        "\n"
        "The fields included are defined as follows:\n"
        "\n"
        "    {\n"
        '        "id": "12345678-abcd-1234-abcd-1234567890ab",  // the root order id\n'
        '        "created": "2024-05-11T12:00:00.000000Z",  // The date & time the order '
        "was created\n"
        '        "updated": "2024-05-11T12:00:00.000000Z",  // The date & time the order '
        "was last updated\n"
        '        "order_number": "240123",  // The Bulk Order number shown on the Tenovi '
        "Web App\n"
        '        "shipping_name": "First Last",\n'
        '        "shipping_address": "123 Tenovi St",\n'
        '        "shipping_city": "Portsmouth",\n'
        '        "shipping_state": "NH",\n'
        '        "shipping_zip_code": "12345",\n'
        '        "shipping_status": "Pending",\n'
        "            // Readable order status: Requested, Client Action Required, "
        "Pending, Shipped, or Delivered\n"
        '        "shipping_tracking_link": "https://tenovi.com",  // The tracking link, '
        "if the order has shipped,\n"
        '        "fulfilled": True,\n'
        '        "requested_by": "jdoe@tenovi.com",  // The user that requested this '
        "order\n"
        '        "shipped_on": "2024-05-11T12:00:00.000000Z",\n'
        '        "delivered_on": "2024-05-18T12:00:00.000000Z",\n'
        '        "notify_emails": "jdoe@tenovi.com,rsmith@tenovi.com",\n'
        '        "contents": [\n'
        "            {\n"
        '                "name": "Tenovi BPM - L",  // The name of the included '
        "device/supply item\n"
        '                "quantity: 10,  // The quantity\n'
        '                "kit_id": 0,  // The Kit ID. 0 indicates the item was shipped '
        "separately. Items with a matching\n"
        "                              // kit_id > 0 were kitted together by Tenovi\n"
        "            },\n"
        "            ...\n"
        "        ]\n"
        '        "manifest": [\n'
        "            {\n"
        '                "order_section": "Loose Items",\n'
        '                "kitted_items": [],\n'
        '                "loose_items": [\n'
        "                    {\n"
        '                        "imei": "123123123123123",\n'
        '                        "device_type": "Tenovi Cellular Pulse Ox"\n'
        "                    },\n"
        "                    ...\n"
        "                ]\n"
        "            },\n"
        "            {\n"
        '                "order_section": "Kit 1",\n'
        '                "kitted_items": [\n'
        "                    {\n"
        '                        "kit_number": 0,\n'
        '                        "gateway_id": "1234ABCD1234",\n'
        '                        "contents": [\n'
        "                            {\n"
        '                                "device_type": "Gateway",\n'
        '                                "gateway_id": "1234ABCD1234"\n'
        "                            },\n"
        "                            {\n"
        '                                "device_type": "Tenovi BPM - L",\n'
        '                                "mac_address": "1A2B3C2A2B2C"\n'
        "                            }\n"
        "                        ]\n"
        "                    },\n"
        "                    ...\n"
        "                ],\n"
        '                "loose_items": []\n'
        "            }\n"
        "        ]\n"
        "    }"
    ),
    ("get", "/hwi-device-types/"): (
        "These can be used to activate/request new devices via the hwi-devices endpoint "
        'using the "name" field.\n'
        "This endpoint can also be used to get static images of devices, or to get the "
        "up-front and shipping fees for\n"
        "specific devices."
    ),
    ("get", "/hwi-devices/"): ("To read a single HWI Device, the ID must be included in the URL."),
    ("post", "/hwi-devices/"): (
        "A nested Device object is required. Within this object, the Device name must "
        "exactly match the name of a\n"
        "Device Type associated with your account. You may use the hwi-device-types "
        "endpoint to view a complete list\n"
        "of Device Types associated with your account.\n"
        "\n"
        "If you want to link a HWI Device to a specific Tenovi Gateway, include the "
        "Gateway ID with no hyphens in the\n"
        "hardware_uuid field of the nested Device object. For Transtek devices, this "
        "field should be the IMEI number\n"
        "printed on the box. Note: The request will still succeed even if you use an "
        "invalid Gateway ID, but the\n"
        'status field in the returned data will be "Unknown Gateway ID".\n'
        "\n"
        "For Gateway-connected devices, every Device Type has a Sensor Code that "
        "represents its device family (for\n"
        "example, all BPM devices use Sensor Code = 10). For most Device Types, only one "
        "Device per Sensor Code can be\n"
        "associated with a single Gateway at a time, even if they have different names. "
        "However, some Device Types also\n"
        'require an additional "sensor_id" to be included, which is used to allow '
        "multiple Devices with the same Sensor\n"
        "Code to be associated with a single Gateway. Please refer to "
        "tenovi.com/hwi-device-overview/ for more details\n"
        'regarding the "sensor_id" values required for specific Device Types. Please '
        "refer to the hwi-device-types\n"
        "endpoint to lookup the Sensor Code for each Device Type and whether or not a "
        "sensor_id is required.\n"
        "\n"
        "If you need a device to be dropshipped to a specific user, a nested Fulfillment "
        "Request object must be included\n"
        "in the Device object and the hardware_uuid field must be set to NULL (if you "
        "want a Gateway to be included with\n"
        "the device) or to an existing Gateway ID (if, for example, a patient already "
        "has a Gateway with one device, and\n"
        "you simply want a second device sent to them without a new Gateway).\n"
        "\n"
        "Note, the Fulfillment Request object has three optional flags: "
        '"client_will_fulfill", "require_signature", and\n'
        '"ship_gateway_only".\n'
        "\n"
        'Set the "client_will_fulfill" flag to TRUE if you wish to complete a '
        "Fulfillment Request internally (via the\n"
        "Tenovi  dashboard). Otherwise, Tenovi will complete the request (shipping and "
        "device charges may apply).\n"
        "\n"
        'Set the "require_signature" flag to TRUE to request signature confirmation of '
        "delivery. Additional charges may\n"
        "apply.\n"
        "\n"
        'Set the "ship_gateway_only" flag to TRUE if the patient already has the Device '
        "you wish to activate, and only\n"
        "the Gateway needs to be shipped. In this case, you will only be charged for the "
        "Gateway.\n"
        "\n"
        "You can also optionally link this Device to a Patient by including a nested "
        "Patient object. If you do this,\n"
        'the "external_id" field can be used to uniquely identify this Patient. For '
        "example,\n"
        "if you edit the name or phone_number of a Patient, those fields will be updated "
        "for all\n"
        "Devices with the same Patient external_id. We thus recommend Clients use a "
        "unique Patient\n"
        "identifier from their own systems for this field (hence the name "
        '"external_id").\n'
        "\n"
        "Note, the external_id value in the Patient object will be included in the "
        '"patient_id" field in all FULFILLMENT\n'
        "and MEASUREMENT webhook callbacks, allowing Clients to link those callbacks to "
        "a patient in their systems, even\n"
        "if the related hardware_uuid values change (for example, if a Tenovi Gateway is "
        "replaced). Thus, the use of this\n"
        "field is strongly recommended. See the Webhooks documentation for more details.\n"
        "\n"
        "If a phone number is included in the Patient object, we may use it to text/call "
        "the patient to resolve\n"
        "customer service requests or for any optional services (for example, sms "
        "shipping notifications). If you have\n"
        "not obtained the patient's consent to receive SMS messages, please set the "
        "sms_opt_in field to False.\n"
        "\n"
        "If the physician field is included in the Patient object, this data will be "
        "forwarded to our fulfillment team\n"
        "(if dropshipping is requested) to allow for any per-provider shipping "
        "customizations (additional charges may\n"
        "apply).\n"
        "\n"
        "Please note, the patient_id and patient_phone_number fields are deprecated in "
        "favor of the nested Patient\n"
        "object, but remain available for backwards compatibility."
    ),
    ("get", "/hwi-devices/{hwi_device_id}/measurements/"): (
        "The root HWI Device id must be included in the url.\n"
        "\n"
        'Note, the "timestamp" field represents the time the measurement was actually '
        "taken, as measured by the device.\n"
        'The "created" field represents the time the measurement was created on our '
        "server. For backwards compatibility,\n"
        'the MEASUREMENT Webhook posts the "timestamp" value with both the "timestamp" '
        'and "created" key, which may not\n'
        'match the "created" value returned here. Please note the difference between '
        "these two fields when filtering via\n"
        "query parameters."
    ),
    ("get", "/hwi-devices/{hwi_device_id}/properties/"): (
        "These properties can be used for controlling device-specific settings (e.g. the "
        "Step Goals for the Tenovi\n"
        "Watch), or for adding custom, client-defined tags to individual devices (as "
        "long as the keys used do not conflict\n"
        "with a pre-defined Tenovi key). See https://tenovi.com/api-docs for a list of "
        "device-specific Properties.\n"
        "\n"
        'All devices support a "measurement_webhook_id" property that configures a '
        "Device to only send measurement data to\n"
        "a single Webhook (specified by that Webhook\u2019s primary ID).\n"
        "\n"
        'For device-specific settings, the "synced" field can be used to check if the '
        "setting has been successfully\n"
        "applied to the device or not. Note, syncing often requires the device to "
        "connect to our network, which, for\n"
        "some devices, only occurs when a measurement is taken)."
    ),
    ("post", "/hwi-devices/{hwi_device_id}/properties/"): (
        "This endpoint can be used to manage any device-specific properties, such as "
        "setting the step goal\n"
        "on the Tenovi Watch device. Please see our detailed Device documentation at "
        "https://tenovi.com/api-docs\n"
        "for more details.\n"
        "\n"
        "This endpoint can also be used for adding any client-specific properties "
        "clients wish to use for\n"
        "internal purposes (for example, to tag devices), as long as the keys used do "
        "not conflict with any special\n"
        "use keys described in the Tenovi documentation.\n"
        "\n"
        "Note, keys must be unique for a given device. If you try and create a property "
        "with an existing key,\n"
        "the existing key-value pair will simply be updated instead."
    ),
    ("put", "/hwi-devices/{hwi_device_id}/properties/{id}/"): (
        "You may only update the value for a given key-value pair.\n"
        "\n"
        "Note, since the POST method falls back to a PUT if the key provided already "
        "exists, you may use that method\n"
        "to update properties without having to lookup the id for the desired key-value "
        "pair first."
    ),
    ("put", "/hwi-devices/{id}/"): (
        "The object ID must be included in the url for updates.\n"
        "\n"
        "Only the Patient object can be updated. All other fields will be ignored.\n"
        "\n"
        "Note, when updating a Patient object, if you update the external_id, only the "
        "current Device will be updated.\n"
        "If the new external_id is already assigned to another Patient object, that "
        "existing Patient will be linked to\n"
        "the updated Device with its existing fields updated using the data provided in "
        "the update request.\n"
        "\n"
        "If you update any other fields (e.g. name or phone_number) without changing the "
        "external_id, those fields will\n"
        "be updated for ALL Devices linked to the Patient object with that external_id.\n"
        "\n"
        "If you wish to remove a Patient from a device, set the Patient object to null. "
        "This will not affect any other\n"
        "Devices linked to the Patient object with that external_id.\n"
        "\n"
        "Please note, the patient_id and patient_phone_number fields are deprecated in "
        "favor of the nested Patient\n"
        "object. They remain available for backwards compatibility, but may lead to "
        "unpredictable behavior if you\n"
        "include both these fields and the Patient object in an update request."
    ),
    ("patch", "/hwi-devices/{id}/"): (
        "The object ID must be included in the url for updates.\n"
        "\n"
        "Only the patient_id and patient_phone_number fields can be updated. All other "
        "fields will be ignored."
    ),
    ("delete", "/hwi-devices/{id}/"): (
        "Note, HWI Devices with a Fulfillment Request cannot be deleted once that "
        "Request has been fulfilled. In this\n"
        "case, use the /unlink-gateway/ endpoint to deactivate a HWI Device. Charges may "
        "apply for any HWI Device\n"
        "with an active Gateway linked to it."
    ),
    ("get", "/hwi-gateways/"): (
        "NOTE, This endpoint can only be used for retrieving information about gateways "
        "that have either been\n"
        "previously linked with one or more of your own devices (e.g. via an "
        "Activation/Fulfillment request) or\n"
        "Pre-Activated via a bulk order.\n"
        'It can NOT be used to "pre-validate" a gateway ID that is not already '
        "associated with your account.\n"
        "\n"
        "For the last_signal_strength field, a signal strength value of 30 or above is "
        "considered excellent,\n"
        "while a signal strength value of 10 or below is considered poor.\n"
        "\n"
        'For the "ordering" query parameter, valid options are "assigned_on", '
        '"shipped_on", and "last_measurement".\n'
        'Prepend a "-" to order by descending values (e.g. "-last_measurement"). Default '
        "is -assigned_on.\n"
        "\n"
        "Results are paginated. Use the page_size and page fields to modify the "
        "pagination settings."
    ),
    ("get", "/hwi-patients/"): (
        'The client-provided "external_id" field must be used as the lookup field for '
        "direct GET requests.\n"
        "\n"
        "This endpoint can be used for getting and updating data on patient objects "
        "directly.\n"
        "\n"
        "If a full address has been provided, the address_status field will indicate if "
        "that address has been Verified\n"
        "or is Invalid."
    ),
    ("post", "/hwi-patients/"): (
        "The external_id field is required and must be unique for each patient.\n"
        "\n"
        "If a full address is provided, our system will attempt to verify it.\n"
        "This internal verification process can be overruled by setting the "
        '"confirm_address" flag to True.'
    ),
    ("put", "/hwi-patients/{external_id__iexact}/"): (
        'The client-provided "external_id" field must be used as the lookup field for '
        "PUT/PATCH requests.\n"
        "\n"
        "If the patient's address if modified, our system will attempt to verify it.\n"
        "This internal verification process can be overruled by setting the "
        '"confirm_address" flag to True.'
    ),
    ("get", "/hwi-replacements/"): (
        'Use the query parameter "fulfilled" to filter your responses by Replacement '
        "Requests that have been fulfilled or not."
    ),
    ("post", "/hwi-replacements/"): (
        "This endpoint can be used to request a replacement Device, Gateway, or both. "
        "Simply include an array of objects\n"
        "with a name field indicating the Device you wish to be shipped in the "
        "device_types field. For Gateway\n"
        'replacements, simply use "Gateway" as the device name.\n'
        "\n"
        "Note, the hwi_device_id is required in order for the replacement to be linked "
        "to an underlying HWI Device.\n"
        "If you are requesting a replacement Gateway, Tenovi will automatically update "
        "the hardware_uuid of any\n"
        "HWI Devices linked to the same Gateway as the referenced HWI Device. Our system "
        "will send a Fulfillment\n"
        "Webhook with the updated Gateway ID when the replacement is shipped.\n"
        "\n"
        'The "notify_emails" field can include comma-separated email addresses; shipping '
        "updates will be sent to this\n"
        "list"
    ),
    ("delete", "/hwi-replacements/{id}/"): (
        "Note, Replacements cannot be deleted once they have been fulfilled"
    ),
    ("get", "/patients/{patient_external_id}/measurements/"): (
        "The patient_id value used during HWI Device creation must be included in the "
        "url.\n"
        "\n"
        'Note, the "timestamp" field represents the time the measurement was actually '
        "taken, as measured by the device.\n"
        'The "created" field represents the time the measurements was created on our '
        "server. For backwards compatibility,\n"
        'the MEASUREMENT Webhook posts the "timestamp" value with both the "timestamp" '
        'and "created" key, which may not\n'
        'match the "created" value returned here. Please note the difference between '
        "these two fields when filtering via\n"
        "query parameters."
    ),
    ("post", "/resend-webhooks/"): (
        "Resends measurement data to all webhooks for the specified event. Requires a "
        "`measurement_id` to be passed,\n"
        "and optionally target `webhook_ids`."
    ),
    ("post", "/test-webhooks/"): (
        "The data fields are optional, but can be used to set specific values to be used "
        "in the test data."
    ),
    ("get", "/unlink-gateway/{id}/"): (
        "The root HWI Device id must be included in the URL. If successful, the HWI "
        "Device object will be returned with\n"
        "the device.hardware_uuid field set to NULL. At this point, that Gateway can be "
        "re-used with a new HWI Device."
    ),
    ("get", "/webhooks/"): (
        "MEASUREMENT webhooks will fire whenever a new measurement is received by the "
        "Tenovi platform from any\n"
        "activated HWI Device. The MEASUREMENT webhook will POST the following json data "
        "to the provided endpoint. Note,\n"
        "this endpoint can be configured to POST data as an array of JSON data, with "
        "related measurements (e.g, pulse\n"
        "and blood pressure readings captured in a single BPM reading) grouped together "
        "in the same array.\n"
        "\n"
        "Note, MEAUSUREMENT webhooks can also be globally disabled or enabled using the "
        "enabled_by_default flag. The\n"
        "measurement_webhook_id clientDeviceProperty can be used to selectively enable a "
        "measurement webhook for a\n"
        "specific device, even if that Webhook is not enabled by default.\n"
        "\n"
        "    {\n"
        '      "metric": "metric_name", // see tenovi.com/hwi-device-overview/ for a '
        "list of valid metric_names per device\n"
        '      "device_name": "device_name", // the name of the Device used to take this '
        "measurement\n"
        '      "hwi_device_id": "12345678-abcd-1234-abcd-1234567890ab", // the primary '
        "id returned on hwi device activation\n"
        '      "patient_id": "patient_id", // the patient.external_id value provided '
        "during hwi-device creation\n"
        '      "hardware_uuid": "1234abcd5678", // Tenovi Gateway ID or other Hardware '
        "Identifier (e.g. IMEI)\n"
        '      "sensor_code": "", // the Sensor Code of the device used to take this '
        "measurement\n"
        "                         // For devices that require sensor_ids, this field "
        'will be "[sensor_code]-[sensor_id]"\n'
        '      "value_1": "100.00", // The primary reading value, formatted as a '
        "2-decimal point string\n"
        '      "value_2": "0.00",  // A secondary value (when applicable) See '
        "tenovi.com/hwi-device-overview/ for details\n"
        '      "timestamp": "2022-01-25T14:35:46.198000Z", // The time the measurement '
        "was taken, as measured by the device\n"
        '      "timezone_offset": -7, // Difference (in hours) between TZ where '
        "measurement was taken and UTC\n"
        '      "created": "2022-01-25T14:35:46.198Z000", // The time the measurement was '
        "received by our server, in UTC\n"
        "      \"estimated_timestamp\": False, // Boolean indicating if the 'timestamp' "
        "field is an algorithmic estimate,\n"
        "                                    // which is used if the timestamp from the "
        "device is in an invalid range\n"
        '      "filter_params": {} // JSON data of key-value pairs. See '
        "tenovi.com/hwi-device-overview/ for details\n"
        "    }\n"
        "\n"
        "FULFILLMENT webhooks will fire whenever a Fulfillment Request associated with a "
        "HWI Device is updated.\n"
        "The FULFILLMENT webhook will post the following json data to the provided "
        "endpoint:\n"
        "\n"
        "    {\n"
        '      "patient_id": "patient_id", // The patient.external_id value set during '
        "hwi-device creation\n"
        '      "device_name": "device_name", // see hwi-devices for valid device names\n'
        '      "hwi_device_id": "12345678-abcd-1234-abcd-1234567890ab", // the root id '
        "returned on HWI Device creation\n"
        '      "device_id": "4321DCBA8765", // For "Replaced" or "Unlinked" webhooks '
        "only, indicates the PRIOR hardware_uuid\n"
        '      "hardware_uuid": "1234abcd5678", // The current Tenovi Gateway ID or '
        "other Hardware Identifier for this device\n"
        '      "sensor_code": "", // see hwi-devices for valid sensor codes\n'
        '      "status": "status", // Readable fulfillment status: Pending Shipment, '
        "Dropship Requested, Shipped,\n"
        "                          // Dropshipped, Delivered, Returned, Connected, "
        "Replaced, or Unlinked\n"
        '      "tracking_link": // The tracking link for this device, if it has been '
        "shipped\n"
        "    }"
    ),
    ("post", "/webhooks/"): (
        "If an auth_header is required, the full Authorization header must be included "
        "in the auth_header field\n"
        '(e.g. "Token XXXXX" or "Bearer XXXXXX").\n'
        "\n"
        'The default header key for the auth_header value is "Authorization". If you '
        "need a different header key,\n"
        'include it in the "auth_key" field.\n'
        "\n"
        'The "event" field must be set to either "MEASUREMENT" or "FULFILLMENT" to '
        "create a Webhook for the\n"
        "corresponding event type.\n"
        "\n"
        'The "post_as_array" field only applies to MEASUREMENT webhooks.'
    ),
    ("put", "/webhooks/{id}/"): ("The object ID must be included in the url for updates."),
}

# Operations the Swagger describes in the same words as another (a list and its item).
SAME_DESCRIPTION: dict[tuple[str, str], tuple[str, str]] = {
    ("get", "/hwi-bulk-orders/{id}/"): ("get", "/hwi-bulk-orders/"),
    ("get", "/hwi-device-types/{id}/"): ("get", "/hwi-device-types/"),
    ("get", "/hwi-devices/{hwi_device_id}/properties/{id}/"): (
        "get",
        "/hwi-devices/{hwi_device_id}/properties/",
    ),
    ("patch", "/hwi-devices/{hwi_device_id}/properties/{id}/"): (
        "put",
        "/hwi-devices/{hwi_device_id}/properties/{id}/",
    ),
    ("delete", "/hwi-devices/{hwi_device_id}/properties/{id}/"): (
        "get",
        "/hwi-devices/{hwi_device_id}/properties/",
    ),
    ("get", "/hwi-devices/{id}/"): ("get", "/hwi-devices/"),
    ("get", "/hwi-gateways/{gateway_uuid__iexact}/"): ("get", "/hwi-gateways/"),
    ("get", "/hwi-patients/{external_id__iexact}/"): ("get", "/hwi-patients/"),
    ("patch", "/hwi-patients/{external_id__iexact}/"): (
        "put",
        "/hwi-patients/{external_id__iexact}/",
    ),
    ("delete", "/hwi-patients/{external_id__iexact}/"): ("get", "/hwi-patients/"),
    ("get", "/webhooks/{id}/"): ("get", "/webhooks/"),
    ("patch", "/webhooks/{id}/"): ("put", "/webhooks/{id}/"),
    ("delete", "/webhooks/{id}/"): ("get", "/webhooks/"),
}


# Read-only strings the Swagger gives minLength 1 and a default of "": "" is what they are
# when they say nothing (a cellular device's sensor code, an address nobody checked).
EMPTY_ALLOWED = {
    ("DeviceSerializerForApi", "sensor_code"),
    ("HwiPatientDetails", "address_status"),
    ("HwiPatientDetails", "address_verified_by"),
}


def _device_names() -> list[str]:
    from pulsebridge.devices.catalogue import CATALOGUE
    from pulsebridge.fulfillment.enrolments import HWI_DEVICE_SKUS

    return [name for sku, name, *_ in CATALOGUE if sku in HWI_DEVICE_SKUS]


def _with_additions() -> dict[str, dict[str, Any]]:
    out = copy.deepcopy(DEFINITIONS)
    for name, fields in ADDITIONS.items():
        out[name]["properties"].update(copy.deepcopy(fields))
    for (name, field), values in EXTRA_ENUM.items():
        out[name]["properties"][field]["enum"] += values
    for name, field in EMPTY_ALLOWED:
        out[name]["properties"][field].pop("minLength")
    # "must exactly match the name of a Device Type" (the guide): the names there are
    names = _device_names()
    out["DeviceSerializerForApi"]["properties"]["name"]["enum"] = names
    out["HwiReplacementDeviceTypes"]["properties"]["name"]["enum"] = [*names, "Gateway"]
    return out


SCHEMAS = _with_additions()


def definition(name: str) -> dict[str, Any]:
    """A definition with the definitions it names written in place (``$ref`` by name)."""
    return _inline(copy.deepcopy(SCHEMAS[name]))


def _inline(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_inline(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return definition(schema["$ref"])
    return {k: _inline(v) for k, v in schema.items()}


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["count", "results"],
        "properties": {
            "count": {"type": "integer"},
            "next": {"type": "string", "format": "uri", "nullable": True},
            "previous": {"type": "string", "format": "uri", "nullable": True},
            "results": {"type": "array", "items": item},
        },
    }


ERROR = {
    "type": "object",
    "description": 'DRF\'s error shape: {"detail": "..."} or {"field": ["..."]} (nested for '
    "nested fields).",
    "additionalProperties": True,
}
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 429: ERROR}
TYPES = {"string": str, "integer": int, "boolean": bool}
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="A page number: the list becomes a page."),
    OpenApiParameter("page_size", int, description="Items per page (100; at most 1000)."),
]


def operation(operation_id: str) -> dict[str, Any]:
    """``extend_schema`` arguments for one operation of the Swagger (or one of ours)."""
    op = OPERATIONS.get(operation_id) or EXTRA_OPERATIONS[operation_id]
    query = op["query"] + EXTRA_QUERY.get(operation_id, [])
    parameters = [OpenApiParameter(name, TYPES[kind]) for name, kind, *_ in query]
    code, shape, name = op["response"]
    if shape is None:
        body = None
    elif shape == "object":
        body = definition(name)
    elif shape == "page":
        body = page_of(definition(name))
    else:  # a flat array, or a page when ?page= is given
        body = {"oneOf": [{"type": "array", "items": definition(name)}, page_of(definition(name))]}
        parameters += PAGE_PARAMETERS
    out: dict[str, Any] = {
        "operation_id": operation_id.replace("-", "_"),
        "summary": op["summary"],
        "description": _description(op),
        "tags": [op["tag"]],
        "parameters": parameters,
        "responses": {int(code): body, **ERRORS},
    }
    if op["body"]:
        out["request"] = {"application/json": definition(op["body"])}
    return out


def postprocess(result, generator, request, public):
    """The views' ``extend_schema`` says it all (``operation``); nothing to add."""
    return result


def _description(op: dict[str, Any]) -> str:
    """The Swagger's description of an operation (its summary where it has none)."""
    key = (op["method"], op["path"])
    return DESCRIPTIONS.get(SAME_DESCRIPTION.get(key, key), op["summary"])
