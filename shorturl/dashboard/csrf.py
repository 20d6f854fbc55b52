"""CSRF protection of every form: a token bound to the session id, checked on each POST.

The token is an HMAC of the session id (which lives only in the HttpOnly cookie), so a page
of another site can neither read nor forge it; SameSite=Lax on the cookie is a second wall.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request
from starlette.datastructures import FormData

from shorturl.dashboard.sessions import CurrentWebSession, csrf_token_matches
from shorturl.errors import AppError

__all__ = [
    "CSRF_FIELD",
    "CsrfRejected",
    "VerifiedForm",
    "VerifiedUpload",
    "verified_form",
    "verified_upload",
]

CSRF_FIELD: Final = "csrf_token"
_MAX_FIELDS: Final = 200


class CsrfRejected(AppError):
    status_code, code, message = 403, "FORBIDDEN", "This form has expired or did not come from us"


async def verified_form(request: Request, web: CurrentWebSession) -> FormData:
    """The posted form, once its CSRF token matches this browser's session."""
    return await _verified(request, web, max_files=0)


async def verified_upload(request: Request, web: CurrentWebSession) -> FormData:
    """The same, for a form that may carry one file (multipart)."""
    return await _verified(request, web, max_files=1)


async def _verified(request: Request, web: CurrentWebSession, *, max_files: int) -> FormData:
    try:
        form = await request.form(max_files=max_files, max_fields=_MAX_FIELDS)
    except Exception:  # noqa: BLE001 - a body that is not a form is refused the same way
        raise CsrfRejected(details="The form could not be read") from None
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not csrf_token_matches(request, web, sent):
        raise CsrfRejected(details="Reload the page and send the form again")
    return form


VerifiedForm = Annotated[FormData, Depends(verified_form)]
VerifiedUpload = Annotated[FormData, Depends(verified_upload)]
