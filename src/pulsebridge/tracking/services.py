"""Business rules of asset tracking, shared by the PING dialect, the ingest API and commands."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Device
from pulsebridge.lib.errors import DomainError
from pulsebridge.lib.outcomes import Outcome

from . import configuration as config_schema
from .geo import GeoError, Shape, parse_boundary
from .models import (
    TRACKER_SKU,
    Configuration,
    DeviceGroup,
    EventType,
    GeoGroup,
    GeoMembership,
    Tracker,
    TrackerEvent,
)
from .queries import box_q
from .validation import ParsedEvent

# Devices are added by the devices app, which knows nothing of trackers; their Tracker rows are
# made on first sight. Looking back this far past the newest known tracker catches devices
# whose transaction committed after a later one's.
SYNC_MARGIN = timedelta(minutes=10)
DEFAULT_CHECKSUM = config_schema.checksum(config_schema.DEFAULTS)


class TrackingError(DomainError):
    """A tracking rule was broken. ``errors`` maps a field (or ``non_field_errors``) to what
    is wrong, so that any dialect can name the field."""

    def __init__(self, errors: dict[str, str] | str):
        if isinstance(errors, str):
            errors = {"non_field_errors": errors}
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# Trackers ------------------------------------------------------------------------------------


def ensure_trackers(company: Company) -> int:
    """Give every PING-TRACKER device of the company its Tracker row; the number created.

    Runs before every query, so its usual path is one index look-up: when the company's newest
    tracker device already has its row, nothing was added since the last sync. Otherwise the
    devices added since the newest known tracker (less a margin, for transactions that
    committed late) get theirs. A device committed later still than that margin gets its row
    with the next device added, or at its first event (see ``record_events``)."""
    newest_device = (
        Device.objects.filter(company=company, model__sku=TRACKER_SKU)
        .order_by("-created_at", "-id")
        .values_list("tracker__id", flat=True)[:1]
    )
    newest = list(newest_device)
    if not newest or newest[0] is not None:
        return 0
    return _create_missing_trackers(company)


def _create_missing_trackers(company: Company, **device_filter) -> int:
    newest = (
        Tracker.objects.filter(company=company)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    devices = Device.objects.filter(
        company=company, model__sku=TRACKER_SKU, tracker__isnull=True, **device_filter
    )
    if newest is not None and not device_filter:
        devices = devices.filter(created_at__gte=newest - SYNC_MARGIN)
    rows = [
        Tracker(company=company, device_id=pk, created_at=created_at)
        for pk, created_at in devices.values_list("pk", "created_at")
    ]
    if rows:
        Tracker.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def effective_configuration(tracker: Tracker) -> dict[str, Any]:
    """What the tracker applies: its group's published configuration, else the defaults."""
    group = tracker.group
    config = group.configuration if group is not None else None
    if config is None:
        return {
            "id": None,
            "name": "default",
            "checksum": DEFAULT_CHECKSUM,
            "settings": dict(config_schema.DEFAULTS),
        }
    return {
        "id": config.pk,
        "name": config.name,
        "checksum": config.checksum,
        "settings": config.settings,
    }


# Configurations ------------------------------------------------------------------------------


def _settings(raw: Any, base: dict | None = None) -> dict:
    try:
        return config_schema.validate_settings(raw, base)
    except config_schema.SettingsError as exc:
        raise TrackingError({"settings": exc.errors}) from None  # type: ignore[dict-item]


def create_configuration(
    company: Company, *, name: str = "", description: str = "", settings: Any = None
) -> Configuration:
    values = _settings({} if settings is None else settings)
    return Configuration.objects.create(
        company=company,
        name=name,
        description=description,
        settings=values,
        checksum=config_schema.checksum(values),
    )


