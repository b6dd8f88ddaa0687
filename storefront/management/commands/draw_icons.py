"""``manage.py draw_icons``: draw the site's PNG icons and ``favicon.ico`` from the shapes of
``storefront/static/storefront/icons/icon.svg`` (written by hand), with Pillow, into that folder.

Run it after changing the SVG and commit the files: the site serves them as they are and never draws
them while running.
"""

from math import sqrt
from pathlib import Path

from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[2] / "static" / "storefront" / "icons"
RED = (163, 22, 43)  # --brand in site.css, the manifest's theme colour
CREAM = (250, 246, 239)  # --sand
GOLD = (232, 176, 46)
# The SVG's shapes on its 64-unit grid: the corner radius, the outer diamond (its centre line, stroke
# width) and the inner diamond's half diagonal.
VIEW, RADIUS, OUTER, STROKE, INNER = 64, 14, 21, 5, 9
SUPERSAMPLE = 8

# name, size, rounded corners (a launcher masks square icons itself: Apple's, and Android's "maskable")
PNGS = [
    ("icon-192.png", 192, True),
    ("icon-512.png", 512, True),
    ("icon-maskable-512.png", 512, False),
    ("apple-touch-icon.png", 180, False),
]
FAVICON_SIZES = [(16, 16), (32, 32), (48, 48)]


def _diamond(centre: float, half: float) -> list[tuple[float, float]]:
    return [(centre, centre - half), (centre + half, centre), (centre, centre + half), (centre - half, centre)]


def draw(size: int, rounded: bool) -> Image.Image:
    """The icon at ``size`` pixels: drawn large and scaled down, for smooth edges."""
    big = size * SUPERSAMPLE
    unit = big / VIEW
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=RADIUS * unit, fill=RED)
    else:
        pen.rectangle((0, 0, big - 1, big - 1), fill=RED)
    centre = big / 2
    # A stroke with mitred corners is the band between two diamonds half a stroke (times √2) either side.
    mitre = STROKE / 2 * sqrt(2)
    pen.polygon(_diamond(centre, (OUTER + mitre) * unit), fill=CREAM)
    pen.polygon(_diamond(centre, (OUTER - mitre) * unit), fill=RED)
    pen.polygon(_diamond(centre, INNER * unit), fill=GOLD)
    return image.resize((size, size), Image.Resampling.LANCZOS)


class Command(BaseCommand):
    help = "Draw the site's PNG icons and favicon.ico from the shapes of icon.svg (then commit them)."

    def handle(self, *args, **options) -> None:
        for name, size, rounded in PNGS:
            icon = draw(size, rounded)
            if not rounded:
                icon = icon.convert("RGB")  # full bleed: no transparency for the launcher to fill
            icon.save(ICONS / name, optimize=True)
            self.stdout.write(f"{name} {size}×{size}")
        draw(256, rounded=True).save(ICONS / "favicon.ico", sizes=FAVICON_SIZES)
        self.stdout.write("favicon.ico " + ", ".join(f"{w}×{h}" for w, h in FAVICON_SIZES))
