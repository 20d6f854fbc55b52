"""The API v1 shapes of `/domains`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shorturl.domains.models import MAX_HOST_LENGTH
from shorturl.timestamps import UtcDateTime

__all__ = ["DomainCreate", "DomainDeleted", "DomainList", "DomainOut", "DomainUpdate"]


class DomainCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "host": "go.example.com",
                    "root_redirect": "https://example.com/",
                    "not_found_redirect": "https://example.com/404",
                }
            ]
        },
    )

    host: str = Field(max_length=MAX_HOST_LENGTH, description="A host name, with :port if any")
    root_redirect: str | None = Field(None, description="Where `GET /` on this host goes")
    not_found_redirect: str | None = Field(None, description="Where an unknown code goes")


class DomainUpdate(BaseModel):
    """Fields to change; absent ones stay, `null` removes a redirect (the home page, or a 404, again)."""

    model_config = ConfigDict(extra="forbid")

    root_redirect: str | None = None
    not_found_redirect: str | None = None


class DomainOut(BaseModel):
    host: str
    is_default: bool
    root_redirect: str | None
    not_found_redirect: str | None
    links: int  # not deleted
    created_at: UtcDateTime | None


class DomainList(BaseModel):
    domains: list[DomainOut]


class DomainDeleted(BaseModel):
    message: str
    host: str
