"""Request and response bodies of the account API (seed 003 "User Management", seed 004 auth)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shorturl.accounts.passwords import MAX_PASSWORD_LENGTH
from shorturl.timestamps import UtcDateTime

__all__ = [
    "AccountDeleted",
    "AccountDeletion",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyList",
    "ApiKeyOut",
    "ApiKeyRevoked",
    "CredentialsRevoked",
    "LoginIn",
    "ProfileOut",
    "ProfileUpdate",
    "SignupIn",
    "TokenOut",
    "UsageStats",
]

# Lengths are checked again (with clear messages) by the service; these bounds only keep
# absurd bodies out early.
Password = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=320)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=64)]
DisplayName = Annotated[str, StringConstraints(max_length=128)]
Permission = Literal["read", "write"]
ALL_PERMISSIONS: tuple[Permission, ...] = ("read", "write")


class SignupIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "john@example.com",
                    "username": "johndoe",
                    "password": "correct horse battery staple",
                    "display_name": "John Doe",
                }
            ]
        }
    )

    email: Email
    username: Username
    password: Password = Field(description="8 to 256 characters")
    display_name: DisplayName | None = None


class LoginIn(BaseModel):
    """`email` or `username` (or `login`, either of them) and the password."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "john@example.com", "password": "correct horse battery staple"}]
        }
    )

    email: Email | None = None
    username: Username | None = None
    login: Annotated[str, StringConstraints(min_length=1, max_length=320)] | None = None
    password: Password

    @model_validator(mode="after")
    def _one_login(self) -> LoginIn:
        if not (self.email or self.username or self.login):
            raise ValueError("give 'email' or 'username' with the password")
        return self

    @property
    def identifier(self) -> str:
        return self.email or self.username or self.login or ""


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")
    expires_at: UtcDateTime
    user_id: str


class UsageStats(BaseModel):
    urls_created: int
    total_clicks: int
    monthly_quota: int | None
    monthly_usage: int


class ProfileOut(BaseModel):
    user_id: str
    username: str
    email: str
    display_name: str | None
    created_at: UtcDateTime
    role: str
    plan: str
    usage_stats: UsageStats


class ProfileUpdate(BaseModel):
    """Fields to change; absent fields stay as they are. A new `password` or `email` needs
    `current_password`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"display_name": "John Smith", "email": "johnsmith@example.com"}]
        }
    )

    display_name: DisplayName | None = None
    email: Email | None = None
    username: Username | None = None
    password: Password | None = None
    current_password: Password | None = None


class AccountDeletion(BaseModel):
    """Deleting an account takes its current password (a stolen token alone cannot), unless
    the caller signed in within the last 10 minutes."""

    current_password: Password | None = None


class CredentialsRevoked(BaseModel):
    message: str
    user_id: str


class AccountDeleted(BaseModel):
    message: str
    user_id: str
    links_erased: int


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "My API Key", "permissions": ["read", "write"], "rate_limit": 5000}
            ]
        }
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    permissions: list[Permission] = Field(
        default_factory=lambda: list(ALL_PERMISSIONS), min_length=1, max_length=2
    )
    rate_limit: int | None = Field(
        None,
        ge=1,
        description="Requests per hour through this key; the plan's limit applies when lower",
    )


class ApiKeyOut(BaseModel):
    key_id: str
    name: str
    key_prefix: str
    created_at: UtcDateTime
    last_used: UtcDateTime | None
    permissions: list[str]
    rate_limit: int | None = Field(description="The limit asked for at creation (None: the plan's)")
    effective_rate_limit: int = Field(
        description="API requests per hour this key really gets: min(rate_limit, the plan's)"
    )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key. Shown this once: only its hash is kept.")


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyOut]


class ApiKeyRevoked(BaseModel):
    message: str
    key_id: str
    revoked_at: UtcDateTime
