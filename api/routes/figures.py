"""A house's production figures for a window: eggs per row, hour and local day, hens, hen-day %,
water and feed per hen, each against the breed standard (``analytics.figures``: the query layer
the detector and the web page read through, on InfluxDB or the embedded store alike)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from analytics.figures import house_figures
from api.deps import SessionDep, StoreDep, check_unit, require_roles
from api.models import User
from api.schemas.common import Aware, Unit
from api.schemas.figures import HouseFiguresOut

router = APIRouter(prefix="/figures", tags=["figures"])
Reader = Annotated[User, require_roles("manager", "supervisor")]
MAX_DAYS = 62  # an hourly frame of every row: two months is what a page or a report reads


@router.get("/{unit}", response_model=HouseFiguresOut, responses={400: {}, 404: {}, 503: {}})
def figures_of_house(
    unit: Unit,
    request: Request,
    session: SessionDep,
    store: StoreDep,
    user: Reader,
    start: Annotated[Aware, Query(description="window start, on the hour (rounded down)")],
    end: Annotated[Aware, Query(description="window end, exclusive (rounded down to the hour)")],
) -> dict[str, Any]:
    if not 3600 <= (end - start).total_seconds() <= MAX_DAYS * 86400:
        raise HTTPException(400, f"the window must be from one hour to {MAX_DAYS} days")
    # Units first, then existence, with one text: another unit's house reads as missing.
    check_unit(session, user, unit, f"house {unit} not found")
    park = request.app.state.park
    house = park.house(unit) if park is not None else None
    if house is None:
        raise HTTPException(404, f"house {unit} not found")
    one = park.model_copy(update={"houses": (house,), "lines": ()})
    return house_figures(store, one, start, end)[0].to_json()
