"""PING query-string filters. Several filters together are AND-ed; a malformed value is a 400
naming the parameter (django-filter's errors, DRF-shaped)."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.core.exceptions import ValidationError as FormValidationError
from rest_framework.exceptions import ValidationError

from pulsebridge.lib.ids import MAX_ROW_ID
from pulsebridge.tracking import queries
from pulsebridge.tracking.models import (
    Configuration,
    DeviceGroup,
    EventType,
    GeoGroup,
    Tracker,
    TrackerEvent,
)
from pulsebridge.tracking.services import shape_of


class CharInFilter(df.BaseInFilter, df.CharFilter):
    """Comma-separated values."""


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``); anything else is an error, not "no filter"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise FormValidationError("Must be true or false.")


class StrictBooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


class PingFilterSet(df.FilterSet):
    """Every number filter is bounded to what a BIGINT holds (unless it has tighter bounds): a
    24-digit id is a 400 naming the parameter, not SQLite's OverflowError."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in self.filters.values():
            if isinstance(number, df.NumberFilter):
                number.extra.setdefault("max_value", MAX_ROW_ID)
                number.extra.setdefault("min_value", -MAX_ROW_ID)
                number.__dict__.pop("_field", None)  # a form field built before: built again


class GeoFilterSet(PingFilterSet):
    """``latitude`` + ``longitude`` with ``radius__lte`` / ``radius__gte`` (metres). As the
    document says, a radius without both coordinates takes no effect."""

    latitude = df.NumberFilter(method="later", min_value=-90, max_value=90)
    longitude = df.NumberFilter(method="later", min_value=-180, max_value=180)
    radius__lte = df.NumberFilter(method="later", min_value=0)
    radius__gte = df.NumberFilter(method="later", min_value=0)

    def later(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        lat, lon = data.get("latitude"), data.get("longitude")
        if lat is None or lon is None:
            return queryset
        lat, lon = float(lat), float(lon)
        if data.get("radius__lte") is not None:
            queryset = queries.within_radius(queryset, lat, lon, float(data["radius__lte"]))
        if data.get("radius__gte") is not None:
            queryset = queries.beyond_radius(queryset, lat, lon, float(data["radius__gte"]))
        return queryset


class DeviceFilter(GeoFilterSet):
    imei = df.CharFilter(field_name="device__imei")
    mac = df.CharFilter(field_name="device__mac", lookup_expr="iexact")
    fault = StrictBooleanFilter()
    customer_group_id = df.NumberFilter(field_name="group_id")
    geogroup_inside = df.NumberFilter(method="later", min_value=1)
    geogroup_outside = df.NumberFilter(method="later", min_value=1)
    geogroup_distance = df.NumberFilter(method="later", min_value=0)

    class Meta:
        model = Tracker
        fields = []

    def _geogroup(self, name: str) -> GeoGroup:
        pk = int(self.form.cleaned_data[name])
        geogroup = GeoGroup.objects.filter(company=self.request.company, pk=pk).first()
        if geogroup is None:
            raise ValidationError({name: [f"no geo group with id {pk}"]})
        return geogroup

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        distance = float(data.get("geogroup_distance") or 0)
        for name, apply in (
            ("geogroup_inside", queries.inside_geogroup),
            ("geogroup_outside", queries.outside_geogroup),
        ):
            if data.get(name) is None:
                continue
            geogroup = self._geogroup(name)
            shape = shape_of(geogroup) if distance else None
            queryset = apply(queryset, geogroup, shape, distance)
        return queryset


class EventFilter(GeoFilterSet):
    device = df.NumberFilter(field_name="tracker_id")
    imei = df.CharFilter(field_name="tracker__device__imei")
    type = CharInFilter(field_name="type")
    timestamp__gte = df.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    timestamp__lte = df.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")
    created_at__gte = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_at__lte = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    geogroup = df.NumberFilter(field_name="geogroup_id")

    class Meta:
        model = TrackerEvent
        fields = []

    def is_valid(self):
        valid = super().is_valid()
        types = self.form.cleaned_data.get("type") if valid else None
        unknown = [t for t in types or [] if t not in EventType.values]
        if unknown:
            self.form.add_error("type", f"unknown event type(s): {', '.join(unknown)}")
            return False
        return valid


class NamedFilter(PingFilterSet):
    """``name``: comma-separated names, any of which matches."""

    name = CharInFilter(field_name="name")


class ConfigurationFilter(NamedFilter):
    class Meta:
        model = Configuration
        fields = ["state"]


class DeviceGroupFilter(NamedFilter):
    class Meta:
        model = DeviceGroup
        fields = []


class GeoGroupFilter(NamedFilter):
    class Meta:
        model = GeoGroup
        fields = []
