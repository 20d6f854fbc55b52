"""`/yourls-api.php`: YOURLS's API, GET or form POST, parameters in the query or the body."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import text

from shorturl.accounts.keys import hash_api_key, looks_like_api_key
from shorturl.accounts.principal import ANONYMOUS, Principal
from shorturl.errors import AppError
from shorturl.links.dependencies import LinkServiceDep
from shorturl.ratelimit.api import consume, ensure_room
from shorturl.ratelimit.plans import Bucket
from shorturl.storage.db import SessionDep
from shorturl.yourls.auth import NotAuthenticated, authenticate, signature_token
from shorturl.yourls.formats import Answer, render
from shorturl.yourls.service import YourlsService

__all__ = ["router"]

router = APIRouter(tags=["YOURLS API"])

_BUCKETS: dict[str, Bucket] = {
    "shorturl": "create",
    "url-stats": "analytics",
    "stats": "analytics",
    "db-stats": "analytics",
}


async def _params(request: Request) -> dict[str, str]:
    """Query and form parameters (the form's win, as in PHP's `$_REQUEST`)."""
    params = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


@router.get("/yourls-api.php", response_class=Response, operation_id="yourls_api_get")
@router.post("/yourls-api.php", response_class=Response, operation_id="yourls_api_post")
async def yourls_api(request: Request, session: SessionDep, links: LinkServiceDep) -> Response:
    """YOURLS actions `shorturl`, `expand`, `url-stats`, `stats`, `db-stats`, `version` (and
    `signature-token`), authenticated on every call; `format` json (default), xml, jsonp
    or simple."""
    params = await _params(request)
    fmt, callback = params.get("format"), params.get("callback") or params.get("jsonp")
    action = params.get("action", "").strip()
    bucket = _BUCKETS.get(action, "api")
    try:
        signature = params.get("signature", "").strip()
        if signature and not looks_like_api_key(signature):
            # a token signature tries every key's token: refuse first if this address is
            # already past its limit (its failures count there)
            await ensure_room(request, ANONYMOUS, bucket)
        principal = await authenticate(request, params, session)
    except NotAuthenticated as failure:
        body = {"message": failure.message, "errorCode": "403", "callback": callback or ""}
        try:
            await consume(request, ANONYMOUS, bucket)
        except AppError as error:
            return render(YourlsService.error(error), fmt, callback)
        return render(Answer(body, failure.message), fmt, callback)
    except AppError as error:  # the address's limit, or the login throttle
        return render(YourlsService.error(error), fmt, callback)
    try:
        await consume(request, principal, bucket)
        answer = await _run(request, session, YourlsService(links), principal, action, params)
    except AppError as error:
        answer = YourlsService.error(error)
    return render(answer, fmt, callback)


async def _run(
    request: Request,
    session: SessionDep,
    yourls: YourlsService,
    principal: Principal,
    action: str,
    params: dict[str, str],
) -> Answer:
    if action == "shorturl":
        return await yourls.shorturl(session, principal, params)
    if action == "expand":
        return await yourls.expand(session, principal, params)
    if action == "url-stats":
        return await yourls.url_stats(session, principal, params)
    if action == "stats":
        return await yourls.stats(session, principal, params)
    if action == "db-stats":
        return await yourls.db_stats(session, principal)
    if action == "version":
        db_version = None
        if params.get("db") == "1":
            db_version = await session.scalar(text("SELECT version_num FROM alembic_version"))
        return yourls.version(db_version)
    if action == "signature-token":
        return await _signature_token(request, params)
    message = 'Unknown or missing "action" parameter'
    return Answer({"errorCode": "400", "message": message}, message)


async def _signature_token(request: Request, params: dict[str, str]) -> Answer:
    """The token to sign timestamped requests with, for the API key given as `signature`."""
    key = params.get("signature", "").strip()
    if params.get("timestamp") or not looks_like_api_key(key):
        message = "Send the API key itself as signature=… to get its signature token"
        return Answer({"errorCode": "400", "message": message}, message)
    token = signature_token(hash_api_key(key), request.app.state.runtime.secret_key)
    return Answer({"signature_token": token, "statusCode": 200, "message": "success"}, token)
