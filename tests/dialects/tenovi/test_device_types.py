"""GET hwi/hwi-device-types/ and hwi/hwi-device-types/{id}/."""

import uuid

from pulsebridge.devices.models import DeviceModel

# The Swagger's fields of a device type, and the catalogue's SKU, modules and supply types
TYPE_FIELDS = {
    "id", "name", "client_sku", "stock_type", "metrics", "sensor_code", "image", "up_front_cost",
    "shipping_cost", "monthly_cost", "sensor_id_required", "in_stock", "virtual", "deprecated",
    "sku", "modules", "supply_types",
}  # fmt: skip
METRIC_FIELDS = {
    "id": int,
    "name": str,
    "is_vital": bool,
    "primary_display_name": str,
    "primary_units": str,
    "secondary_display_name": str,
    "secondary_units": str,
    "unified_display_name": str,
    "type": type(None),
    "time_series_data": bool,
}
# The guide's table: name -> sensor code ("" for the direct-cellular devices)
GUIDE = {
    "Tenovi BPM - S": "10",
    "Tenovi BPM - L": "10",
    "Omron BPM": "10",
    "Omron Wrist BPM": "10",
    "Tenovi Pulse Ox": "11",
    "Tenovi Glucometer": "12",
    "Trividia Glucometer": "12",
    "Tenovi Scale": "13",
    "Tenovi Thermometer": "14",
    "Tenovi Peak Flow Meter": "17",
    "Tenovi Pillbox": "21",
    "Tenovi Cellular BPM - S": "",
    "Tenovi Cellular BPM - L": "",
    "Tenovi Cellular Glucometer": "",
    "Tenovi Cellular Scale": "",
    "TeleRPM BPM": "",
    "TeleRPM Scale": "",
}


def test_every_device_type_of_the_guide_is_listed_with_its_sku(tenovi):
    body = tenovi.get("hwi/hwi-device-types/").json()
    assert {t["name"]: t["sensor_code"] for t in body} == GUIDE
    for device_type in body:
        assert set(device_type) == TYPE_FIELDS
        assert uuid.UUID(device_type["id"])  # a UUID, as the Swagger declares it
        assert isinstance(device_type["sensor_code"], str)
        assert device_type["sku"] == DeviceModel.objects.get(name=device_type["name"]).sku
        assert device_type["modules"] == device_type["supply_types"] == []


def test_metrics_name_what_each_sensor_sends(tenovi):
    body = {t["name"]: t for t in tenovi.get("hwi/hwi-device-types/").json()}

    def names(device):
        return [m["name"] for m in body[device]["metrics"]]

    assert names("Tenovi BPM - L") == [
        "blood_pressure",
        "pulse",
        "irregular_heartbeat",
        "battery_percentage",
    ]
    assert names("Tenovi Pulse Ox")[:3] == ["spO2", "pulse", "perfusion_index"]
    assert names("Tenovi Glucometer")[0] == "glucose"
    assert names("Tenovi Scale")[0] == "weight"
    assert names("Tenovi Thermometer")[0] == "temperature"
    assert names("Tenovi Peak Flow Meter")[:2] == [
        "peak_expiratory_flow",
        "forced_expiratory_volume",
    ]
    assert names("Tenovi Pillbox")[:2] == ["pillbox_opened", "pillbox_refilled"]
    for metric in body["Tenovi BPM - L"]["metrics"]:
        assert set(metric) == set(METRIC_FIELDS)
        for name, kind in METRIC_FIELDS.items():
            assert isinstance(metric[name], kind), name
    bp = body["Tenovi BPM - L"]["metrics"][0]
    assert (bp["primary_units"], bp["secondary_units"], bp["is_vital"]) == ("mmHg", "mmHg", True)
    assert body["Tenovi Scale"]["metrics"][0]["primary_units"] == "lbs"


def test_one_device_type_is_read_by_its_id(tenovi):
    scale = next(
        t for t in tenovi.get("hwi/hwi-device-types/").json() if t["sku"] == "TENOVI-SCALE"
    )
    assert tenovi.get(f"hwi/hwi-device-types/{scale['id']}/").json() == scale


def test_a_device_type_is_read_by_the_row_number_answered_before_too(tenovi):
    scale = DeviceModel.objects.get(sku="TENOVI-SCALE")
    assert tenovi.get(f"hwi/hwi-device-types/{scale.pk}/").json()["sku"] == "TENOVI-SCALE"


def test_a_catalogue_model_that_is_no_tenovi_device_type_is_404(tenovi):
    from pulsebridge.dialects.tenovi.wire import device_type_id

    pylo = DeviceModel.objects.get(sku="PY-802-LTE")
    assert tenovi.get(f"hwi/hwi-device-types/{pylo.pk}/").status_code == 404
    assert tenovi.get(f"hwi/hwi-device-types/{device_type_id(pylo)}/").status_code == 404


def test_device_types_page_like_every_list(tenovi):
    body = tenovi.get("hwi/hwi-device-types/?page=1&page_size=5").json()
    assert body["count"] == len(GUIDE)
    assert len(body["results"]) == 5
