"""Request bodies of the Tenovi HWI API, validated against the field lists of the guide and the
reference. Read-only fields a client echoes back (``id``, ``status``, ``created``...) are
accepted and ignored, so that a client may PUT what it read."""

from __future__ import annotations

from typing import Any

from django.core.validators import validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pulsebridge.fulfillment.enrolments import Activation, PatientDetails, Shipping


class Text(serializers.CharField):
    """A string field: numbers are not silently turned into strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "example": "nurse@example.com, son@example.com"})
class EmailList(serializers.Field):
    """``notify_emails``: "a list of comma-separated email addresses" (a JSON list is also
    accepted)."""

    default_error_messages = {"invalid": "{value!r} is not an e-mail address"}

    def to_internal_value(self, data):
        if data is None:
            return []
        if isinstance(data, str):
            parts = data.split(",")
        elif isinstance(data, list) and all(isinstance(p, str) for p in data):
            parts = data
        else:
            raise serializers.ValidationError("must be comma-separated e-mail addresses")
        emails = [p.strip() for p in parts if p.strip()]
        for email in emails:
            try:
                validate_email(email)
            except Exception:
                self.fail("invalid", value=email)
        return emails

    def to_representation(self, value):
        return ", ".join(value)


ADDRESS = (
    "shipping_name",
    "shipping_address",
    "shipping_city",
    "shipping_state",
    "shipping_zip_code",
)


class FulfillmentRequest(serializers.Serializer):
    shipping_name = Text(required=False, allow_blank=True, max_length=200)
    shipping_address = Text(required=False, allow_blank=True, max_length=200)
    shipping_city = Text(required=False, allow_blank=True, max_length=100)
    shipping_state = Text(required=False, allow_blank=True, max_length=100)
    shipping_zip_code = Text(required=False, allow_blank=True, max_length=20)
    client_will_fulfill = serializers.BooleanField(required=False)
    ship_gateway_only = serializers.BooleanField(required=False)
    require_signature = serializers.BooleanField(required=False)
    notify_emails = EmailList(required=False, allow_null=True)
    client_notes = Text(required=False, allow_blank=True, max_length=2000)
    shipped_on_behalf_of = Text(required=False, allow_blank=True, max_length=200)
    requested_by = Text(required=False, allow_blank=True, max_length=200)
    flagged_by_client = serializers.BooleanField(required=False)

    def validate(self, attrs):
        # Tenovi ships to the address given, so a request we ship must carry one; a client who
        # ships the device itself may leave it out.
        if not getattr(self.root, "partial", False) and not attrs.get("client_will_fulfill"):
            missing = [name for name in ADDRESS if not (attrs.get(name) or "").strip()]
            if missing:
                raise serializers.ValidationError(
                    {name: ["This field is required when Tenovi ships."] for name in missing}
                )
        return attrs


class DevicePart(serializers.Serializer):
    name = Text(max_length=100)
    hardware_uuid = Text(required=False, allow_null=True, allow_blank=True, max_length=64)
    fulfillment_request = FulfillmentRequest(required=False, allow_null=True)
    sensor_id = Text(required=False, allow_blank=True, allow_null=True, max_length=64)
    meta_data = serializers.DictField(required=False, allow_null=True)


class PatientPart(serializers.Serializer):
    external_id = Text(max_length=200)
    name = Text(required=False, allow_blank=True, allow_null=True, max_length=200)
    phone_number = Text(required=False, allow_blank=True, allow_null=True, max_length=50)
    email = Text(required=False, allow_blank=True, allow_null=True, max_length=254)
    physician = Text(required=False, allow_blank=True, allow_null=True, max_length=200)
    clinic_name = Text(required=False, allow_blank=True, allow_null=True, max_length=200)
    care_manager = Text(required=False, allow_blank=True, allow_null=True, max_length=200)
    sms_opt_in = serializers.BooleanField(required=False, allow_null=True)


class HwiDevice(serializers.Serializer):
    """Activation (POST) and change (PUT/PATCH) of an HWI device."""

    device = DevicePart()
    patient = PatientPart(required=False, allow_null=True)
    # read-only in the object; accepted as shorthands for patient.external_id/phone_number
    patient_id = Text(required=False, allow_null=True, allow_blank=True, max_length=200)
    patient_phone_number = Text(required=False, allow_null=True, allow_blank=True, max_length=50)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        return super().to_internal_value(data)

    def patient_details(self) -> PatientDetails | None:
        d = self.validated_data
        part = d.get("patient")
        if part:
            return PatientDetails(**part)
        if d.get("patient_id"):
            return PatientDetails(
                external_id=d["patient_id"], phone_number=d.get("patient_phone_number")
            )
        return None

    def activation(self) -> Activation:
        device = self.validated_data["device"]
        request = device.get("fulfillment_request")
        return Activation(
            name=device["name"],
            hardware_uuid=device.get("hardware_uuid"),
            shipping=Shipping(**request) if request is not None else None,
            patient=self.patient_details(),
            sensor_id=device.get("sensor_id") or "",
            meta_data=device.get("meta_data") or {},
        )

    def changes(self) -> dict[str, Any]:
        """Keyword arguments of ``enrolments.update``: only what the body names."""
        device = self.validated_data.get("device", {})
        out: dict[str, Any] = {"patient": self.patient_details()}
        if "name" in device:
            out["name"] = device["name"]
        if "hardware_uuid" in device:
            out["hardware_uuid"] = device["hardware_uuid"]
        if device.get("fulfillment_request"):
            out["shipping"] = dict(device["fulfillment_request"])
        if device.get("sensor_id") is not None:
            out["sensor_id"] = device["sensor_id"]
        if device.get("meta_data") is not None:
            out["meta_data"] = device["meta_data"]
        return out


class Property(serializers.Serializer):
    key = Text(max_length=100)
    value = Text(allow_blank=True, max_length=1000)


class DeviceTypeName(serializers.Serializer):
    name = Text(max_length=100)


class ReplacementRequest(serializers.Serializer):
    hwi_device_id = serializers.UUIDField()
    device_types = DeviceTypeName(many=True, allow_empty=False)
    shipping_name = Text(required=False, allow_blank=True, max_length=200)
    shipping_address = Text(required=False, allow_blank=True, max_length=200)
    shipping_city = Text(required=False, allow_blank=True, max_length=100)
    shipping_state = Text(required=False, allow_blank=True, max_length=100)
    shipping_zip_code = Text(required=False, allow_blank=True, max_length=20)
    notify_emails = EmailList(required=False, allow_null=True)
    require_signature = serializers.BooleanField(required=False)

    def shipping(self) -> Shipping | None:
        """Shipping details when the replacement is to be shipped; None when it comes from the
        client's own stock ("Replacement for Device Only from Bulk Order Inventory")."""
        d = self.validated_data
        if not any((d.get(name) or "").strip() for name in ADDRESS):
            return None
        return Shipping(
            **{name: d.get(name, "") for name in ADDRESS},
            notify_emails=d.get("notify_emails") or [],
            require_signature=d.get("require_signature", False),
        )


class Webhook(serializers.Serializer):
    endpoint = serializers.URLField(max_length=2000)
    auth_header = Text(required=False, allow_blank=True, max_length=200)
    auth_key = Text(required=False, allow_blank=True, max_length=1000)
    event = serializers.ChoiceField(
        choices=["MEASUREMENT", "FULFILLMENT", "SPECIAL_ORDER"], required=False
    )
    post_as_array = serializers.BooleanField(required=False)
    enabled_by_default = serializers.BooleanField(required=False)
