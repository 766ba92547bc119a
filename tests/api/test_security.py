"""Regression tests for the security review: no input echoed in 422s, no national ID in the access
log, formula-safe exports, an atomic login limit, uniform 404s for supervisors, token ids in
range, weak secrets, user names and passwords, strict types, no-store on secrets."""

from __future__ import annotations

import logging

import pytest

from api.logs import RedactQuery, install_access_log_filter, redact_query
from api.national_id import check_char
from tests.api.conftest import Api
from tests.api.test_resources import household

NID = "11010519491231002X"  # the GB 11643 example
NID2 = "62052519900101123" + check_char("62052519900101123")

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _no_echo(body: dict, *secrets: str) -> None:  # type: ignore[type-arg]
    text = str(body)
    for s in secrets:
        assert s not in text, body
    for err in body["detail"]:
        assert set(err) == {"loc", "msg", "type"}, err


# -- 1. validation errors echo nothing; the national ID stays out of URLs and logs -------------


@SQLITE
def test_validation_errors_do_not_echo_input(api: Api) -> None:
    hid = household(api)
    r = api.post("manager", "/api/v1/workers", json={"national_id": NID, "household_id": hid})
    assert r.status_code == 422
    _no_echo(r.json(), NID)
    assert r.json()["detail"] == [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]
    # The reason is kept: a bad checksum says so, without the number.
    bad = NID[:17] + "1"
    r = api.post("manager", "/api/v1/workers", json={"name": "x", "national_id": bad, "household_id": hid})
    assert r.status_code == 422 and "checksum" in r.text
    _no_echo(r.json(), bad)
    # An unknown field names the field, not its value.
    wid = api.ok(
        "manager", "POST", "/api/v1/workers", json={"name": "x", "national_id": NID, "household_id": hid}
    )["id"]
    r = api.client.patch(
        f"/api/v1/workers/{wid}", headers=api.as_("manager"), json={"national_id": NID2, "phone": "1"}
    )
    assert r.status_code == 422
    _no_echo(r.json(), NID2)
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {("body", "national_id"), ("body", "phone")}
    # A user without a role: the password is not sent back.
    r = api.post("admin", "/api/v1/users", json={"username": "newbie", "password": "S3cret-pass-word"})
    assert r.status_code == 422
    _no_echo(r.json(), "S3cret-pass-word")
    # Broken JSON and form logins with a missing field: the same shape.
    r = api.client.post(
        "/api/v1/households",
        headers={**api.as_("manager"), "Content-Type": "application/json"},
        content=b"{x",
    )
    assert r.status_code == 422
    _no_echo(r.json())
    r = api.client.post("/api/v1/auth/token", data={"username": "admin"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "password"]
    # The OpenAPI schema still describes the 422 body (loc, msg, type are its required fields).
    err = api.client.get("/openapi.json").json()["components"]["schemas"]["ValidationError"]
    assert {"loc", "msg", "type"} <= set(err["required"])


@SQLITE
def test_lookup_by_national_id_in_the_body(api: Api) -> None:
    hid = household(api)
    wid = api.ok(
        "manager", "POST", "/api/v1/workers", json={"name": "x", "national_id": NID, "household_id": hid}
    )["id"]
    for role in ("manager", "supervisor", "payroll"):
        found = api.ok(role, "POST", "/api/v1/workers/lookup", json={"national_id": NID.lower()})
        assert found["total"] == 1 and found["items"][0]["id"] == wid and NID not in str(found)
    assert api.ok("manager", "POST", "/api/v1/workers/lookup", json={"national_id": NID2})["total"] == 0
    r = api.post("manager", "/api/v1/workers/lookup", json={"national_id": NID[:17] + "1"})
    assert r.status_code == 422 and "checksum" in r.text
    assert api.post("poverty_office", "/api/v1/workers/lookup", json={"national_id": NID}).status_code == 403
    # The GET filter still works (compatibility) and answers the same.
    assert api.get("manager", "/api/v1/workers", params={"national_id": NID}).json()["total"] == 1


def test_access_log_redacts_the_national_id() -> None:
    assert redact_query("/api/v1/workers?national_id=11010519491231002X&limit=5") == (
        "/api/v1/workers?national_id=[redacted]&limit=5"
    )
    assert redact_query("/api/v1/workers?limit=5&national%5Fid=11010519491231002X") == (
        "/api/v1/workers?limit=5&national%5Fid=[redacted]"
    )
    assert redact_query("/api/v1/workers?name=national_id") == "/api/v1/workers?name=national_id"
    assert redact_query("/health") == "/health"


def test_access_log_filter_survives_uvicorn_logging_setup(caplog: pytest.LogCaptureFixture) -> None:
    """uvicorn configures logging when its Config is built: the filter must still be there, and
    a line formatted as uvicorn formats it must come out redacted."""
    import uvicorn

    install_access_log_filter()
    uvicorn.Config(lambda *a: None, log_level="info")  # runs uvicorn's dictConfig
    logger = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, RedactQuery) for f in logger.filters)
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.addHandler(caplog.handler)
        try:
            logger.info(
                '%s - "%s %s HTTP/%s" %d',
                "127.0.0.1:5",
                "GET",
                f"/api/v1/workers?national_id={NID}",
                "1.1",
                200,
            )
        finally:
            logger.removeHandler(caplog.handler)
    assert NID not in caplog.text and "national_id=[redacted]" in caplog.text
