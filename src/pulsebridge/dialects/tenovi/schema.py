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
        "tags": [op["tag"]],
        "parameters": parameters,
        "responses": {int(code): body, **ERRORS},
    }
    if op["body"]:
        out["request"] = {"application/json": definition(op["body"])}
    return out
