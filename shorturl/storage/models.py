"""Every table, imported in one place so metadata (and Alembic) sees the whole schema."""

from shorturl.accounts.models import ApiKey, BrowserSession, User
from shorturl.analytics.models import (
    Click,
    ClickHourly,
    ClickRollup,
    LinkPeriodTotal,
    OrphanOverflow,
    OrphanVisit,
)
from shorturl.domains.models import Domain
from shorturl.imports.models import ImportedLink, ImportJob
from shorturl.links.models import Link, Tag, link_tags
from shorturl.shlink.models import ShlinkLinkSettings
from shorturl.storage.base import Base
from shorturl.storage.secrets import AppSecret
from shorturl.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "ApiKey",
    "AppSecret",
    "Base",
    "BrowserSession",
    "Click",
    "ClickHourly",
    "ClickRollup",
    "Domain",
    "ImportJob",
    "ImportedLink",
    "LinkPeriodTotal",
    "OrphanOverflow",
    "OrphanVisit",
    "Link",
    "ShlinkLinkSettings",
    "Tag",
    "User",
    "Webhook",
    "WebhookDelivery",
    "link_tags",
]
