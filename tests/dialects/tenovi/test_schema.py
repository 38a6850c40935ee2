def test_the_tenovi_openapi_schema_lists_every_path(client, db):
    response = client.get("/api/schema/tenovi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["servers"] == [{"url": "/tenovi"}]
    hwi = "/clients/{client_domain}/hwi/"
    assert {p for p in schema["paths"] if p.startswith(hwi)} == {
        f"{hwi}hwi-devices/",
        f"{hwi}hwi-devices/{{id}}/",
        f"{hwi}hwi-devices/{{hwi_device_id}}/properties/",
        f"{hwi}hwi-devices/{{hwi_device_id}}/properties/{{id}}/",
        f"{hwi}hwi-devices/{{hwi_device_id}}/measurements/",
        f"{hwi}unlink-gateway/{{id}}/",
        f"{hwi}hwi-device-types/",
        f"{hwi}hwi-device-types/{{id}}/",
        f"{hwi}patients/{{patient_external_id}}/measurements/",
        f"{hwi}hwi-patients/",
        f"{hwi}hwi-patients/{{external_id__iexact}}/",
        f"{hwi}hwi-gateways/",
        f"{hwi}hwi-gateways/{{gateway_uuid__iexact}}/",
        f"{hwi}gateway-info/{{gateway_uuid__iexact}}/",
        f"{hwi}hardware-uuid-logs/",
        f"{hwi}hwi-bulk-orders/",
        f"{hwi}hwi-bulk-orders/{{id}}/",
        f"{hwi}test-webhooks/",
        f"{hwi}resend-webhooks/",
        f"{hwi}hwi-replacements/",
        f"{hwi}hwi-replacements/{{id}}/",
        f"{hwi}webhooks/",
        f"{hwi}webhooks/{{id}}/",
    }
    assert schema["components"]["securitySchemes"]["apiKey"]["name"] == "Authorization"
