"""Request and response bodies of the webhooks API (seed 003 "Webhooks")."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shorturl.links.schemas import Pagination
from shorturl.timestamps import UtcDateTime

__all__ = [
    "DeliveryList",
    "DeliveryOut",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookDeleted",
    "WebhookList",
    "WebhookOut",
    "WebhookUpdate",
]

# Event names and secrets are checked by the service, with messages that say what is allowed;
# these bounds only keep absurd bodies out.
EventName = Annotated[str, StringConstraints(max_length=64)]
Secret = Annotated[str, StringConstraints(max_length=255)]
TargetUrl = Annotated[str, StringConstraints(max_length=8192)]
EVENTS_DESCRIPTION = "any of url.clicked, url.created, url.updated, url.deleted, url.expired"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://your-app.com/webhook",
                    "events": ["url.clicked", "url.created", "url.expired"],
                    "secret": "your_webhook_secret",
                }
            ]
        }
    )

    url: TargetUrl
    events: list[EventName] = Field(max_length=10, description=EVENTS_DESCRIPTION)
    secret: Secret | None = Field(
        None, description="16 to 255 characters; generated (and shown once) when left out"
    )


class WebhookUpdate(BaseModel):
    """Fields to change; those left out stay. `is_active: true` also clears the failures."""

    url: TargetUrl | None = None
    events: list[EventName] | None = Field(None, max_length=10, description=EVENTS_DESCRIPTION)
    is_active: bool | None = None
    secret: Secret | None = None


class WebhookOut(BaseModel):
    webhook_id: str
    url: str
    events: list[str]
    is_active: bool
    consecutive_failures: int
    created_at: UtcDateTime
    disabled_at: UtcDateTime | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every delivery; shown only in this response")


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class WebhookDeleted(BaseModel):
    message: str
    webhook_id: str


class DeliveryOut(BaseModel):
    delivery_id: str
    webhook_id: str
    event: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: UtcDateTime
    next_attempt_at: UtcDateTime | None
    delivered_at: UtcDateTime | None
    payload: dict[str, Any]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
    pagination: Pagination
