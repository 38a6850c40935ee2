"""PING request and response bodies. Writes go through the tracking services; these classes
only validate the wire shape and write the answer."""

from __future__ import annotations

import re
from datetime import UTC

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pulsebridge.lib.ids import MAX_ROW_ID
from pulsebridge.tracking.applications import GRANT_TYPES, Application
from pulsebridge.tracking.models import Configuration, DeviceGroup, GeoGroup, Tracker
from pulsebridge.tracking.services import effective_configuration


def iso(value) -> str | None:
    """ISO 8601 in UTC with ``Z``, as the document's examples."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UtcDateTimeField(serializers.DateTimeField):
    def to_representation(self, value):
        return iso(value)


def customer(company) -> dict:
    return {"id": str(company.pk), "code": company.code, "name": company.name}


CUSTOMER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "code": {"type": "string"},
        "name": {"type": "string"},
    },
}


@extend_schema_field(CUSTOMER_SCHEMA)
class CustomerField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="company", read_only=True, **kwargs)

    def to_representation(self, value):
        return customer(value)


# Accounts ------------------------------------------------------------------------------------


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    customer = serializers.SerializerMethodField()
    created_at = UtcDateTimeField(source="date_joined")
    modified_at = serializers.SerializerMethodField()

    def get_customer(self, user) -> dict:
        return customer(user.membership.company)

    def get_modified_at(self, user) -> str:
        # Django's user has no modification time; the last login is the latest we know of.
        when = max(t for t in (user.date_joined, user.last_login) if t is not None)
        return iso(when)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False)
    password = serializers.CharField(trim_whitespace=False)
    password_confirmation = serializers.CharField(trim_whitespace=False)

    def validate_old_password(self, value):
        if not self.context["user"].check_password(value):
            raise serializers.ValidationError("The old password is not correct.")
        return value

    def validate(self, attrs):
        if attrs["password"] != attrs["password_confirmation"]:
            raise serializers.ValidationError(
                {"password_confirmation": ["The two passwords differ."]}
            )
        try:
            validate_password(attrs["password"], self.context["user"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


# Applications --------------------------------------------------------------------------------


class RedirectUrisField(serializers.CharField):
    """Comma-separated on the wire (the document), space-separated in the toolkit."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        return [uri for uri in re.split(r"[,\s]+", text) if uri]

    def to_representation(self, value):
        return ",".join(value.split())


class ApplicationSerializer(serializers.ModelSerializer):
    client_secret = serializers.SerializerMethodField()
    authorization_grant_type = serializers.ChoiceField(choices=GRANT_TYPES)
    redirect_uris = RedirectUrisField(required=False, allow_blank=True)
    created_at = UtcDateTimeField(source="created", read_only=True)
    modified_at = UtcDateTimeField(source="updated", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "name",
            "client_id",
            "client_secret",
            "authorization_grant_type",
            "redirect_uris",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["id", "client_id"]
        extra_kwargs = {"name": {"required": True, "allow_blank": False}}

    def get_client_secret(self, application) -> str | None:
        # Stored hashed: only the answer to create knows it.
        return getattr(application, "plain_client_secret", None)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data["client_secret"] is None:
            del data["client_secret"]
        return data


# Configurations ------------------------------------------------------------------------------


class ConfigurationSerializer(serializers.ModelSerializer):
    settings = serializers.JSONField(required=False)
    created_at = UtcDateTimeField(read_only=True)
    modified_at = UtcDateTimeField(read_only=True)
    customer = CustomerField()

    class Meta:
        model = Configuration
        fields = [
            "id",
            "name",
            "description",
            "checksum",
            "settings",
            "created_at",
            "modified_at",
            "state",
            "customer",
        ]
        read_only_fields = ["id", "checksum", "state"]


# Device groups -------------------------------------------------------------------------------


class CompanyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object of the caller's company only: others are "does not exist"."""

    def get_queryset(self):
        return self.queryset.filter(company=self.context["request"].company)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except OverflowError:  # an id past any BIGINT (SQLite cannot bind it): none has it
            self.fail("does_not_exist", pk_value=data)


class DeviceGroupSerializer(serializers.ModelSerializer):
    configuration = CompanyRelatedField(
        queryset=Configuration.objects.all(), allow_null=True, required=False
    )
    device_count = serializers.IntegerField(read_only=True)
    created_at = UtcDateTimeField(read_only=True)
    modified_at = UtcDateTimeField(read_only=True)
    customer = CustomerField()

    class Meta:
        model = DeviceGroup
        fields = [
            "id",
            "name",
            "description",
            "configuration",
            "device_count",
            "created_at",
            "modified_at",
            "customer",
        ]
        read_only_fields = ["id"]


class GroupDevicesSerializer(serializers.Serializer):
    devices = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID),
        allow_empty=False,
        max_length=1000,
    )


