"""Request bodies of the Tenovi HWI API, as the definitions of Tenovi's Swagger declare them:
every field it marks ``x-nullable`` takes null (read as "no value"), every other one refuses it
with that field's 400, and every field it does not require may be left out. Read-only fields a
client echoes back (``id``, ``status``, ``created``...) are accepted and ignored, so that a client
may PUT what it read."""

from __future__ import annotations

from typing import Any

from django.core.validators import validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pulsebridge.fulfillment.enrolments import UNSET, Activation, PatientDetails, Shipping


class Text(serializers.CharField):
    """A string field: numbers are not silently turned into strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def nullable(max_length: int = 255, **options) -> Text:
    """An optional ``x-nullable`` string."""
    return Text(required=False, allow_blank=True, allow_null=True, max_length=max_length, **options)


def optional(max_length: int = 255, **options) -> Text:
    """An optional string that is not nullable."""
    return Text(required=False, allow_blank=True, max_length=max_length, **options)


class Email(Text):
    default_error_messages = {"email": "Enter a valid email address."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        if value:
            try:
                validate_email(value)
            except Exception:
                self.fail("email")
        return value


@extend_schema_field({"type": "string", "example": "nurse@example.com,son@example.com"})
class EmailList(serializers.Field):
    """``notify_emails``: "a list of comma-separated email addresses" (a JSON list is also
    accepted); null is none."""

    default_error_messages = {"invalid": "{value!r} is not an e-mail address"}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None:  # x-nullable: no addresses
            return True, []
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, str):
            if len(data) > 2048:
                raise serializers.ValidationError(
                    "Ensure this field has no more than 2048 characters."
                )
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
        return ",".join(value)


def _blank(value: str | None) -> str:
    return value or ""


ADDRESS = (
    "shipping_name",
    "shipping_address",
    "shipping_city",
    "shipping_state",
    "shipping_zip_code",
)


class FulfillmentRequest(serializers.Serializer):
    """``DeviceFulfillmentRequestSerializerForApi``."""

    shipping_name = nullable()
    shipping_address = nullable()
    shipping_city = nullable()
    shipping_state = nullable()
    shipping_zip_code = nullable()
    shipped_on_behalf_of = nullable(200)
    shipping_tracking_link = serializers.URLField(required=False, allow_null=True, max_length=2000)
    client_will_fulfill = serializers.BooleanField(required=False)
    ship_gateway_only = serializers.BooleanField(required=False)
    require_signature = serializers.BooleanField(required=False)
    notify_emails = EmailList()
    client_notes = optional(2000)
    requested_by = nullable(200)
    flagged_by_client = serializers.BooleanField(required=False)

    def validate(self, attrs):
        # Null is no value: what the domain keeps as the empty string.
        for name in (*ADDRESS, "shipped_on_behalf_of", "requested_by"):
            if name in attrs:
                attrs[name] = _blank(attrs[name])
        attrs.pop("shipping_tracking_link", None)  # ours, from the carrier
        # Tenovi ships to the address given, so a request we ship must carry one; a client who
        # ships the device itself may leave it out.
        if not getattr(self.root, "partial", False) and not attrs.get("client_will_fulfill"):
            missing = [name for name in ADDRESS if not attrs.get(name, "").strip()]
            if missing:
                raise serializers.ValidationError(
                    {name: ["This field is required when Tenovi ships."] for name in missing}
                )
        return attrs


class DevicePart(serializers.Serializer):
    """``DeviceSerializerForApi``."""

    name = Text(max_length=255)
    hardware_uuid = nullable(64)
    fulfillment_request = FulfillmentRequest(required=False, allow_null=True)
    sensor_id = optional(64)
    meta_data = serializers.DictField(required=False, allow_null=True)


class PatientPart(serializers.Serializer):
    """``HwiPatient``. ``external_id`` is nullable in the Swagger, yet the guide requires it in a
    patient object: null or absent is that field's 400."""

    external_id = Text(max_length=200, error_messages={"null": "This field is required."})
    name = nullable(200)
    phone_number = nullable(50)
    email = Email(required=False, allow_blank=True, allow_null=True, max_length=254)
    physician = nullable(200)
    clinic_name = nullable(200)
    care_manager = nullable(200)
    sms_opt_in = serializers.BooleanField(required=False)


