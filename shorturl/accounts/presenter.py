"""How users and API keys are shown to API clients: public ids, never a secret or a hash."""

from __future__ import annotations

from shorturl.accounts.api_keys import effective_rate_limit
from shorturl.accounts.models import ApiKey, User
from shorturl.accounts.schemas import ApiKeyOut, ProfileOut, UsageStats
from shorturl.errors import NotFound
from shorturl.links.service import OwnerUsage
from shorturl.ratelimit.plans import plan_named

__all__ = ["api_key_out", "key_id_from", "profile_out", "public_key_id", "public_user_id"]


def public_user_id(user_id: int) -> str:
    return f"user_{user_id}"


def public_key_id(key_id: int) -> str:
    return f"key_{key_id}"


def key_id_from(text: str) -> int:
    """The numeric id in `key_12` (or `12`); NotFound for anything else."""
    number = text.removeprefix("key_")
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        raise NotFound("API key not found", details=f"No API key '{text}'")
    return int(number)


def profile_out(user: User, usage: OwnerUsage) -> ProfileOut:
    return ProfileOut(
        user_id=public_user_id(user.id),
        username=user.username,
        email=user.email,
        display_name=user.display_name,
        created_at=user.created_at,
        role=user.role,
        plan=user.plan,
        usage_stats=UsageStats(
            urls_created=usage.links,
            total_clicks=usage.total_clicks,
            monthly_quota=plan_named(user.plan).monthly_quota,
            monthly_usage=usage.created_this_month,
        ),
    )


def api_key_out(key: ApiKey, plan: str) -> ApiKeyOut:
    """`plan` is the owner's: what the key really gets depends on it."""
    return ApiKeyOut(
        key_id=public_key_id(key.id),
        name=key.name,
        key_prefix=f"{key.key_prefix}...",
        created_at=key.created_at,
        last_used=key.last_used_at,
        permissions=list(key.permissions),
        rate_limit=key.rate_limit,
        effective_rate_limit=effective_rate_limit(key.rate_limit, plan),
    )