def update_configuration(
    config: Configuration,
    *,
    name: str | None = None,
    description: str | None = None,
    settings: Any = None,
    replace: bool = False,
) -> Configuration:
    """Change a draft. With ``replace`` (PUT) absent settings return to their defaults; else
    (PATCH) the given settings are laid over the stored ones."""
    if config.state != Configuration.State.DRAFT:
        raise TrackingError("a published configuration can no longer be changed")
    if name is not None:
        config.name = name
    if description is not None:
        config.description = description
    if settings is not None or replace:
        config.settings = _settings(
            {} if settings is None else settings, None if replace else config.settings
        )
        config.checksum = config_schema.checksum(config.settings)
    config.save()
    return config


def publish_configuration(config: Configuration) -> Configuration:
    """Irreversible; publishing a published configuration changes nothing."""
    if config.state != Configuration.State.PUBLISHED:
        config.state = Configuration.State.PUBLISHED
        config.published_at = timezone.now()
        config.save(update_fields=["state", "published_at", "modified_at"])
    return config


def delete_configuration(config: Configuration) -> None:
    try:
        config.delete()
    except ProtectedError:
        names = ", ".join(sorted(g.name for g in config.groups.all()))
        raise TrackingError(
            f"the configuration is assigned to device groups ({names}); unassign it first"
        ) from None


# Device groups -------------------------------------------------------------------------------


def _check_configuration(company: Company, config: Configuration | None) -> None:
    if config is None:
        return
    if config.company_id != company.pk:
        raise TrackingError({"configuration": "no such configuration"})
    if config.state != Configuration.State.PUBLISHED:
        raise TrackingError(
            {"configuration": "only a published configuration can be assigned to a group"}
        )


def create_group(
    company: Company,
    *,
    name: str,
    description: str = "",
    configuration: Configuration | None = None,
) -> DeviceGroup:
    _check_configuration(company, configuration)
    return DeviceGroup.objects.create(
        company=company, name=name, description=description, configuration=configuration
    )


_UNSET: Any = object()


def update_group(
    group: DeviceGroup,
    *,
    name: str | None = None,
    description: str | None = None,
    configuration: Configuration | None = _UNSET,
) -> DeviceGroup:
    if name is not None:
        group.name = name
    if description is not None:
        group.description = description
    if configuration is not _UNSET:
        _check_configuration(group.company, configuration)
        group.configuration = configuration
    group.save()
    return group


def delete_group(group: DeviceGroup) -> None:
    """The group's trackers stay, in no group (and so on the default configuration)."""
    group.delete()


@transaction.atomic
def move_trackers(group: DeviceGroup | None, trackers: list[Tracker]) -> int:
    """Put trackers in a group (or in none): a tracker is in at most one group."""
    company_id = group.company_id if group is not None else None
    for tracker in trackers:
        if company_id is not None and tracker.company_id != company_id:
            raise TrackingError({"devices": f"no such device {tracker.pk}"})
    return Tracker.objects.filter(pk__in=[t.pk for t in trackers]).update(
        group=group, modified_at=timezone.now()
    )


def remove_trackers(group: DeviceGroup, trackers: list[Tracker]) -> int:
    return Tracker.objects.filter(pk__in=[t.pk for t in trackers], group=group).update(
        group=None, modified_at=timezone.now()
    )


# Geo groups ----------------------------------------------------------------------------------


def _shape(boundary: Any) -> Shape:
    try:
        return parse_boundary(boundary)
    except GeoError as exc:
        raise TrackingError({"boundary": str(exc)}) from None


def shape_of(geogroup: GeoGroup) -> Shape:
    return parse_boundary(geogroup.boundary)


def _set_boundary(geogroup: GeoGroup, boundary: dict, shape: Shape) -> None:
    geogroup.boundary = {"type": boundary["type"], "coordinates": boundary["coordinates"]}
    geogroup.min_lat, geogroup.max_lat = shape.min_lat, shape.max_lat
    geogroup.min_lon, geogroup.max_lon = shape.min_lon, shape.max_lon


