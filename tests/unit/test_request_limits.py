"""The request caps on their own: a URL past the cap is a 414, a body past it a 413, declared or not."""

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from lorecache.api.limits import RequestLimits

app = FastAPI()
app.add_middleware(RequestLimits, max_url_bytes=100, max_body_bytes=16)


@app.api_route("/echo", methods=["GET", "POST"])
async def echo(request: Request) -> dict[str, int]:
    return {"bytes": len(await request.body())}


client = TestClient(app)


def test_requests_within_the_caps_pass() -> None:
    assert client.post("/echo", content=b"x" * 16).json() == {"bytes": 16}
    assert client.get("/echo", params={"q": "x" * 80}).status_code == 200


def test_a_long_url_is_414() -> None:
    response = client.get("/echo", params={"q": "x" * 100})
    assert response.status_code == 414
    assert "at most 100" in response.json()["detail"]


def test_a_declared_large_body_is_413_before_it_is_read() -> None:
    response = client.post("/echo", content=b"x" * 17)
    assert response.status_code == 413
    assert "at most 16" in response.json()["detail"]


def test_a_streamed_large_body_is_413() -> None:
    response = client.post("/echo", content=iter([b"x" * 10, b"x" * 10]))
    assert response.status_code == 413
    assert "at most 16" in response.json()["detail"]
