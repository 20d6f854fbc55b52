"""The QR code of a short link as inline SVG for the pages (drawn by `shorturl.qr`)."""

from __future__ import annotations

from markupsafe import Markup

from shorturl.qr.render import QrStyle, render_qr

__all__ = ["qr_svg"]

_STYLE = QrStyle(format="svg", size=160)


def qr_svg(short_url: str) -> Markup:
    """Safe to inline: segno draws with attributes only (no script, no style), and the content
    is a short URL this service built."""
    return Markup(render_qr(short_url, _STYLE).body.decode())
