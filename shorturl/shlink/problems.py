"""Shlink's errors: `application/problem+json` bodies typed `https://shlink.io/api/error/<code>`.

Routes under `/rest/` answer every error this way (shorturl/api/errors.py asks
`problem_response`), the service's own errors included, mapped by their seed-003 code.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi.responses import JSONResponse

from shorturl.errors import AppError

__all__ = [
    "ShlinkProblem",
    "domain_not_found",
    "forbidden_tag_operation",
    "invalid_data",
    "problem_response",
    "short_url_not_found",
]

TYPE_BASE: Final = "https://shlink.io/api/error/"
MEDIA_TYPE: Final = "application/problem+json"
# our field names → Shlink's, for `invalidElements`
_FIELDS: Final = {
    "long_url": "longUrl",
    "custom_alias": "customSlug",
    "expiration_date": "validUntil",
    "max_clicks": "maxVisits",
    "description": "title",
}
# seed-003 code → (status, Shlink code, title)
_BY_CODE: Final = {
    "URL_NOT_FOUND": (404, "short-url-not-found", "Short URL not found"),
    "NOT_FOUND": (404, "not-found", "Not found"),
    "CUSTOM_ALIAS_TAKEN": (400, "non-unique-slug", "Invalid custom slug"),
    "VALIDATION_ERROR": (400, "invalid-data", "Invalid data"),
    "INVALID_URL": (400, "invalid-data", "Invalid data"),
    "MALICIOUS_URL": (400, "invalid-data", "Invalid data"),
    "URL_NOT_ACCESSIBLE": (400, "invalid-data", "Invalid data"),
    "UNAUTHORIZED": (401, "invalid-api-key", "Invalid API key"),
    "FORBIDDEN": (403, "forbidden-operation", "Forbidden operation"),
    "QUOTA_EXCEEDED": (402, "quota-exceeded", "Quota exceeded"),
    "URL_EXPIRED": (410, "short-url-expired", "Short URL expired"),
    "RATE_LIMITED": (429, "rate-limited", "Too many requests"),
    "METHOD_NOT_ALLOWED": (405, "method-not-allowed", "Method not allowed"),
}


class ShlinkProblem(AppError):
    """An error in Shlink's own terms: its code, title and extra members."""

    def __init__(
        self,
        status: int,
        problem: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail, headers=headers)
        self.status_code = status
        self.problem, self.title, self.extra = problem, title, extra


def short_url_not_found(code: str, domain: str | None = None) -> ShlinkProblem:
    problem = ShlinkProblem(
        404,
        "short-url-not-found",
        "Short URL not found",
        f'No URL found with short code "{code}"' + (f' for domain "{domain}"' if domain else ""),
        shortCode=code,
    )
    if domain:
        problem.extra["domain"] = domain
    return problem


def invalid_data(detail: str, elements: list[str]) -> ShlinkProblem:
    return ShlinkProblem(400, "invalid-data", "Invalid data", detail, invalidElements=elements)


def domain_not_found(domain: str) -> ShlinkProblem:
    return ShlinkProblem(
        404,
        "domain-not-found",
        "Domain not found",
        f'Domain with authority "{domain}" could not be found',
        authority=domain,
    )


def forbidden_tag_operation(detail: str) -> ShlinkProblem:
    return ShlinkProblem(403, "forbidden-tag-operation", "Forbidden tag operation", detail)


def problem_response(error: AppError) -> JSONResponse:
    """`error` as Shlink writes it."""
    if isinstance(error, ShlinkProblem):
        status, problem, title, extra = error.status_code, error.problem, error.title, error.extra
        detail = error.message
    else:
        status, problem, title = _BY_CODE.get(
            error.code, (error.status_code, "internal-server-error", "Internal server error")
        )
        status = error.status_code if error.code in _BY_CODE else status
        detail = _detail(error)
        extra = {"invalidElements": _elements(error)} if problem == "invalid-data" else {}
    body = {"type": TYPE_BASE + problem, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=error.headers, media_type=MEDIA_TYPE)


def _detail(error: AppError) -> str:
    if isinstance(error.details, str) and error.details:
        return f"{error.message}: {error.details}"
    return error.message


def _elements(error: AppError) -> list[str]:
    """The fields a validation error names, in Shlink's spelling (a refused target: longUrl)."""
    if error.code != "VALIDATION_ERROR":
        return ["longUrl"]
    details = error.details
    items = details if isinstance(details, list) else [details]
    names = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("field"), str):
            field = item["field"].split(".")[-1] if item["field"] else ""
            names.append(_FIELDS.get(field, field))
    return [name for name in dict.fromkeys(names) if name and name != "body"] or names[:1]