@transaction.atomic
def create_geogroup(company: Company, *, name: str, boundary: Any) -> GeoGroup:
    shape = _shape(boundary)
    geogroup = GeoGroup(company=company, name=name)
    _set_boundary(geogroup, boundary, shape)
    geogroup.save()
    refresh_memberships(geogroup, shape)
    return geogroup


@transaction.atomic
def update_geogroup(
    geogroup: GeoGroup, *, name: str | None = None, boundary: Any = None
) -> GeoGroup:
    if name is not None:
        geogroup.name = name
    shape = None
    if boundary is not None:
        shape = _shape(boundary)
        _set_boundary(geogroup, boundary, shape)
    geogroup.save()
    if shape is not None:
        refresh_memberships(geogroup, shape)
    return geogroup


def delete_geogroup(geogroup: GeoGroup) -> None:
    geogroup.delete()


def refresh_memberships(geogroup: GeoGroup, shape: Shape) -> None:
    """Recompute which trackers are inside after the boundary changed.

    A boundary edit moves no tracker, so it produces no enter/leave events; it only changes
    what "inside" answers from now on."""
    candidates = (
        Tracker.objects.for_company(geogroup.company)
        .filter(box_q(shape.box()), latitude__isnull=False, longitude__isnull=False)
        .values_list("pk", "latitude", "longitude")
    )
    inside = {
        pk for pk, lat, lon in candidates.iterator(chunk_size=5000) if shape.contains(lat, lon)
    }
    current = set(
        GeoMembership.objects.filter(geogroup=geogroup).values_list("tracker_id", flat=True)
    )
    gone = current - inside
    if gone:
        GeoMembership.objects.filter(geogroup=geogroup, tracker_id__in=gone).delete()
    now = timezone.now()
    GeoMembership.objects.bulk_create(
        [GeoMembership(geogroup=geogroup, tracker_id=pk, since=now) for pk in inside - current],
        batch_size=2000,
    )


# Events --------------------------------------------------------------------------------------


def record_events(
    company: Company, events: Sequence[ParsedEvent], *, now: datetime | None = None
) -> list[Outcome]:
    """De-duplicate and store validated tracker events (``validation.build_event``); move
    trackers and keep their geo group membership current, with an enter/leave event for every
    geo group boundary crossed. Each event's outcome, indexed by its position in ``events``.

    Every event is judged on its own (its tracker known); new events are stored in one
    transaction with the tracker updates they cause. Events older than a tracker's latest are
    stored but change nothing about its state."""
    now = now or timezone.now()
    outcomes: dict[int, Outcome] = {}
    parsed: dict[int, ParsedEvent] = dict(enumerate(events))

    ensure_trackers(company)
    imeis = {event.imei for event in parsed.values()}
    tracker_ids = _tracker_ids(company, imeis)
    if imeis - tracker_ids.keys() and _create_missing_trackers(
        company, imei__in=imeis - tracker_ids.keys()
    ):
        tracker_ids = _tracker_ids(company, imeis)
    for index, event in list(parsed.items()):
        if event.imei not in tracker_ids:
            outcomes[index] = Outcome(index, "error", errors={"imei": "unknown tracker"})
            del parsed[index]

    if parsed:
        with transaction.atomic():
            _store_events(company, parsed, tracker_ids, outcomes, now)
    return [outcomes[i] for i in sorted(outcomes)]


def _tracker_ids(company: Company, imeis: set[str]) -> dict[str, int]:
    return dict(
        Tracker.objects.for_company(company)
        .filter(device__imei__in=imeis)
        .values_list("device__imei", "pk")
    )


