"""Request bodies of the Pylo API, validated against the document's field tables."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pulsebridge.fulfillment.services import LineRequest, OrderRequest

PYLO_SKUS = ("PY-802-LTE", "PY-300-LTE", "PY-GL1-LTE", "PY-OX1-LTE")


class StrictSerializer(serializers.Serializer):
    """Refuses fields the document does not list, so a misspelt filter is an error, not a
    silently wider query."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": ["must be a JSON object"]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["is not a known field"] for name in unknown})
        return super().to_internal_value(data)


class Text(serializers.CharField):
    """A string field: numbers are not silently turned into strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "enum": ["yes", "no"]})
class YesNo(serializers.Field):
    default_error_messages = {"invalid": 'must be "yes" or "no"'}

    def to_internal_value(self, data):
        if data in ("yes", True):
            return True
        if data in ("no", False):
            return False
        self.fail("invalid")
        return None

    def to_representation(self, value):
        return "yes" if value else "no"


class DeviceUpdate(StrictSerializer):
    patient_id = Text(required=False, allow_blank=True, max_length=200)
    practice_id = Text(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"body": ["supply patient_id and/or practice_id (at least one is required)"]}
            )
        return attrs


class ReadingsFilter(StrictSerializer):
    reading_id = Text(required=False, max_length=64)
    imei = Text(required=False, max_length=20)
    patient_id = Text(required=False, max_length=200)
    device_id = Text(required=False, max_length=64)
    reading_type = Text(required=False, max_length=64)
    measurement_taken_start_date = serializers.DateTimeField(required=False)
    measurement_taken_end_date = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"body": ["at least one filter is required: " + ", ".join(self.fields)]}
            )
        start = attrs.get("measurement_taken_start_date")
        end = attrs.get("measurement_taken_end_date")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"measurement_taken_end_date": ["must not be before measurement_taken_start_date"]}
            )
        return attrs


class OrderDevice(StrictSerializer):
    item_sku = serializers.ChoiceField(choices=PYLO_SKUS)
    quantity = Text(max_length=4)  # the field table says string: a JSON number is refused

    def validate_quantity(self, value: str) -> int:
        if not value.isdigit() or not 1 <= int(value) <= 100:
            raise serializers.ValidationError("must be a whole number from 1 to 100, as a string")
        return int(value)


class BillingInfo(StrictSerializer):
    name = Text(max_length=200)
    street1 = Text(max_length=200)
    street2 = Text(required=False, allow_blank=True, max_length=200)
    state = Text(max_length=100)
    city = Text(max_length=100)
    postal_code = Text(max_length=20)
    country = Text(min_length=2, max_length=2)


class PlaceOrder(StrictSerializer):
    order_requested_shipping_service = serializers.ChoiceField(
        choices=["standard", "two-day"], required=False
    )
    order_notes_from_buyer = Text(required=False, allow_blank=True, max_length=2000)
    recipient_first_name = Text(max_length=100)
    recipient_last_name = Text(max_length=100)
    recipient_phone = Text(max_length=50)
    recipient_email = serializers.EmailField(max_length=254)
    recipient_company = Text(required=False, allow_blank=True, max_length=200)
    address1 = Text(max_length=200)
    address2 = Text(required=False, allow_blank=True, max_length=200)
    address3 = Text(required=False, allow_blank=True, max_length=200)
    city = Text(max_length=100)
    state = Text(max_length=100)
    postal_code = Text(max_length=20)
    country_code = Text(min_length=2, max_length=2)
    devices = OrderDevice(many=True, allow_empty=False)
    require_signature = YesNo(required=False)
    patient_identifier = Text(required=False, allow_blank=True, max_length=200)
    practice_identifier = Text(required=False, allow_blank=True, max_length=200)
    billing_info = BillingInfo()
    inserts = serializers.ListField(child=Text(max_length=100), required=False, max_length=20)

    def to_request(self) -> OrderRequest:
        d = self.validated_data
        return OrderRequest(
            lines=[LineRequest(sku=x["item_sku"], quantity=x["quantity"]) for x in d["devices"]],
            recipient_first_name=d["recipient_first_name"],
            recipient_last_name=d["recipient_last_name"],
            recipient_phone=d["recipient_phone"],
            recipient_email=d["recipient_email"],
            recipient_company=d.get("recipient_company", ""),
            address1=d["address1"],
            address2=d.get("address2", ""),
            address3=d.get("address3", ""),
            city=d["city"],
            state=d["state"],
            postal_code=d["postal_code"],
            country_code=d["country_code"],
            requested_service=d.get("order_requested_shipping_service", ""),
            notes_from_buyer=d.get("order_notes_from_buyer", ""),
            require_signature=d.get("require_signature", False),
            patient_id=d.get("patient_identifier", ""),
            practice_id=d.get("practice_identifier", ""),
            billing_info=dict(d["billing_info"]),
            inserts=list(d.get("inserts", [])),
        )


class UpdateOrder(StrictSerializer):
    order_number = Text(max_length=64)
    patient_id = Text(required=False, allow_blank=True, max_length=200)
    practice_id = Text(required=False, allow_blank=True, max_length=200)
