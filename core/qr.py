"""QR codes drawn on the server as inline SVG (``segno``, pure Python): no script, no picture to fetch, nothing
for the Content-Security-Policy to allow, and the same on every phone."""

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

QUIET_ZONE = 4  # modules of white around the code, as scanners expect


def qr_svg(text: str, *, label: str, css_class: str = "qr") -> SafeString:
    """``text`` as a QR code (error correction at least M), an ``<svg>`` that scales to its box (no width or height;
    one unit per module), named ``label`` for screen readers."""
    code = segno.make(text, error="m", micro=False)
    svg = code.svg_inline(
        scale=1,
        border=QUIET_ZONE,
        omitsize=True,
        dark="#000",
        light="#fff",
        svgclass=css_class,
        lineclass=f"{css_class}__modules",
    )
    # segno writes a lone <svg …>; name it as an image (its <title> is not read by every screen reader).
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))  # noqa: S308