# Geo groups ----------------------------------------------------------------------------------


class GeoGroupSerializer(serializers.ModelSerializer):
    boundary = serializers.JSONField()
    created_at = UtcDateTimeField(read_only=True)
    modified_at = UtcDateTimeField(read_only=True)
    customer = CustomerField()

    class Meta:
        model = GeoGroup
        fields = ["id", "name", "boundary", "created_at", "modified_at", "customer"]
        read_only_fields = ["id"]


# Devices -------------------------------------------------------------------------------------


class DeviceSerializer(serializers.ModelSerializer):
    imei = serializers.CharField(source="device.imei", read_only=True)
    mac = serializers.CharField(source="device.mac", read_only=True)
    serial = serializers.CharField(source="device.serial", read_only=True)
    customer_group_id = CompanyRelatedField(
        source="group", queryset=DeviceGroup.objects.all(), allow_null=True, required=False
    )
    configuration = serializers.SerializerMethodField()
    geogroups = serializers.SerializerMethodField()
    last_event_timestamp = UtcDateTimeField(read_only=True)
    last_event_created_at = UtcDateTimeField(read_only=True)
    created_at = UtcDateTimeField(read_only=True)
    modified_at = UtcDateTimeField(read_only=True)
    customer = CustomerField()

    class Meta:
        model = Tracker
        fields = [
            "id",
            "imei",
            "mac",
            "serial",
            "fault",
            "latitude",
            "longitude",
            "accuracy",
            "battery",
            "temperature",
            "customer_group_id",
            "configuration",
            "geogroups",
            "last_event_timestamp",
            "last_event_created_at",
            "created_at",
            "modified_at",
            "customer",
        ]
        read_only_fields = [
            "id",
            "fault",
            "latitude",
            "longitude",
            "accuracy",
            "battery",
            "temperature",
        ]

    def get_configuration(self, tracker) -> dict:
        return effective_configuration(tracker)

    def get_geogroups(self, tracker) -> list[int]:
        """Ids of the geo groups the device is inside now."""
        return sorted(m.geogroup_id for m in tracker.geo_memberships.all())

    def to_representation(self, tracker):
        # Written out by hand: device lists are the API's hot path, and DRF's field-by-field
        # rendering costs more than the queries behind a page. Same keys as ``Meta.fields``.
        device = tracker.device
        return {
            "id": tracker.pk,
            "imei": device.imei,
            "mac": device.mac,
            "serial": device.serial,
            "fault": tracker.fault,
            "latitude": tracker.latitude,
            "longitude": tracker.longitude,
            "accuracy": tracker.accuracy,
            "battery": tracker.battery,
            "temperature": tracker.temperature,
            "customer_group_id": tracker.group_id,
            "configuration": effective_configuration(tracker),
            "geogroups": self.get_geogroups(tracker),
            "last_event_timestamp": iso(tracker.last_event_timestamp),
            "last_event_created_at": iso(tracker.last_event_created_at),
            "created_at": iso(tracker.created_at),
            "modified_at": iso(tracker.modified_at),
            # The request's customer: the same company, without a join per page.
            "customer": customer(
                getattr(self.context.get("request"), "company", None) or tracker.company
            ),
        }


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    device = serializers.IntegerField(source="tracker_id")
    imei = serializers.CharField(source="tracker.device.imei")
    type = serializers.CharField()
    timestamp = UtcDateTimeField()
    created_at = UtcDateTimeField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    accuracy = serializers.FloatField(allow_null=True)
    temperature = serializers.FloatField(allow_null=True)
    shock = serializers.FloatField(allow_null=True)
    battery = serializers.IntegerField(allow_null=True)
    geogroup = serializers.IntegerField(source="geogroup_id", allow_null=True)
