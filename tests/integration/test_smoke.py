async def test_healthz(client):
    resp = await client.get("/healthz")
    assert resp.status == 200
