"""Asset tracking: trackers, their configurations and groups, geo groups and tracker events.

PING identifies everything by integers, so these tables keep auto-increment keys (DESIGN.md:
"except where a document shows integers"). A tracker is a ``devices.Device`` of the
``PING-TRACKER`` model; its integer identity and tracking state live in ``Tracker``, one row per
device, so the shared Device table keeps its UUID key and stays the same for every dialect."""

from __future__ import annotations

from django.db import models

from pulsebridge.core.models import Company, CompanyScopedManager
from pulsebridge.devices.models import Device

TRACKER_SKU = "PING-TRACKER"


class Configuration(models.Model):
    """Settings a tracker applies (reporting interval, ...). Edited while ``draft``; once
    ``published`` it is read-only and may be assigned to device groups."""

    class State(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="tracker_configurations"
    )
    name = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    settings = models.JSONField(default=dict)
    checksum = models.CharField(max_length=8)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedManager()

    class Meta:
        indexes = [models.Index(fields=["company", "name"], name="tracking_config_name")]

    def __str__(self) -> str:
        return f"{self.name or self.pk} ({self.state})"


class DeviceGroup(models.Model):
    """PING "customer group": trackers grouped to share a configuration."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="device_groups")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    configuration = models.ForeignKey(
        Configuration, null=True, blank=True, on_delete=models.PROTECT, related_name="groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedManager()

    def __str__(self) -> str:
        return self.name


class GeoGroup(models.Model):
    """A named area: a GeoJSON Polygon or MultiPolygon. The bounding box columns let queries
    prefilter on indexes; ``max_lon`` passes 180 when the area crosses the antimeridian."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="geo_groups")
    name = models.CharField(max_length=200)
    boundary = models.JSONField()
    min_lat = models.FloatField()
    max_lat = models.FloatField()
    min_lon = models.FloatField()
    max_lon = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedManager()

    def __str__(self) -> str:
        return self.name


class TrackerQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> TrackerQuerySet:
        return self.filter(company=company)


class Tracker(models.Model):
    """The tracking state of one PING tracker: its last known position and the latest event.

    ``latitude``/``longitude`` are copied from the newest positioned event and indexed with the
    company, so radius and geo group queries prefilter on a bounding box in the index."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="trackers")
    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="tracker")
    group = models.ForeignKey(
        DeviceGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="trackers"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    fault = models.BooleanField(default=False)
    battery = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature = models.FloatField(null=True, blank=True)
    last_event_timestamp = models.DateTimeField(null=True, blank=True)
    last_event_created_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(help_text="When the device was added.")
    modified_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(TrackerQuerySet)()

    class Meta:
        indexes = [
            models.Index(fields=["company", "latitude", "longitude"], name="tracker_position"),
            models.Index(fields=["company", "created_at"], name="tracker_created"),
            models.Index(fields=["company", "last_event_timestamp"], name="tracker_last_event"),
        ]

    def __str__(self) -> str:
        return f"tracker {self.pk}"


class GeoMembership(models.Model):
    """A tracker whose last known position is inside a geo group, kept current when trackers
    move and when geo groups change, so "inside" is an indexed join."""

    geogroup = models.ForeignKey(GeoGroup, on_delete=models.CASCADE, related_name="memberships")
    tracker = models.ForeignKey(Tracker, on_delete=models.CASCADE, related_name="geo_memberships")
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["geogroup", "tracker"], name="geomembership_uniq")
        ]
        indexes = [models.Index(fields=["tracker"], name="geomembership_tracker")]

    def __str__(self) -> str:
        return f"{self.tracker_id} in {self.geogroup_id}"


class EventType(models.TextChoices):
    POSITION = "position"
    TEMPERATURE = "temperature"
    SHOCK = "shock"
    BATTERY = "battery"
    HEARTBEAT = "heartbeat"
    FAULT = "fault"
    FAULT_CLEARED = "fault_cleared"
    GEOGROUP_ENTER = "geogroup_enter"
    GEOGROUP_LEAVE = "geogroup_leave"


# What trackers may post; the geo group events are Pulsebridge's own.
REPORTED_TYPES = [
    EventType.POSITION,
    EventType.TEMPERATURE,
    EventType.SHOCK,
    EventType.BATTERY,
    EventType.HEARTBEAT,
    EventType.FAULT,
    EventType.FAULT_CLEARED,
]


class TrackerEvent(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="tracker_events")
    tracker = models.ForeignKey(Tracker, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=EventType.choices)
    timestamp = models.DateTimeField(help_text="When the tracker says it happened.")
    created_at = models.DateTimeField(help_text="When Pulsebridge received it.")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    temperature = models.FloatField(null=True, blank=True)
    shock = models.FloatField(null=True, blank=True)
    battery = models.PositiveSmallIntegerField(null=True, blank=True)
    geogroup = models.ForeignKey(
        GeoGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    sender_id = models.CharField(max_length=128, blank=True, default="")
    dedupe_key = models.CharField(max_length=200)

    objects = CompanyScopedManager()

    class Meta:
        constraints = [
            # with the time: partitioned by month of timestamp on PostgreSQL (lib.partitions)
            models.UniqueConstraint(
                fields=["tracker", "dedupe_key", "timestamp"], name="trackerevent_dedupe"
            )
        ]
        indexes = [
            models.Index(fields=["company", "timestamp"], name="trackerevent_time"),
            models.Index(fields=["tracker", "timestamp"], name="trackerevent_tracker_time"),
            models.Index(fields=["company", "latitude", "longitude"], name="trackerevent_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.type} of {self.tracker_id} at {self.timestamp:%Y-%m-%dT%H:%M:%SZ}"
