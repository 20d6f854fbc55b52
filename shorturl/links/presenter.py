"""How a stored link is shown to API clients."""

from __future__ import annotations

from collections.abc import Sequence

from shorturl.links.bulk import BulkOutcome
from shorturl.links.models import Link, short_base
from shorturl.links.routing import RedirectRule, Variant
from shorturl.links.schemas import (
    BulkCreatedItem,
    BulkFailedItem,
    BulkResult,
    BulkSummary,
    LinkOut,
    LinkOwner,
    PageMetadataOut,
    SafeBrowsing,
)

__all__ = ["bulk_result", "link_out", "qr_image_url", "title_of"]


def title_of(link: Link) -> str | None:
    """The title other shorteners' APIs show (Shlink, YOURLS): the one a user gave, kept as
    the description, else the target page's own."""
    return link.description if link.description is not None else link.title


def qr_image_url(link: Link, base_url: str) -> str:
    """`GET /api/v1/qr/{code}` of the link, naming its domain when it has one."""
    url = f"{base_url}/api/v1/qr/{link.code}"
    return f"{url}?domain={link.domain}" if link.domain else url


def link_out(link: Link, base_url: str) -> LinkOut:
    owner = (
        LinkOwner(
            user_id=f"user_{link.owner_id}", username=link.owner.username if link.owner else None
        )
        if link.owner_id is not None
        else None
    )
    return LinkOut(
        short_url=f"{short_base(link.domain, base_url)}/{link.code}",
        short_code=link.code,
        long_url=link.long_url,
        custom_alias=link.code if link.is_custom else None,
        qr_code_url=qr_image_url(link, base_url),
        domain=link.domain or None,
        created_at=link.created_at,
        updated_at=link.updated_at,
        expiration_date=link.expires_at,
        max_clicks=link.max_clicks,
        description=link.description,
        tags=link.tag_names,
        click_count=link.click_count,
        last_clicked_at=link.last_clicked_at,
        status=link.status,
        disabled_by=link.disabled_by,
        disabled_reason=link.disabled_reason,
        owner=owner,
        password_protected=link.password_hash is not None,
        rules=[RedirectRule.model_validate(rule) for rule in link.rules or ()],
        variants=[Variant.model_validate(variant) for variant in link.variants or ()],
        expired_redirect=link.expired_redirect,
        metadata=PageMetadataOut(
            title=link.title,
            description=link.page_description,
            image=link.image_url,
            fetched_at=link.metadata_fetched_at,
        ),
        safe_browsing=SafeBrowsing(is_safe=link.is_safe, last_checked=link.safety_checked_at),
        url=link.long_url,
        alias=link.code,
        expires_at=link.expires_at,
        visit_count=link.click_count,
        last_visited_at=link.last_clicked_at,
    )


def bulk_result(
    outcome: BulkOutcome, base_url: str, rows: Sequence[int] | None = None
) -> BulkResult:
    """The seed-003 bulk answer; `rows` maps each index to its CSV data row (imports)."""

    def row(index: int) -> int | None:
        return rows[index] if rows is not None else None

    created = [
        BulkCreatedItem(
            index=index,
            row=row(index),
            short_url=f"{short_base(link.domain, base_url)}/{link.code}",
            short_code=link.code,
            long_url=link.long_url,
            custom_alias=link.code if link.is_custom else None,
            qr_code_url=qr_image_url(link, base_url),
            description=link.description,
            tags=link.tag_names,
            expiration_date=link.expires_at,
            max_clicks=link.max_clicks,
            link_status=link.status,
            created_at=link.created_at,
        )
        for index, link in outcome.created
    ]
    failed = [
        BulkFailedItem(
            index=failure.index,
            row=row(failure.index),
            long_url=failure.long_url,
            custom_alias=failure.custom_alias,
            error=failure.error.message,
            code=failure.error.code,
            details=failure.error.details,
        )
        for failure in outcome.failed
    ]
    return BulkResult(
        created=created,
        failed=failed,
        summary=BulkSummary(total=outcome.total, created=len(created), failed=len(failed)),
    )
