"""Request bodies of Shlink's API, in its field names (unknown fields are ignored, as Shlink does)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "DomainRedirectsEdit",
    "RedirectRulesSet",
    "ShortUrlCreate",
    "ShortUrlEdit",
    "TagRenaming",
]

TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Title = Annotated[str, StringConstraints(max_length=2000)]


class ShortUrlEdit(BaseModel):
    """PATCH /short-urls/{shortCode}: only the fields sent change; null clears."""

    model_config = ConfigDict(extra="ignore")

    longUrl: str | None = None
    tags: Annotated[list[TagName], Field(max_length=20)] | None = None
    title: Title | None = None
    validSince: datetime | None = None
    validUntil: datetime | None = None
    maxVisits: Annotated[int, Field(ge=1)] | None = None
    crawlable: bool | None = None
    forwardQuery: bool | None = None


class ShortUrlCreate(ShortUrlEdit):
    longUrl: str  # type: ignore[assignment]
    customSlug: str | None = None
    shortCodeLength: Annotated[int, Field(ge=4, le=64)] | None = None
    findIfExists: bool = False
    domain: str | None = None


class TagRenaming(BaseModel):
    oldName: TagName
    newName: TagName


class DomainRedirectsEdit(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: str
    baseUrlRedirect: str | None = None
    regular404Redirect: str | None = None
    invalidShortUrlRedirect: str | None = None


class RedirectRulesSet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    redirectRules: list[dict[str, object]] = []
