"""The workforce API under /api/v1: one router per resource."""

from fastapi import APIRouter

from api.routes import (
    audit,
    auth,
    dividends,
    figures,
    households,
    payroll,
    places,
    production,
    reports,
    rules,
    shifts,
    users,
    workers,
)

api_router = APIRouter(prefix="/api/v1")
for _module in (
    auth,
    users,
    households,
    workers,
    places,
    shifts,
    rules,
    payroll,
    dividends,
    reports,
    production,
    figures,
    audit,
):
    api_router.include_router(_module.router)
