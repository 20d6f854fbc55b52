"""`DomainRegistryDep`: the process's registry of short domains, for endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shorturl.domains.registry import DomainRegistry

__all__ = ["DomainRegistryDep"]


def _registry(request: Request) -> DomainRegistry:
    return request.app.state.runtime.domains


DomainRegistryDep = Annotated[DomainRegistry, Depends(_registry)]