def _store_events(company, parsed, tracker_ids, outcomes, now) -> None:
    trackers = {
        t.pk: t
        for t in Tracker.objects.select_for_update()
        .filter(pk__in={tracker_ids[e.imei] for e in parsed.values()})
        .order_by("pk")
    }
    keys = {e.dedupe_key for e in parsed.values()}
    existing = {
        (tracker_id, key): pk
        for tracker_id, key, pk in TrackerEvent.objects.filter(
            tracker_id__in=trackers, dedupe_key__in=keys
        ).values_list("tracker_id", "dedupe_key", "pk")
    }
    new: list[tuple[int, TrackerEvent]] = []
    seen: dict[tuple[int, str], int] = {}
    for index, event in parsed.items():
        tracker_id = tracker_ids[event.imei]
        key = (tracker_id, event.dedupe_key)
        if key in existing:
            outcomes[index] = Outcome(index, "duplicate", id=existing[key])
            continue
        if key in seen:  # the same event twice in one batch: the first one counts
            outcomes[index] = Outcome(index, "duplicate")
            continue
        seen[key] = index
        new.append(
            (
                index,
                TrackerEvent(
                    company=company,
                    tracker_id=tracker_id,
                    type=event.type,
                    timestamp=event.timestamp,
                    created_at=now,
                    latitude=event.latitude,
                    longitude=event.longitude,
                    accuracy=event.accuracy,
                    temperature=event.temperature,
                    shock=event.shock,
                    battery=event.battery,
                    sender_id=event.sender_id,
                    dedupe_key=event.dedupe_key,
                ),
            )
        )
    stored = _insert(new, outcomes)
    # In-batch copies point at the stored original.
    for index, event in parsed.items():
        outcome = outcomes[index]
        if outcome.status == "duplicate" and outcome.id is None:
            first = seen.get((tracker_ids[event.imei], event.dedupe_key))
            if first is not None:
                outcome.id = outcomes[first].id
    if stored:
        _apply(company, trackers, stored, now)


def _insert(new: list[tuple[int, TrackerEvent]], outcomes: dict[int, Outcome]):
    """Insert the new events; one stored concurrently by another request is a duplicate."""
    rows = [event for _, event in new]
    try:
        with transaction.atomic():
            TrackerEvent.objects.bulk_create(rows, batch_size=1000)
    except IntegrityError:
        stored = []
        for index, event in new:
            try:
                with transaction.atomic():
                    event.save()
            except IntegrityError:
                twin = TrackerEvent.objects.filter(
                    tracker_id=event.tracker_id, dedupe_key=event.dedupe_key
                ).values_list("pk", flat=True)
                outcomes[index] = Outcome(index, "duplicate", id=twin.first())
            else:
                outcomes[index] = Outcome(index, "created", id=event.pk)
                stored.append(event)
        return stored
    for index, event in new:
        outcomes[index] = Outcome(index, "created", id=event.pk)
    return rows


def _apply(company, trackers: dict[int, Tracker], events: list[TrackerEvent], now) -> None:
    """Move each tracker along its new events in time order."""
    by_tracker: dict[int, list[TrackerEvent]] = defaultdict(list)
    for event in events:
        by_tracker[event.tracker_id].append(event)
    positioned = [pk for pk, evs in by_tracker.items() if any(e.latitude is not None for e in evs)]
    shapes, before = _geo_state(company, positioned)
    after = {pk: set(before[pk]) for pk in positioned}

    crossings: list[TrackerEvent] = []
    for tracker_id, evs in by_tracker.items():
        tracker = trackers[tracker_id]
        for event in sorted(evs, key=lambda e: (e.timestamp, e.pk)):
            position = _advance(tracker, event, now)
            if position is None:
                continue
            inside = {pk for pk, shape in shapes.items() if shape.contains(*position)}
            crossings += _crossings(company, event, after[tracker_id], inside, now)
            after[tracker_id] = inside

    _save_trackers([trackers[pk] for pk in by_tracker], now)
    _save_memberships(positioned, before, after, now)
    if crossings:
        TrackerEvent.objects.bulk_create(crossings, batch_size=1000)


