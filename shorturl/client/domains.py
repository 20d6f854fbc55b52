"""The `domains` resource: the server's short domains. Anyone signed in lists them (a link
may be made on any, `urls.create(domain=…)`); admins add, change and remove them."""

from __future__ import annotations

from typing import Any

from shorturl.client._binding import AsyncResource, SyncResource, async_call, sync_call
from shorturl.client._http import NOT_GIVEN, Call, NotGiven, path_segment
from shorturl.client.models import Domain, DomainDeleted

__all__ = ["AsyncDomains", "Domains"]


def _domain_list(data: Any) -> list[Domain]:
    items = data.get("domains", []) if isinstance(data, dict) else data
    return [Domain.from_data(item) for item in items]


def _path(host: str) -> str:
    return f"/domains/{path_segment(host)}"


def list_domains() -> Call[list[Domain]]:
    """The default domain first, then every added one, with their link counts
    (`GET /domains`)."""
    return Call("GET", "/domains", _domain_list)


def add(
    host: str, *, root_redirect: str | None = None, not_found_redirect: str | None = None
) -> Call[Domain]:
    """Serve short links on `host` too (`POST /domains`, admins): point its DNS at the
    server. `root_redirect` is where `GET /` on it goes, `not_found_redirect` where an
    unknown code goes (a 404 page when not given). DomainExists if it is already served."""
    body: dict[str, Any] = {"host": host}
    if root_redirect is not None:
        body["root_redirect"] = root_redirect
    if not_found_redirect is not None:
        body["not_found_redirect"] = not_found_redirect
    return Call("POST", "/domains", Domain.from_data, json=body)


def update(
    host: str,
    *,
    root_redirect: str | None | NotGiven = NOT_GIVEN,
    not_found_redirect: str | None | NotGiven = NOT_GIVEN,
) -> Call[Domain]:
    """Change a domain's redirects (`PATCH /domains/{host}`, admins): only the arguments
    given change, `None` removes a redirect."""
    body = {"root_redirect": root_redirect, "not_found_redirect": not_found_redirect}
    given = {k: v for k, v in body.items() if not isinstance(v, NotGiven)}
    return Call("PATCH", _path(host), Domain.from_data, json=given, idempotent=True)


def remove(host: str) -> Call[DomainDeleted]:
    """Stop serving a domain (`DELETE /domains/{host}`, admins); DomainInUse while links
    (deleted ones too) are on it."""
    return Call("DELETE", _path(host), DomainDeleted.from_data)


class Domains(SyncResource):
    """`client.domains`: the server's short domains."""

    list = sync_call(list_domains)
    add = sync_call(add)
    update = sync_call(update)
    remove = sync_call(remove)


class AsyncDomains(AsyncResource):
    """`client.domains` of the AsyncClient: the server's short domains."""

    list = async_call(list_domains)
    add = async_call(add)
    update = async_call(update)
    remove = async_call(remove)
