"""Turning every error into its documented wire format, never FastAPI's 422 or a bare 500.

API v1 (and `/{code}/info`) answer with the seed-003 error envelope; Shlink's API (`/rest/`)
with problem+json; everything else (the seed-001 root API, the redirect) with
`{"error": message}`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shorturl.analytics.orphans import REGULAR_404
from shorturl.api.envelope import ErrorBody, ErrorEnvelope, meta_for
from shorturl.errors import (
    AppError,
    InternalError,
    LinkNotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from shorturl.shlink.problems import problem_response
from shorturl.storage.outage import is_outage

__all__ = ["install_error_handlers", "wants_envelope"]

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "VALIDATION_ERROR",
}


def wants_envelope(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.endswith("/info")


def error_response(request: Request, error: AppError) -> JSONResponse:
    if request.url.path.startswith("/rest/"):  # Shlink's API: problem+json
        return problem_response(error)
    headers = dict(error.headers)
    if wants_envelope(request):
        body = ErrorEnvelope(
            error=ErrorBody(code=error.code, message=error.message, details=error.details),
            meta=meta_for(request),
        ).model_dump(mode="json")
        headers.setdefault("X-Request-ID", body["meta"]["request_id"])
    else:
        message = error.message
        if isinstance(error.details, str) and error.details:
            message = f"{message}: {error.details}"
        body = {"error": message}
    return JSONResponse(body, status_code=error.status_code, headers=headers)


def describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    """A one-line message and per-field details out of pydantic's errors."""
    problems: list[dict[str, str]] = []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        if err.get("type") == "json_invalid":
            problems.append({"field": "body", "problem": "Request body is not valid JSON"})
            continue
        if err.get("type") == "missing":
            problems.append({"field": ".".join(location), "problem": "Field required"})
            continue
        problems.append({"field": ".".join(location) or "body", "problem": str(err.get("msg"))})
    if not problems:
        return "The request is not valid", []
    first = problems[0]
    message = (
        first["problem"] if first["field"] == "body" else f"{first['field']}: {first['problem']}"
    )
    return message, problems


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, problems = describe_validation(exc)
        return error_response(request, ValidationFailed(message, details=problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            runtime = getattr(request.app.state, "runtime", None)
            if runtime is not None and not request.url.path.startswith("/api/"):
                runtime.clicks.orphans.record(request.scope, REGULAR_404)  # a visit, not a call
            error: AppError = LinkNotFound("Not found")
            error.code = "NOT_FOUND"
        else:
            error = AppError(str(exc.detail), headers=dict(exc.headers or {}))
            error.status_code = exc.status_code
            error.code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        return error_response(request, error)

    async def _dependency_error(request: Request, exc: Exception) -> JSONResponse:
        # Handled here rather than by the catch-all below, which Starlette re-raises to the
        # server: an outage would log a traceback per request.
        if not is_outage(exc):
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return error_response(request, InternalError())
        runtime = request.app.state.runtime
        runtime.report_outage(exc)
        retry_after = runtime.database_availability.retry_after
        return error_response(request, ServiceUnavailable(retry_after=retry_after))

    for outage_type in (DBAPIError, PoolTimeoutError, OSError, RedisError):
        app.add_exception_handler(outage_type, _dependency_error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, InternalError())
