"""Request and response bodies of the link API (seed 003, with seed 004's field names accepted)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

from shorturl.links.routing import MAX_PASSWORD_LENGTH, RedirectRule, Rules, Variant, Variants
from shorturl.timestamps import UtcDateTime

__all__ = [
    "BulkCreate",
    "BulkCreatedItem",
    "BulkFailedItem",
    "BulkResult",
    "BulkSummary",
    "DeletedLink",
    "LinkCreate",
    "LinkList",
    "LinkOut",
    "LinkOwner",
    "LinkUpdate",
    "PageMetadataOut",
    "Pagination",
    "SafeBrowsing",
]

TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Tags = Annotated[list[TagName], Field(max_length=20)]
Description = Annotated[str, StringConstraints(max_length=2000)]
LinkPassword = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
TargetUrl = Annotated[str, StringConstraints(max_length=2048)]


class LinkCreate(BaseModel):
    """A link to create. Seed 003 and seed 004 spellings are both accepted."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "long_url": "https://example.com/very/long/url?param1=value1",
                    "custom_alias": "my-custom-link",
                    "expiration_date": "2030-12-31T23:59:59Z",
                    "description": "My important link",
                    "tags": ["marketing", "campaign-2024"],
                }
            ]
        }
    )

    long_url: str = Field(validation_alias=AliasChoices("long_url", "url"))
    custom_alias: str | None = Field(None, validation_alias=AliasChoices("custom_alias", "alias"))
    expiration_date: datetime | None = Field(
        None, validation_alias=AliasChoices("expiration_date", "expires_at")
    )
    max_clicks: int | None = Field(None, ge=1)
    description: Description | None = None
    tags: Tags = []
    # smart links (signed-in callers): links/routing.py
    password: LinkPassword | None = Field(
        None, description="Visitors must enter it first (stored hashed, never shown)"
    )
    rules: Rules | None = Field(
        None, description="Evaluated in order, first match wins; else variants or long_url"
    )
    variants: Variants | None = Field(
        None, description="Weighted A/B destinations, sticky per daily visitor"
    )
    expired_redirect: TargetUrl | None = Field(
        None, description="Where visitors go once the link expired or ran out of clicks"
    )
    domain: str | None = Field(
        None, max_length=253, description="One of GET /domains (default: SHORTURL_BASE_URL's)"
    )


class LinkUpdate(BaseModel):
    """Fields to change; a field that is absent stays as it is, `null` clears it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "long_url": "https://example.com/updated/url",
                    "description": "Updated description",
                    "expiration_date": "2030-12-31T23:59:59Z",
                    "tags": ["updated", "marketing"],
                }
            ]
        }
    )

    long_url: str | None = Field(None, validation_alias=AliasChoices("long_url", "url"))
    expiration_date: datetime | None = Field(
        None, validation_alias=AliasChoices("expiration_date", "expires_at")
    )
    max_clicks: int | None = Field(None, ge=1)
    description: Description | None = None
    tags: Tags | None = None
    status: Literal["active", "disabled"] | None = None
    disabled_reason: str | None = Field(
        None, max_length=500, description="Why the link is disabled (kept with `status`)"
    )
    password: LinkPassword | None = Field(None, description="`null` removes the password")
    rules: Rules | None = None
    variants: Variants | None = None
    expired_redirect: TargetUrl | None = None


class LinkOwner(BaseModel):
    user_id: str
    username: str | None


class PageMetadataOut(BaseModel):
    """What the target page says about itself, read after creation (null until then)."""

    title: str | None
    description: str | None
    image: str | None
    fetched_at: UtcDateTime | None


class SafeBrowsing(BaseModel):
    is_safe: bool
    last_checked: UtcDateTime | None


class LinkOut(BaseModel):
    """A link as API v1 shows it (seed 003), with seed 004's names alongside."""

    short_url: str
    short_code: str
    long_url: str
    custom_alias: str | None
    qr_code_url: str
    domain: str | None = None  # the link's short domain; null: the default one
    created_at: UtcDateTime
    updated_at: UtcDateTime
    expiration_date: UtcDateTime | None
    max_clicks: int | None
    description: str | None
    tags: list[str]
    click_count: int
    last_clicked_at: UtcDateTime | None
    status: str
    # Who disabled it (owner, admin, safety, inactivity) and why; null while enabled.
    disabled_by: str | None = None
    disabled_reason: str | None = None
    owner: LinkOwner | None
    password_protected: bool
    rules: list[RedirectRule]
    variants: list[Variant]
    expired_redirect: str | None
    metadata: PageMetadataOut
    safe_browsing: SafeBrowsing
    # seed 004 names
    url: str
    alias: str
    expires_at: UtcDateTime | None
    visit_count: int
    last_visited_at: UtcDateTime | None


class Pagination(BaseModel):
    total: int
    limit: int
    offset: int
    page: int
    has_more: bool


class LinkList(BaseModel):
    urls: list[LinkOut]
    pagination: Pagination


class DeletedLink(BaseModel):
    message: str
    short_code: str
    deleted_at: UtcDateTime


class BulkCreate(BaseModel):
    """Up to 1,000 links to create; each item is what `POST /urls` takes (or just a URL).
    Items are read one by one, so a bad item fails alone."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "urls": [
                        {
                            "long_url": "https://example.com/page1",
                            "custom_alias": "page1",
                            "description": "Page 1",
                        },
                        {"long_url": "https://example.com/page2", "tags": ["campaign"]},
                    ]
                }
            ]
        }
    )

    urls: list[Any] = Field(min_length=1, max_length=1000)


class BulkCreatedItem(BaseModel):
    index: int  # position in the request (0-based)
    row: int | None = None  # CSV import: the data row (1 = first row after the header)
    status: Literal["created"] = "created"
    short_url: str
    short_code: str
    long_url: str
    custom_alias: str | None
    qr_code_url: str
    description: str | None
    tags: list[str]
    expiration_date: UtcDateTime | None
    max_clicks: int | None
    link_status: str
    created_at: UtcDateTime


class BulkFailedItem(BaseModel):
    index: int
    row: int | None = None
    status: Literal["failed"] = "failed"
    long_url: str | None
    custom_alias: str | None
    error: str
    code: str
    details: Any = None


class BulkSummary(BaseModel):
    total: int
    created: int
    failed: int


class BulkResult(BaseModel):
    """Seed 003 "Bulk Create URLs": what was created, what failed and why, and the counts."""

    created: list[BulkCreatedItem]
    failed: list[BulkFailedItem]
    summary: BulkSummary
