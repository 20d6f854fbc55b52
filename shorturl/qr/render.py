"""Drawing a QR code of a short URL as PNG, SVG or JPEG (segno for the symbol, Pillow for pixels)."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

import segno
from PIL import Image

from shorturl.errors import ValidationFailed

__all__ = [
    "FORMATS",
    "MAX_SIZE",
    "MIN_SIZE",
    "QrImage",
    "QrStyle",
    "parse_color",
    "render_qr",
]

ImageFormat = Literal["png", "svg", "jpg"]
FORMATS: Final[dict[str, str]] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "jpg": "image/jpeg",
}
MIN_SIZE: Final = 50
MAX_SIZE: Final = 1000
# The quiet zone the QR specification asks for, and the least that readers still accept.
_BORDER: Final = 4
_MIN_BORDER: Final = 2
# Bump when the drawing changes, so clients holding an ETag fetch the new image.
_RENDER_VERSION: Final = "1"
_HEX_COLOR: Final = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def parse_color(value: str, field: str) -> str:
    """`#RRGGBB` (lower case) from `#RGB`, `#RRGGBB`, `RGB` or `RRGGBB`; ValidationFailed else."""
    match = _HEX_COLOR.fullmatch(value.strip())
    if match is None:
        raise ValidationFailed(
            f"{field} must be a hex colour like #000000", details={"field": field, "value": value}
        )
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


@dataclass(frozen=True, slots=True)
class QrStyle:
    """How to draw: image format, width (= height) in pixels, and the two colours."""

    format: ImageFormat = "png"
    size: int = 200
    color: str = "#000000"
    background: str = "#ffffff"

    def __post_init__(self) -> None:
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValidationFailed(
                f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels",
                details={"field": "size", "value": self.size},
            )
        if self.color == self.background:
            raise ValidationFailed(
                "color and background must differ, or the code cannot be read",
                details={"field": "background"},
            )

    def etag(self, content: str) -> str:
        """A strong ETag naming the image of `content` drawn in this style."""
        key = "|".join((_RENDER_VERSION, content, self.format, str(self.size), self.color))
        digest = hashlib.sha256(f"{key}|{self.background}".encode()).hexdigest()
        return f'"{digest[:32]}"'


@dataclass(frozen=True, slots=True)
class QrImage:
    body: bytes
    media_type: str


def render_qr(content: str, style: QrStyle) -> QrImage:
    """The QR code of `content`, exactly `style.size` pixels wide, in `style.format`.

    Results are memoised (a few hundred images), so a popular code costs one drawing.
    """
    return _render(content, style)


@lru_cache(maxsize=256)
def _render(content: str, style: QrStyle) -> QrImage:
    symbol = segno.make(content, error="m", micro=False)
    if style.format == "svg":
        return QrImage(_svg(symbol, style), FORMATS["svg"])
    image = _bitmap(symbol, style)
    buffer = io.BytesIO()
    if style.format == "png":
        image.save(buffer, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(buffer, format="JPEG", quality=92, subsampling=0)
    return QrImage(buffer.getvalue(), FORMATS[style.format])


def _svg(symbol: segno.QRCode, style: QrStyle) -> bytes:
    buffer = io.BytesIO()
    symbol.save(
        buffer,
        kind="svg",
        scale=1,
        border=_BORDER,
        dark=style.color,
        light=style.background,
        xmldecl=False,
        omitsize=True,  # a viewBox only; the pixel size is set below
    )
    size = f'<svg width="{style.size}" height="{style.size}" shape-rendering="crispEdges" '
    return buffer.getvalue().replace(b"<svg ", size.encode(), 1)


def _bitmap(symbol: segno.QRCode, style: QrStyle) -> Image.Image:
    """Whole pixels per module (a blurred edge hurts readers), centred on a canvas of the
    exact size; what is left over widens the quiet zone."""
    modules = len(symbol.matrix)
    for border in (_BORDER, _MIN_BORDER):
        scale = style.size // (modules + 2 * border)
        if scale >= 1:
            break
    else:
        raise ValidationFailed(
            f"size is too small for this code: at least {modules + 2 * _MIN_BORDER} pixels",
            details={"field": "size", "value": style.size},
        )
    cells = bytes(value & 1 for row in symbol.matrix for value in row)
    palette = [*_rgb(style.background), *_rgb(style.color)]
    code = Image.frombytes("P", (modules, modules), cells)
    code = code.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    canvas = Image.new("P", (style.size, style.size), 0)
    canvas.putpalette(palette)
    offset = (style.size - modules * scale) // 2
    canvas.paste(code, (offset, offset))
    return canvas


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
