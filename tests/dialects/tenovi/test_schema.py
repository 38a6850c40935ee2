def test_the_tenovi_openapi_schema_lists_every_path(client, db):
    response = client.get("/api/schema/tenovi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["servers"] == [{"url": "/tenovi"}]
    hwi = "/clients/{client_domain}/hwi/"
    assert {p for p in schema["paths"] if p.startswith(hwi)} == {
        f"{hwi}hwi-devices/",
        f"{hwi}hwi-devices/{{id}}/",
        f"{hwi}hwi-devices/{{id}}/properties/",
        f"{hwi}hwi-devices/{{id}}/properties/{{property_id}}/",
        f"{hwi}hwi-devices/{{id}}/measurements/",
        f"{hwi}unlink-gateway/{{id}}/",
        f"{hwi}hwi-device-types/",
        f"{hwi}hwi-device-types/{{id}}/",
        f"{hwi}patients/{{external_id}}/measurements/",
        f"{hwi}hwi-replacements/",
        f"{hwi}hwi-replacements/{{id}}/",
        f"{hwi}webhooks/",
        f"{hwi}webhooks/{{id}}/",
    }
    assert schema["components"]["securitySchemes"]["apiKey"]["name"] == "Authorization"
