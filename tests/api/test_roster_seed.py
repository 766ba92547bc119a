"""Demo seeding and alert routing: the supervisor of a unit is found only while on shift."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from api import national_id
from api.models import Worker
from api.roster import supervisors_of, supervisors_on_shift
from api.security import Keys
from api.services.seed import seed_demo_logins, seed_demo_workforce
from eggwatch.migrations import upgrade
from eggwatch.park import House, Line, Park
from eggwatch.sql import make_engine, make_sessionmaker


def test_seed_and_supervisor_on_shift(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    park = Park(houses=(House(unit="house-01", placed=dt.date(2026, 1, 1), hens_placed=50_000),),
                lines=(Line(unit="packing-1"),))  # fmt: skip
    keys = Keys.from_secret(b"s" * 40)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        summary = seed_demo_workforce(s, park, dt.date(2026, 10, 1), dt.date(2026, 11, 15), 3, keys=keys,
                                      households=20, workers=30)  # fmt: skip
        assert (summary.households, summary.workers) == (20, 30) and summary.shifts > 500
        assert summary.payroll_run_id is not None
        seed_demo_logins(s, "demo-password-1", summary.supervisors)
        for w in s.query(Worker):
            nid = keys.unseal(w.national_id_enc, w.id, "national_id_enc")
            assert national_id.normalize(nid).startswith("6205")
        # Supervisors work 07:00-15:00 local (23:00-07:00 UTC) five days a week.
        on = [
            supervisors_on_shift(s, "house-01", dt.datetime(2026, 11, d, 2, 0, tzinfo=dt.UTC))
            for d in range(2, 9)
        ]
        assert sum(1 for x in on if x) == 5 and all(c.username == "sup-house-01" for x in on for c in x)
        assert supervisors_on_shift(s, "house-01", dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)) == []
        assert supervisors_on_shift(s, "packing-1", dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC)) == []
        assert [c.username for c in supervisors_of(s, "house-01")] == ["sup-house-01"]
    engine.dispose()
