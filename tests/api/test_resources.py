"""CONTRACTS §7 behaviour: creation, masking, unmasking with audit, overlaps, object-level checks,
report formats, production attribution."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from api.national_id import check_char, mask, normalize
from tests.api.conftest import Api, local

NID = "62052519900101123"
NID = NID + check_char(NID)


def household(api: Api, code: str = "H1", poor: bool = True) -> int:
    body = {"code": code, "village": "东关村", "township": "张家川镇", "members": 3, "registered_poor": poor}
    r = api.post("manager", "/api/v1/households", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_national_id_checksum() -> None:
    assert normalize("11010519491231002x") == "11010519491231002X"  # GB 11643 example
    assert mask("620525199001011236") == "620525********1236"
    for bad in ("110105194912310021", "11010519491331002X", "abc", "0" * 18):
        with pytest.raises(ValueError):
            normalize(bad)


def test_national_id_takes_ascii_digits_only(api: Api) -> None:
    # Python's \d also matches fullwidth and other scripts' digits, which int() reads: the same
    # person's number typed in fullwidth digits hashed differently and registered twice.
    fullwidth = NID[0] + "".join(chr(ord(c) + 0xFEE0) for c in NID[1:17]) + NID[17]
    with pytest.raises(ValueError):
        normalize(fullwidth)
    hid = household(api)
    ok = api.post("manager", "/api/v1/workers", json={"name": "a", "national_id": NID, "household_id": hid})
    assert ok.status_code == 201, ok.text
    r = api.post(
        "manager", "/api/v1/workers", json={"name": "b", "national_id": fullwidth, "household_id": hid}
    )
    assert r.status_code == 422, r.text


def test_households_and_workers_contract(api: Api) -> None:
    hid = household(api)
    r = api.post("manager", "/api/v1/workers", json={"name": "马小红", "national_id": NID, "household_id": hid,
                                                     "phone": "13912345678", "bank_account": "6228480012345678"})  # fmt: skip
    assert r.status_code == 201, r.text
    w = r.json()
    assert w["id"] > 0 and w["national_id"] == NID[:6] + "********" + NID[-4:]
    assert w["phone"] == "139****5678" and w["has_bank_account"] is True
    # Every role sees it masked; the raw number appears nowhere in any list.
    for role in ("admin", "manager", "supervisor", "payroll"):
        body = api.get(role, "/api/v1/workers").text
        assert NID not in body and NID[:6] + "********" in body
    # Duplicate ID number (keyed hash) → 409; bad checksum → 422; unknown household → 404.
    assert (
        api.post(
            "manager", "/api/v1/workers", json={"name": "x", "national_id": NID, "household_id": hid}
        ).status_code
        == 409
    )
    bad = NID[:17] + ("0" if NID[17] != "0" else "1")
    r = api.post("manager", "/api/v1/workers", json={"name": "x", "national_id": bad, "household_id": hid})
    assert r.status_code == 422 and "checksum" in r.text
    assert (
        api.post(
            "manager",
            "/api/v1/workers",
            json={
                "name": "x",
                "national_id": "620525199101011230"[:17] + check_char("62052519910101123"),
                "household_id": 999,
            },
        ).status_code
        == 404
    )
    # Lookup by the plain number goes through the keyed hash.
    found = api.get("payroll", "/api/v1/workers", params={"national_id": NID}).json()
    assert found["total"] == 1
    # Unmask: payroll only, with a reason, audited.
    assert (
        api.post("admin", f"/api/v1/workers/{w['id']}/unmask", json={"reason": "bank transfer"}).status_code
        == 403
    )
    r = api.post("payroll", f"/api/v1/workers/{w['id']}/unmask", json={"reason": "bank transfer"})
    assert (
        r.status_code == 200
        and r.json()["national_id"] == NID
        and r.json()["bank_account"] == "6228480012345678"
    )
    audit = api.get("admin", "/api/v1/audit", params={"action": "unmask"}).json()["items"]
    assert audit[0]["object_id"] == w["id"] and audit[0]["detail"] == "bank transfer"
    # Encrypted at rest: the plain number is not in the database file / rows.
    import sqlalchemy as sa

    eng = sa.create_engine(api.db_url.replace("postgresql://", "postgresql+psycopg://"))
    with eng.connect() as c:
        row = c.execute(sa.text("select national_id_enc, national_id_hash, phone_enc from workers")).one()
    eng.dispose()
    assert NID not in "".join(row) and "13912345678" not in "".join(row)


def test_pagination_and_filters(api: Api) -> None:
    for i in range(5):
        household(api, f"P{i}", poor=i % 2 == 0)
    page = api.get("poverty_office", "/api/v1/households", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 5 and [h["code"] for h in page["items"]] == ["P2", "P3"]
    assert api.get("manager", "/api/v1/households", params={"registered_poor": True}).json()["total"] == 3
    assert api.get("manager", "/api/v1/households", params={"limit": 0}).status_code == 422
    r = api.post(
        "manager",
        "/api/v1/households",
        json={"code": "P0", "village": "v", "township": "t", "members": 2, "registered_poor": False},
    )
    assert r.status_code == 409 and r.json() == {"detail": "conflicts with existing data"}


def _setup_units(api: Api) -> dict[str, int]:
    hid = household(api)
    ids = {
        "w": api.ok(
            "manager", "POST", "/api/v1/workers", json={"name": "A", "national_id": NID, "household_id": hid}
        )["id"]
    }
    for unit in ("house-01", "house-02"):
        ids[unit] = api.ok(
            "manager", "POST", "/api/v1/locations", json={"unit": unit, "kind": "house", "name": unit}
        )["id"]
    ids["collect"] = api.ok(
        "manager", "POST", "/api/v1/tasks", json={"code": "collect", "name": "c", "output": "eggs"}
    )["id"]
    return ids


def _shift(
    ids: dict[str, int], unit: str, start: str, end: str, entered: int | None = None
) -> dict[str, object]:
    return {"worker_id": ids["w"], "location_id": ids[unit], "task_id": ids["collect"],
            "start_at": local(start).isoformat(), "end_at": local(end).isoformat(), "entered_count": entered}  # fmt: skip


def test_shift_overlap_and_supervisor_units(api: Api) -> None:
    ids = _setup_units(api)
    # The supervisor oversees house-01 only.
    r = api.post(
        "supervisor", "/api/v1/shifts", json=_shift(ids, "house-01", "2026-03-02 22:00", "2026-03-03 06:00")
    )
    assert r.status_code == 201, r.text
    mine = r.json()["id"]
    clash = api.post(
        "manager", "/api/v1/shifts", json=_shift(ids, "house-02", "2026-03-03 05:00", "2026-03-03 09:00")
    )
    assert clash.status_code == 409 and "already has shift" in clash.json()["detail"]
    touching = api.post(
        "manager", "/api/v1/shifts", json=_shift(ids, "house-02", "2026-03-03 06:00", "2026-03-03 09:00")
    )
    assert touching.status_code == 201
    other = touching.json()["id"]
    assert (
        api.post(
            "supervisor",
            "/api/v1/shifts",
            json=_shift(ids, "house-02", "2026-03-04 06:00", "2026-03-04 09:00"),
        ).status_code
        == 404
    )
    assert api.get("supervisor", f"/api/v1/shifts/{other}").status_code == 404
    assert api.client.delete(f"/api/v1/shifts/{other}", headers=api.as_("supervisor")).status_code == 404
    seen = [s["id"] for s in api.get("supervisor", "/api/v1/shifts").json()["items"]]
    assert seen == [mine]
    assert len(api.get("manager", "/api/v1/shifts").json()["items"]) == 2
    window = {"start": local("2026-03-03 05:30").isoformat(), "end": local("2026-03-03 06:00").isoformat()}
    assert [s["id"] for s in api.get("manager", "/api/v1/shifts", params=window).json()["items"]] == [mine]
    bad = _shift(ids, "house-01", "2026-03-05 10:00", "2026-03-05 08:00")
    assert api.post("manager", "/api/v1/shifts", json=bad).status_code == 422
    naive = _shift(ids, "house-01", "2026-03-05 08:00", "2026-03-05 10:00") | {
        "start_at": "2026-03-05T08:00:00"
    }
    assert api.post("manager", "/api/v1/shifts", json=naive).status_code == 422


def test_production_attribution_and_flags(api: Api) -> None:
    from eggwatch.store.base import Point
    from eggwatch.wire import Reading

    ids = _setup_units(api)
    api.ok(
        "manager",
        "POST",
        "/api/v1/shifts",
        json=_shift(ids, "house-01", "2026-03-02 08:00", "2026-03-02 12:00", entered=900),
    )
    ms = lambda t: int(local(t).timestamp() * 1000)  # noqa: E731
    api.store.write([Point(api.park.site, "house-01", "ec-1", Reading(ms(t), "eggs_total", v, {"row": "02"}))
                     for t, v in (("2026-03-02 07:01", 5000), ("2026-03-02 11:01", 6000), ("2026-03-02 13:01", 6100))])  # fmt: skip
    r = api.get("supervisor", "/api/v1/production/house-01",
                params={"start": local("2026-03-02 00:00").isoformat(), "end": local("2026-03-03 00:00").isoformat()})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["eggs"] == 1100
    (s,) = body["shifts"]
    assert (s["machine_count"], s["entered_count"], s["flagged"]) == (1000, 900, True)
    assert api.get("supervisor", "/api/v1/production/house-02",
                   params={"start": local("2026-03-02 00:00").isoformat(), "end": local("2026-03-03 00:00").isoformat()}).status_code == 404  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_report_formats(api: Api) -> None:
    params = {"year": 2026, "by": "township"}
    r = api.get(
        "poverty_office", "/api/v1/reports/employment", params=params | {"format": "csv", "lang": "zh"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["月份", "乡镇"] and rows[-1][0] == "合计"
    r = api.get(
        "poverty_office", "/api/v1/reports/employment", params=params | {"format": "xlsx", "lang": "en"}
    )
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    assert ws["A1"].value == "Month" and ws.cell(ws.max_row, 1).value == "Total"
    assert (
        api.get(
            "poverty_office", "/api/v1/reports/employment", params={"year": 2026, "format": "pdf"}
        ).status_code
        == 422
    )
