"""Bodies of the seed-001 root API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shorturl.timestamps import UtcDateTime

__all__ = ["HealthOut", "ShortenIn", "ShortenOut"]


class ShortenIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://example.com/very/long/url", "expiration_days": 30}]
        }
    )

    url: Any = Field(description="The long URL (http or https, with a host)")
    expiration_days: StrictInt | None = Field(None, ge=1, le=36500, description="Defaults to 30")
    custom_alias: str | None = None


class ShortenOut(BaseModel):
    short_url: str
    long_url: str
    expires_at: UtcDateTime | None
    short_code: str


class HealthOut(BaseModel):
    status: str
    time: UtcDateTime
    database: str
    cache: str
