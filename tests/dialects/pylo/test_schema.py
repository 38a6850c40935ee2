def test_the_pylo_openapi_schema_lists_every_documented_path(client, db):
    response = client.get("/api/schema/pylo.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["servers"] == [{"url": "/pylo"}]
    assert set(schema["paths"]) == {"/devices", "/readings", "/orders", "/orders/{number}/cancel"}
    assert schema["components"]["securitySchemes"]["apiKey"]["name"] == "x-api-key"
