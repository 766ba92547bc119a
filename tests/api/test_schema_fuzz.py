"""schemathesis against the OpenAPI schema: no 5xx, every status and body as documented (bounded: ten
examples per operation; once with a role that passes each route's check, once as a supervisor for
the object-level paths)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eggwatch.migrations import upgrade
from tests.api.conftest import Api, make_api


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'w.db'}"
    upgrade(url)
    a = make_api(url, tmp, f"t{uuid.uuid4().hex[:10]}")
    with a.client:
        yield a
    a.store.close()


def role_for(path: str) -> str:
    if path.startswith(("/api/v1/users", "/api/v1/audit")):
        return "admin"
    if any(k in path for k in ("unmask", "payroll", "dividends")):
        return "payroll"
    return "manager"


def fuzz(client: TestClient, operation, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case) -> None:  # type: ignore[no-untyped-def]
        # Sent through the app's own TestClient (httpx): schemathesis' requests transport is not
        # usable with the urllib3 fork installed here.
        kw: dict[str, object] = {"params": case.query, "headers": {**(case.headers or {}), **headers}}
        if case.body is not None and not isinstance(case.body, NotSet):
            if case.media_type == "application/x-www-form-urlencoded":
                kw["data"] = case.body
            else:
                kw["json"] = case.body
        response = client.request(case.method, case.formatted_path, **kw)  # type: ignore[arg-type]
        case.validate_response(
            response,
            checks=[
                not_a_server_error,
                status_code_conformance,  # every status answered is in /openapi.json (api/openapi.py)
                response_schema_conformance,
                content_type_conformance,
            ],
        )

    check()


@pytest.mark.parametrize("as_supervisor", [False, True], ids=["privileged", "supervisor"])
def test_no_server_errors(fuzz_api: Api, as_supervisor: bool) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_api.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # an operation the schema could not describe
        operation = result.ok()
        operations += 1
        role = "supervisor" if as_supervisor else role_for(operation.path)
        headers = {"Authorization": f"Bearer {fuzz_api.tokens[role]}"}
        try:
            fuzz(fuzz_api.client, operation, headers)
        except Exception as exc:  # collect all, report together
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    assert operations > 30
    assert not failures, "\n\n".join(failures)
