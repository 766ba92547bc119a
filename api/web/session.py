"""The page's login session: the API's bearer token kept in an HttpOnly, SameSite=Strict cookie.

The script logs in with ``POST /api/v1/auth/token`` as any API client does, then hands the token
to ``POST /web/session`` (``Authorization: Bearer``) which stores it in a cookie the script cannot
read.  Every render of ``/`` checks that cookie with the API's own check (:func:`get_current_user`:
signature, expiry, user still active), so the page shows park data exactly when the API would.
The JSON API itself never reads the cookie: it still needs ``Authorization: Bearer``, so the cookie
cannot be used to act (no CSRF surface).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from api.deps import ConfigDep, KeysDep, SessionDep, get_current_user, oauth2_scheme
from api.models import User

router = APIRouter(include_in_schema=False)

# Over https the cookie gets the __Host- prefix: the browser then insists on Secure, Path=/ and no
# Domain, so neither plain http nor a sibling subdomain can plant or overwrite it.
COOKIE = "eggwatch_session"
SECURE_COOKIE = "__Host-eggwatch_session"


def _is_https(request: Request) -> bool:
    # uvicorn rewrites the scheme from X-Forwarded-Proto for trusted proxies (--forwarded-allow-ips).
    return request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    return SECURE_COOKIE if _is_https(request) else COOKIE


def page_user(request: Request, session: SessionDep, keys: KeysDep) -> User | None:
    """The user of the session cookie, checked as the API checks bearer tokens; ``None`` if not valid."""
    token = request.cookies.get(cookie_name(request))
    if not token:
        return None
    try:
        return get_current_user(session, keys, token)
    except HTTPException:
        return None


PageUser = Annotated[User | None, Depends(page_user)]


def forget(request: Request, response: Response) -> None:
    """Tell the browser to drop the session cookie (logout, or a cookie that no longer passes)."""
    response.delete_cookie(
        cookie_name(request), path="/", secure=_is_https(request), httponly=True, samesite="strict"
    )


@router.post(
    "/web/session",
    status_code=status.HTTP_204_NO_CONTENT,
    # the bearer token must be valid and its user active (the API's own check), else 401
    dependencies=[Depends(get_current_user)],
    responses={401: {}},
)
def open_session(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    config: ConfigDep,
) -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        cookie_name(request),
        token or "",
        max_age=config.token_ttl_minutes * 60,  # about the token's life; its expiry is checked anyway
        path="/",
        secure=_is_https(request),
        httponly=True,
        samesite="strict",
    )
    return response


@router.delete("/web/session", status_code=status.HTTP_204_NO_CONTENT)
def close_session(request: Request) -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT, headers={"Cache-Control": "no-store"})
    forget(request, response)
    return response