class HwiDevice(serializers.Serializer):
    """Activation (POST) and change (PUT/PATCH) of an HWI device."""

    device = DevicePart()
    patient = PatientPart(required=False, allow_null=True)
    # deprecated shorthands for patient.external_id / patient.phone_number
    patient_id = optional(200)
    patient_phone_number = optional(50)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        return super().to_internal_value(data)

    def validate_patient(self, value):
        # required even in a PATCH: a patient object names its patient
        if value is not None and not value.get("external_id"):
            raise serializers.ValidationError({"external_id": ["This field is required."]})
        return value

    def patient_details(self) -> PatientDetails | Any | None:
        """The patient object when given, else the shorthands; None when the body takes the
        patient off (``patient: null`` or an empty ``patient_id``), ``UNSET`` when it names
        none of them."""
        d = self.validated_data
        part = d.get("patient")
        if part:
            return PatientDetails(**part)
        if d.get("patient_id"):
            return PatientDetails(
                external_id=d["patient_id"], phone_number=d.get("patient_phone_number") or None
            )
        if "patient" in d or "patient_id" in d:
            return None
        return UNSET

    def activation(self) -> Activation:
        device = self.validated_data["device"]
        request = device.get("fulfillment_request")
        patient = self.patient_details()
        return Activation(
            name=device["name"],
            hardware_uuid=device.get("hardware_uuid"),
            shipping=Shipping(**request) if request is not None else None,
            patient=patient if isinstance(patient, PatientDetails) else None,
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
    """``ClientDeviceProperties``: ``value`` is optional and nullable (no value is ``""``)."""

    key = Text(max_length=100)
    value = Text(required=False, allow_blank=True, allow_null=True, max_length=1000)
    synced = serializers.BooleanField(required=False)
    handle_property = serializers.BooleanField(required=False)


class DeviceTypeName(serializers.Serializer):
    name = Text(max_length=255)


class ReplacementRequest(serializers.Serializer):
    """``HwiReplacements``."""

    hwi_device_id = serializers.UUIDField()
    device_types = DeviceTypeName(many=True, allow_empty=False)
    shipping_name = nullable()
    shipping_address = nullable()
    shipping_city = nullable()
    shipping_state = nullable()
    shipping_zip_code = nullable()
    notify_emails = EmailList()
    require_signature = serializers.BooleanField(required=False)

    def shipping(self) -> Shipping | None:
        """Shipping details when the replacement is to be shipped; None when it comes from the
        client's own stock ("Replacement for Device Only from Bulk Order Inventory")."""
        d = self.validated_data
        if not any(_blank(d.get(name)).strip() for name in ADDRESS):
            return None
        return Shipping(
            **{name: _blank(d.get(name)) for name in ADDRESS},
            notify_emails=d.get("notify_emails") or [],
            require_signature=d.get("require_signature", False),
        )


class Webhook(serializers.Serializer):
    """``Webhooks``: ``auth_header`` is the header's value (``Bearer XXXXX``), ``auth_key`` its
    name (``Authorization`` unless given). ``secret`` is Pulsebridge's: it signs the Standard
    Webhooks ``webhook-signature`` of every delivery (generated when not given)."""

    endpoint = serializers.URLField(max_length=512)
    auth_header = Text(required=False, allow_blank=True, allow_null=True, max_length=255)
    auth_key = Text(required=False, allow_blank=True, allow_null=True, max_length=255)
    event = serializers.ChoiceField(
        choices=["MEASUREMENT", "FULFILLMENT", "SPECIAL_ORDER"], required=False
    )
    post_as_array = serializers.BooleanField(required=False)
    enabled_by_default = serializers.BooleanField(required=False)
    secret = Text(required=False, min_length=16, max_length=256)


class Patient(serializers.Serializer):
    """``HwiPatientDetails``. ``external_id`` is nullable in the Swagger, yet "required and
    must be unique for each patient": null is that field's 400."""

    external_id = Text(max_length=200, error_messages={"null": "This field is required."})
    name = nullable(200)
    address = nullable()
    city = nullable()
    state = nullable()
    zip_code = nullable()
    phone_number = nullable(50)
    email = Email(required=False, allow_blank=True, allow_null=True, max_length=254)
    physician = nullable(200)
    clinic_name = nullable(200)
    care_manager = nullable(200)
    sms_opt_in = serializers.BooleanField(required=False)
    confirm_address = serializers.BooleanField(required=False)

    def details(self) -> dict[str, Any]:
        """The fields given, null read as the empty string."""
        return {
            name: _blank(value) if isinstance(value, str) or value is None else value
            for name, value in self.validated_data.items()
            if name != "external_id"
        }


def _ids(**options) -> serializers.ListField:
    return serializers.ListField(child=Text(max_length=64), required=False, **options)


class WebhookTest(serializers.Serializer):
    """``WebhooksTesting``: which event to try, and any values of the sample."""

    event = serializers.ChoiceField(choices=["MEASUREMENT", "FULFILLMENT"])
    webhook_ids = _ids()
    metric = Text(required=False, max_length=64)
    sensor_code = optional(8)
    device_name = Text(required=False, max_length=255)
    patient_id = optional(200)
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, coerce_to_string=True
    )
    secondary_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, coerce_to_string=True
    )
    device_id = Text(required=False, max_length=64)
    hardware_uuid = Text(required=False, max_length=64)
    hwi_device_id = Text(required=False, max_length=64)
    status = Text(required=False, max_length=64)
    timestamp = serializers.DateTimeField(required=False)
    timezone_offset = serializers.IntegerField(required=False, min_value=-24, max_value=24)
    estimated_timestamp = serializers.BooleanField(required=False)
    created = serializers.DateTimeField(required=False)
    filter_params = serializers.DictField(required=False, allow_null=True)


class Resend(serializers.Serializer):
    """``ResendWebhooks``: one reading (``measurement_id``: its id, Pylo's ``Id``) or those of
    one HWI device (``client_device_id``) or patient (``patient_id``, Pulsebridge's), in a time
    range (``timestamp__gte``/``__lt``, Pulsebridge's), to ``webhook_ids`` or to every
    MEASUREMENT webhook."""

    measurement_id = optional(64)
    client_device_id = optional(64)
    patient_id = optional(200)
    webhook_ids = _ids()
    all_failed = serializers.BooleanField(required=False)
    timestamp__gte = serializers.DateTimeField(required=False)
    timestamp__lt = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        named = [n for n in ("measurement_id", "client_device_id", "patient_id") if attrs.get(n)]
        if len(named) != 1:
            raise serializers.ValidationError(
                {"measurement_id": ["give one of measurement_id, client_device_id or patient_id"]}
            )
        return attrs
