"""`LinkServiceDep`: the process's link service, for endpoints; `LinkDomain`: `?domain=`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from shorturl.links.service import LinkService

__all__ = ["LinkDomain", "LinkServiceDep"]


def _link_service(request: Request) -> LinkService:
    return request.app.state.runtime.links


LinkServiceDep = Annotated[LinkService, Depends(_link_service)]


# `?domain=go.example.com`: the link of that code on that domain; without it the default
# domain's, else the one link of that code on another.
LinkDomain = Annotated[str | None, Query(max_length=253, description="The link's domain")]
