"""Bodies of the admin API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from shorturl.links.schemas import LinkOut, Pagination
from shorturl.timestamps import UtcDateTime

__all__ = ["AdminLinkList", "Deactivated", "UserChange", "UserList", "UserOut"]


class AdminLinkList(BaseModel):
    urls: list[LinkOut]
    pagination: Pagination


class Deactivated(BaseModel):
    days: int
    deactivated: int
    short_codes: list[str]  # the first 1,000


class UserOut(BaseModel):
    user_id: str
    username: str
    email: str
    display_name: str | None
    role: str
    plan: str
    is_active: bool
    created_at: UtcDateTime


class UserList(BaseModel):
    users: list[UserOut]
    pagination: Pagination


class UserChange(BaseModel):
    plan: Literal["free", "premium", "enterprise"] | None = None
    role: Literal["user", "admin"] | None = None
    is_active: bool | None = None
