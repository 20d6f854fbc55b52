"""Response bodies of the QR routes (seed 003 "Get QR Code URL")."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["QrLinks"]


class QrLinks(BaseModel):
    qr_code_url: str
    download_urls: dict[str, str]
