"""`LinkServiceDep`: the process's link service, for endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shorturl.links.service import LinkService

__all__ = ["LinkServiceDep"]


def _link_service(request: Request) -> LinkService:
    return request.app.state.runtime.links


LinkServiceDep = Annotated[LinkService, Depends(_link_service)]