def _geo_state(company, positioned: list[int]) -> tuple[dict[int, Shape], dict[int, set[int]]]:
    """The company's geo group shapes, and the groups each positioned tracker is in now; both
    empty when no event has a position (nothing to ask the database)."""
    shapes: dict[int, Shape] = {}
    before: dict[int, set[int]] = defaultdict(set)
    if positioned:
        for geogroup in GeoGroup.objects.for_company(company):
            shapes[geogroup.pk] = shape_of(geogroup)
        for tracker_id, geogroup_id in GeoMembership.objects.filter(
            tracker_id__in=positioned
        ).values_list("tracker_id", "geogroup_id"):
            before[tracker_id].add(geogroup_id)
    return shapes, before


def _advance(tracker: Tracker, event: TrackerEvent, now) -> tuple[float, float] | None:
    """Apply one event to its tracker (in memory); the position it moved the tracker to, if it
    is not older than the tracker's last event and reports one."""
    if tracker.last_event_timestamp and event.timestamp < tracker.last_event_timestamp:
        return None
    tracker.last_event_timestamp = event.timestamp
    tracker.last_event_created_at = now
    if event.battery is not None:
        tracker.battery = event.battery
    if event.temperature is not None:
        tracker.temperature = event.temperature
    if event.type == EventType.FAULT:
        tracker.fault = True
    elif event.type == EventType.FAULT_CLEARED:
        tracker.fault = False
    if event.latitude is None or event.longitude is None:  # validation sends both or neither
        return None
    tracker.latitude, tracker.longitude = event.latitude, event.longitude
    tracker.accuracy = event.accuracy
    return event.latitude, event.longitude


def _crossings(
    company, event: TrackerEvent, was: set[int], inside: set[int], now
) -> list[TrackerEvent]:
    """The geo group enter and leave events of a tracker that moved from the groups ``was`` to
    the groups ``inside`` with ``event``."""
    return [
        TrackerEvent(
            company=company,
            tracker_id=event.tracker_id,
            type=kind,
            timestamp=event.timestamp,
            created_at=now,
            latitude=event.latitude,
            longitude=event.longitude,
            accuracy=event.accuracy,
            geogroup_id=geogroup_id,
            dedupe_key=f"geo:{kind}:{geogroup_id}:{event.pk}",
        )
        for geogroup_id, kind in [
            *((g, EventType.GEOGROUP_ENTER) for g in sorted(inside - was)),
            *((g, EventType.GEOGROUP_LEAVE) for g in sorted(was - inside)),
        ]
    ]


def _save_trackers(touched: list[Tracker], now) -> None:
    """Write the trackers' new state; the shared device row follows too, so other dialects see
    position and fault."""
    for tracker in touched:
        tracker.modified_at = now
    Tracker.objects.bulk_update(
        touched,
        [
            "latitude",
            "longitude",
            "accuracy",
            "fault",
            "battery",
            "temperature",
            "last_event_timestamp",
            "last_event_created_at",
            "modified_at",
        ],
        batch_size=500,
    )
    devices = [
        Device(
            pk=t.device_id,
            latitude=t.latitude,
            longitude=t.longitude,
            fault=t.fault,
        )
        for t in touched
    ]
    Device.objects.bulk_update(devices, ["latitude", "longitude", "fault"], batch_size=500)


def _save_memberships(
    positioned: list[int], before: dict[int, set[int]], after: dict[int, set[int]], now
) -> None:
    """Leave the geo groups a tracker left, join those it entered."""
    for tracker_id in positioned:
        left = before[tracker_id] - after[tracker_id]
        entered = after[tracker_id] - before[tracker_id]
        if left:
            GeoMembership.objects.filter(tracker_id=tracker_id, geogroup_id__in=left).delete()
        GeoMembership.objects.bulk_create(
            [GeoMembership(geogroup_id=g, tracker_id=tracker_id, since=now) for g in entered]
        )
