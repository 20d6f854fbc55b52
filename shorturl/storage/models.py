"""Every table, imported in one place so metadata (and Alembic) sees the whole schema."""

from shorturl.accounts.models import ApiKey, User
from shorturl.analytics.models import Click, ClickRollup, OrphanOverflow, OrphanVisit
from shorturl.links.models import Link, Tag, link_tags
from shorturl.storage.base import Base
from shorturl.storage.secrets import AppSecret
from shorturl.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "ApiKey",
    "AppSecret",
    "Base",
    "Click",
    "ClickRollup",
    "OrphanOverflow",
    "OrphanVisit",
    "Link",
    "Tag",
    "User",
    "Webhook",
    "WebhookDelivery",
    "link_tags",
]
