"""The web forms for links: raw values kept for re-display, parsed into link service inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from starlette.datastructures import FormData

from shorturl.errors import ValidationFailed
from shorturl.links.models import Link, LinkStatus
from shorturl.links.service import LinkChanges, NewLink
from shorturl.timestamps import as_utc, utcnow

__all__ = ["EXPIRY_CHOICES", "LinkForm", "ShortenForm", "field_text"]

EXPIRY_CHOICES: Final = (
    ("", "Never"),
    ("1h", "In 1 hour"),
    ("1d", "In 1 day"),
    ("7d", "In 7 days"),
    ("30d", "In 30 days"),
    ("1y", "In 1 year"),
)
_EXPIRY_DELTAS: Final = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}
_INPUT_TIME: Final = "%Y-%m-%dT%H:%M"
MAX_TEXT: Final = 10_000


def field_text(form: FormData, name: str, limit: int = MAX_TEXT) -> str:
    """A text field, trimmed; files and absent fields read as empty. Overlong input is cut
    (the browser's maxlength already stops a person; the services check the real limits)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def with_scheme(url: str) -> str:
    """`example.com/x` as people type it becomes `https://example.com/x`."""
    if url and "://" not in url and not url.startswith(("/", "mailto:")):
        return "https://" + url
    return url


@dataclass(slots=True)
class ShortenForm:
    """The landing page form: a URL, an optional alias, an expiry from a short list."""

    url: str = ""
    alias: str = ""
    expires: str = ""

    @classmethod
    def read(cls, form: FormData) -> ShortenForm:
        return cls(
            url=field_text(form, "url"),
            alias=field_text(form, "alias", 200),
            expires=field_text(form, "expires", 8),
        )

    def new_link(self) -> NewLink:
        if not self.url:
            raise ValidationFailed(details="Paste the long URL you want to shorten.")
        if self.expires and self.expires not in _EXPIRY_DELTAS:
            raise ValidationFailed(details="Choose an expiry from the list.")
        delta = _EXPIRY_DELTAS.get(self.expires)
        return NewLink(
            long_url=with_scheme(self.url),
            custom_alias=self.alias or None,
            expires_at=utcnow() + delta if delta else None,
        )


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return as_utc(datetime.strptime(text, _INPUT_TIME))
    except ValueError:
        raise ValidationFailed(
            details="Expiry: use a date and time like 2030-12-31 23:59."
        ) from None


def _parse_max_clicks(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 10**12:
        raise ValidationFailed(details="Click limit: a whole number of at least 1, or empty.")
    return int(text)


def _parse_tags(text: str) -> list[str]:
    tags = [tag.strip() for tag in text.split(",") if tag.strip()]
    if len(tags) > 20 or any(len(tag) > 64 for tag in tags):
        raise ValidationFailed(details="Tags: at most 20, each up to 64 characters.")
    return tags


def _parse_description(text: str) -> str | None:
    if len(text) > 2000:
        raise ValidationFailed(details="Description: at most 2,000 characters.")
    return text or None


@dataclass(slots=True)
class LinkForm:
    """The dashboard's create and edit form. Times are UTC, to the minute."""

    url: str = ""
    alias: str = ""
    expires: str = ""
    max_clicks: str = ""
    description: str = ""
    tags: str = ""
    status: str = ""  # empty: left as it is
    domain: str = ""  # empty: the default domain (only when creating)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, form: FormData) -> LinkForm:
        return cls(
            url=field_text(form, "url"),
            alias=field_text(form, "alias", 200),
            expires=field_text(form, "expires", 32),
            max_clicks=field_text(form, "max_clicks", 32),
            description=field_text(form, "description", 4000),
            tags=field_text(form, "tags", 2000),
            status=field_text(form, "status", 16),
            domain=field_text(form, "domain", 260),
        )

    @classmethod
    def of(cls, link: Link) -> LinkForm:
        return cls(
            url=link.long_url,
            alias=link.code,
            expires=as_utc(link.expires_at).strftime(_INPUT_TIME) if link.expires_at else "",
            max_clicks=str(link.max_clicks) if link.max_clicks is not None else "",
            description=link.description or "",
            tags=", ".join(link.tag_names),
            status=link.status,
            domain=link.domain,
        )

    def new_link(self) -> NewLink:
        if not self.url:
            raise ValidationFailed(details="Paste the long URL you want to shorten.")
        return NewLink(
            long_url=with_scheme(self.url),
            custom_alias=self.alias or None,
            expires_at=_parse_time(self.expires),
            max_clicks=_parse_max_clicks(self.max_clicks),
            description=_parse_description(self.description),
            tags=_parse_tags(self.tags),
            domain=self.domain or None,
        )

    def changes_to(self, link: Link) -> LinkChanges:
        """Only what differs from `link` as the form showed it, so a field left alone (an
        expiry with seconds, say) is not rewritten by its rounded display."""
        shown = LinkForm.of(link)
        changes = LinkChanges()
        if self.url != shown.url:
            if not self.url:
                raise ValidationFailed(details="The destination URL cannot be empty.")
            changes.long_url = with_scheme(self.url)
        if self.expires != shown.expires:
            changes.expires_at = _parse_time(self.expires)
        if self.max_clicks != shown.max_clicks:
            changes.max_clicks = _parse_max_clicks(self.max_clicks)
        if self.description != shown.description:
            changes.description = _parse_description(self.description)
        if _parse_tags(self.tags) != _parse_tags(shown.tags):
            changes.tags = _parse_tags(self.tags)
        if self.status and self.status != shown.status:
            if self.status not in (LinkStatus.ACTIVE, LinkStatus.DISABLED):
                raise ValidationFailed(details="Status: active or disabled.")
            changes.status = self.status
        return changes
