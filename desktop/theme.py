"""The look of the app: palette, stylesheet and tinted icons, read from the resources package."""

from __future__ import annotations

import functools
import re
from importlib import resources as importlib_resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

ACCENT = "#0f766e"
ACCENT_DARK = "#0b5c55"
INK = "#1f2933"
RAIL_INK = "#3e4c59"
MUTED = "#9aa5b1"

# Icons are drawn at this many device pixels and scaled down by QIcon as needed, so they stay
# crisp at 150 % and 200 % scaling.
_ICON_RENDER_SIZE = 64


def _resource_bytes(*parts: str) -> bytes:
    return importlib_resources.files("resources").joinpath(*parts).read_bytes()


_SECTION = re.compile(r"/\* \[section ([a-z-]+)\].*?\*/\n(.*?)/\* \[end \1\] \*/\n?", re.S)


def _qss() -> str:
    icons = Path(str(importlib_resources.files("resources").joinpath("icons")))
    return _resource_bytes("style.qss").decode("utf-8").replace("@ICONS@", icons.as_posix())


def stylesheet() -> str:
    """The application's Qt stylesheet (resources/style.qss) without its sections, its
    image paths filled in."""
    return _SECTION.sub("", _qss())


@functools.cache
def section(name: str) -> str:
    """One section of resources/style.qss ('callbacks', 'dashboard', ...), for the panel or
    dialog it styles to set on itself: a widget's own stylesheet outranks the application's."""
    for match in _SECTION.finditer(_qss()):
        if match.group(1) == name:
            return match.group(2)
    raise KeyError(f"resources/style.qss has no section {name!r}")


def light_palette() -> QPalette:
    """A calm light palette matching style.qss, so a dark system theme does not half-apply."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#f4f6f8",
        QPalette.ColorRole.WindowText: INK,
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f7f9fa",
        QPalette.ColorRole.Text: INK,
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: INK,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: INK,
        QPalette.ColorRole.PlaceholderText: "#7b8794",
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(MUTED))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(MUTED))
    return palette


def apply_theme(app: QApplication) -> None:
    """Fusion style, the light palette and the stylesheet, for the whole application."""
    app.setStyle("Fusion")
    app.setPalette(light_palette())
    app.setStyleSheet(stylesheet())


def svg_pixmap(name: str, colour: str, size: int = _ICON_RENDER_SIZE) -> QPixmap:
    """Render resources/icons/<name>.svg at `size` pixels, its strokes painted in `colour`."""
    svg = _resource_bytes("icons", f"{name}.svg").decode("utf-8").replace("currentColor", colour)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return QPixmap.fromImage(image)


def icon(name: str, *, colour: str = RAIL_INK, checked_colour: str = ACCENT_DARK) -> QIcon:
    """A monochrome icon tinted `colour`, and `checked_colour` when on (checked)."""
    normal = svg_pixmap(name, colour)
    checked = normal if checked_colour == colour else svg_pixmap(name, checked_colour)
    result = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Active, QIcon.Mode.Selected):
        result.addPixmap(normal, mode, QIcon.State.Off)
        result.addPixmap(checked, mode, QIcon.State.On)
    # Qt greys the normal pixmap out by itself for the disabled state.
    return result


def logo_pixmap(size: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    """The clinic logo, `size` device-independent pixels square (resources/logo.png)."""
    pixmap = QPixmap()
    pixmap.loadFromData(_resource_bytes("logo.png"), "PNG")
    pixels = round(size * device_pixel_ratio)
    scaled = pixmap.scaled(
        QSize(pixels, pixels),
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    scaled.setDevicePixelRatio(device_pixel_ratio)
    return scaled
