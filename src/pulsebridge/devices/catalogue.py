"""The device catalogue named by the four documents (see MAPPINGS.md).

Seeded by data migrations through :func:`seed_catalogue`, which upserts by SKU so that a later
migration can add or amend models by calling it again."""

from __future__ import annotations

# (sku, name, kind, connectivity, sensor_code, pylo_device_type)
CATALOGUE: list[tuple[str, str, str, str, str, str]] = [
    ("PY-802-LTE", "Pylo BP (cellular)", "blood_pressure", "cellular", "", "PyloBp"),
    ("PY-300-LTE", "Pylo scale (cellular)", "weight", "cellular", "", "PyloWt"),
    ("PY-GL1-LTE", "Pylo glucometer (cellular)", "glucose", "cellular", "", "PyloGlucose"),
    (
        "PY-OX1-LTE",
        "Pylo pulse oximeter (cellular)",
        "pulse_oximetry",
        "cellular",
        "",
        "PyloPulseOx",
    ),
    ("TENOVI-GW", "Gateway", "gateway", "cellular", "", "Gateway"),
    ("TENOVI-BPM-S", "Tenovi BPM - S", "blood_pressure", "gateway", "10", "Tenovi BPM - S"),
    ("TENOVI-BPM-L", "Tenovi BPM - L", "blood_pressure", "gateway", "10", "Tenovi BPM - L"),
    ("OMRON-BPM", "Omron BPM", "blood_pressure", "gateway", "10", "Omron BPM"),
    ("OMRON-WRIST-BPM", "Omron Wrist BPM", "blood_pressure", "gateway", "10", "Omron Wrist BPM"),
    ("TENOVI-PULSE-OX", "Tenovi Pulse Ox", "pulse_oximetry", "gateway", "11", "Tenovi Pulse Ox"),
    ("TENOVI-GLUCOMETER", "Tenovi Glucometer", "glucose", "gateway", "12", "Tenovi Glucometer"),
    (
        "TRIVIDIA-GLUCOMETER",
        "Trividia Glucometer",
        "glucose",
        "gateway",
        "12",
        "Trividia Glucometer",
    ),
    ("TENOVI-SCALE", "Tenovi Scale", "weight", "gateway", "13", "Tenovi Scale"),
    (
        "TENOVI-THERMOMETER",
        "Tenovi Thermometer",
        "temperature",
        "gateway",
        "14",
        "Tenovi Thermometer",
    ),
    (
        "TENOVI-PEAK-FLOW",
        "Tenovi Peak Flow Meter",
        "peak_flow",
        "gateway",
        "17",
        "Tenovi Peak Flow Meter",
    ),
    ("TENOVI-PILLBOX", "Tenovi Pillbox", "pillbox", "gateway", "21", "Tenovi Pillbox"),
    (
        "TENOVI-CELL-BPM-S",
        "Tenovi Cellular BPM - S",
        "blood_pressure",
        "cellular",
        "",
        "Tenovi Cellular BPM - S",
    ),
    (
        "TENOVI-CELL-BPM-L",
        "Tenovi Cellular BPM - L",
        "blood_pressure",
        "cellular",
        "",
        "Tenovi Cellular BPM - L",
    ),
    (
        "TENOVI-CELL-GLUCOMETER",
        "Tenovi Cellular Glucometer",
        "glucose",
        "cellular",
        "",
        "Tenovi Cellular Glucometer",
    ),
    (
        "TENOVI-CELL-SCALE",
        "Tenovi Cellular Scale",
        "weight",
        "cellular",
        "",
        "Tenovi Cellular Scale",
    ),
    ("TELERPM-BPM", "TeleRPM BPM", "blood_pressure", "cellular", "", "TeleRPM BPM"),
    ("TELERPM-SCALE", "TeleRPM Scale", "weight", "cellular", "", "TeleRPM Scale"),
    ("PING-TRACKER", "Asset tracker", "asset_tracker", "tracker", "", "Asset tracker"),
]


def normalise_name(name: str) -> str:
    """The Tenovi document writes an en dash where real responses use a hyphen."""
    return " ".join(name.replace("\u2013", "-").replace("\u2014", "-").split())


def seed_catalogue(apps, schema_editor) -> None:
    DeviceModel = apps.get_model("devices", "DeviceModel")
    for sku, name, kind, connectivity, sensor_code, pylo_type in CATALOGUE:
        DeviceModel.objects.update_or_create(
            sku=sku,
            defaults={
                "name": name,
                "kind": kind,
                "connectivity": connectivity,
                "sensor_code": sensor_code,
                "pylo_device_type": pylo_type,
            },
        )
