"""Illustrations for the demo catalogue, drawn with Pillow: no downloads, no fonts.

Each category has its own motif (oranges with leaves, Tujia brocade diamonds, amber
bottles, tea leaves...). A seed string varies colours and layout, so every product
gets its own picture, and the same seed always gives the same bytes.
"""

import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw

SIZE = 800
SCALE = 2  # draw at twice the size, then downsample for smooth edges

Colour = tuple[int, int, int]

# Tujia brocade (西兰卡普) palette: deep red, black, gold, indigo, green, white.
BROCADE = [(170, 28, 40), (24, 20, 22), (232, 176, 46), (36, 58, 128), (40, 128, 78), (245, 238, 220)]


def seeded(seed: str) -> random.Random:
    """A generator that gives the same sequence for the same seed (for pictures and demo figures, not secrets)."""
    return random.Random(seed)  # noqa: S311


def _jitter(rng: random.Random, colour: Colour, amount: int = 18) -> Colour:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)  # type: ignore[return-value]


def _gradient(size: tuple[int, int], top: Colour, bottom: Colour) -> Image.Image:
    """A vertical gradient from ``top`` to ``bottom``."""
    column = Image.new("RGB", (1, 256))
    column.putdata([tuple(round(a + (b - a) * y / 255) for a, b in zip(top, bottom, strict=True)) for y in range(256)])
    return column.resize(size, Image.Resampling.BILINEAR)


def _leaf(draw: ImageDraw.ImageDraw, cx: float, cy: float, length: float, angle: float, colour: Colour) -> None:
    """A pointed leaf with a midrib, rotated by ``angle`` radians around its base."""
    points = []
    for i in range(41):
        t = i / 40
        along = length * t
        across = math.sin(math.pi * t) * length * 0.28
        points.append((along, across))
    points += [(along, -across) for along, across in reversed(points)]
    cos, sin = math.cos(angle), math.sin(angle)
    rotated = [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points]
    draw.polygon(rotated, fill=colour)
    vein = tuple(min(255, c + 60) for c in colour)
    draw.line(
        [(cx, cy), (cx + length * 0.95 * cos, cy + length * 0.95 * sin)], fill=vein, width=max(2, int(length / 40))
    )


def _citrus(draw: ImageDraw.ImageDraw, rng: random.Random, s: int) -> None:
    peel = _jitter(rng, rng.choice([(243, 128, 24), (250, 160, 30), (236, 100, 20)]), 10)
    fruits = [(0.36, 0.58, 0.22), (0.66, 0.62, 0.2), (0.52, 0.36, 0.18)][: rng.randint(2, 3)]
    for fx, fy, fr in fruits:
        cx, cy, r = (fx + rng.uniform(-0.04, 0.04)) * s, (fy + rng.uniform(-0.04, 0.04)) * s, fr * s
        _leaf(draw, cx + r * 0.1, cy - r * 0.9, r * 0.9, rng.uniform(-2.6, -1.9), _jitter(rng, (46, 125, 50)))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=peel)
        highlight = tuple(min(255, c + 50) for c in peel)
        draw.ellipse([cx - r * 0.55, cy - r * 0.6, cx - r * 0.15, cy - r * 0.25], fill=highlight)
        draw.ellipse([cx - r * 0.06, cy - r * 1.02, cx + r * 0.06, cy - r * 0.9], fill=(90, 70, 30))


def _brocade(draw: ImageDraw.ImageDraw, rng: random.Random, s: int) -> None:
    colours = BROCADE[:]
    rng.shuffle(colours)
    ground = colours.pop(0)
    draw.rectangle([0, 0, s, s], fill=ground)
    cells = rng.choice([4, 5, 6])
    step = s / cells
    for row in range(cells + 1):
        for col in range(cells + 1):
            cx, cy = col * step, row * step
            for ring, colour in enumerate(colours[:4]):
                half = step / 2 * (1 - ring * 0.22)
                draw.polygon([(cx, cy - half), (cx + half, cy), (cx, cy + half), (cx - half, cy)], fill=colour)
            hook = step * 0.08
            draw.rectangle([cx - hook, cy - hook, cx + hook, cy + hook], fill=ground)
    band = s * 0.06
    for y in (0, s - band):
        draw.rectangle([0, y, s, y + band], fill=colours[0])
        for x in range(0, s, int(band)):
            draw.polygon(
                [(x, y + band / 2), (x + band / 2, y), (x + band, y + band / 2), (x + band / 2, y + band)],
                fill=colours[1],
            )


def _bottle(draw: ImageDraw.ImageDraw, rng: random.Random, s: int, liquid: Colour) -> None:
    cx = s * rng.uniform(0.45, 0.55)
    body_w, body_top, body_bottom = s * 0.3, s * 0.38, s * 0.86
    draw.rounded_rectangle([cx - body_w / 2, body_top, cx + body_w / 2, body_bottom], radius=s * 0.06, fill=liquid)
    draw.polygon(
        [
            (cx - body_w / 2, body_top + s * 0.04),
            (cx - s * 0.05, s * 0.24),
            (cx + s * 0.05, s * 0.24),
            (cx + body_w / 2, body_top + s * 0.04),
        ],
        fill=liquid,
    )
    draw.rectangle([cx - s * 0.05, s * 0.16, cx + s * 0.05, s * 0.25], fill=liquid)
    draw.rounded_rectangle([cx - s * 0.06, s * 0.12, cx + s * 0.06, s * 0.17], radius=s * 0.01, fill=(120, 30, 30))
    draw.rounded_rectangle(
        [cx - body_w * 0.38, s * 0.55, cx + body_w * 0.38, s * 0.72], radius=s * 0.02, fill=(250, 240, 215)
    )
    draw.rectangle([cx - body_w * 0.3, s * 0.6, cx + body_w * 0.3, s * 0.615], fill=(170, 28, 40))
    draw.rectangle([cx - body_w * 0.2, s * 0.65, cx + body_w * 0.2, s * 0.66], fill=(150, 120, 80))
    shine = tuple(min(255, c + 70) for c in liquid)
    draw.rounded_rectangle(
        [cx - body_w * 0.42, body_top + s * 0.06, cx - body_w * 0.32, s * 0.8], radius=s * 0.02, fill=shine
    )


def _oil(draw: ImageDraw.ImageDraw, rng: random.Random, s: int) -> None:
    for _ in range(rng.randint(3, 5)):
        fx, fy, r = rng.uniform(0.1, 0.9) * s, rng.uniform(0.08, 0.3) * s, s * rng.uniform(0.04, 0.07)
        for k in range(5):
            a = k * 2 * math.pi / 5
            px, py = fx + math.cos(a) * r, fy + math.sin(a) * r
            draw.ellipse([px - r * 0.8, py - r * 0.8, px + r * 0.8, py + r * 0.8], fill=(250, 250, 245))
        draw.ellipse([fx - r * 0.45, fy - r * 0.45, fx + r * 0.45, fy + r * 0.45], fill=(240, 196, 40))
    _bottle(draw, rng, s, _jitter(rng, (214, 150, 30), 16))
    for _ in range(rng.randint(3, 6)):
        _leaf(
            draw,
            rng.uniform(0.05, 0.95) * s,
            rng.uniform(0.8, 0.95) * s,
            s * 0.12,
            rng.uniform(-3.0, -0.2),
            _jitter(rng, (34, 100, 48)),
        )


def _honey(draw: ImageDraw.ImageDraw, rng: random.Random, s: int) -> None:
    r = s * 0.07
    comb = _jitter(rng, (240, 180, 40), 12)
    for row in range(9):
        for col in range(9):
            cx = col * r * 1.75 + (r * 0.87 if row % 2 else 0)
            cy = row * r * 1.5
            if rng.random() < 0.55:
                hexagon = [
                    (cx + r * math.cos(math.pi / 6 + k * math.pi / 3), cy + r * math.sin(math.pi / 6 + k * math.pi / 3))
                    for k in range(6)
                ]
                draw.polygon(hexagon, fill=comb, outline=(190, 120, 20), width=max(2, s // 200))
    _bottle(draw, rng, s, _jitter(rng, (200, 120, 20), 14))


def _tea(draw: ImageDraw.ImageDraw, rng: random.Random, s: int) -> None:
    for _ in range(rng.randint(9, 14)):
        _leaf(
            draw,
            rng.uniform(0.05, 0.95) * s,
            rng.uniform(0.05, 0.95) * s,
            s * rng.uniform(0.14, 0.26),
            rng.uniform(0, 2 * math.pi),
            _jitter(rng, (60, 140, 60), 30),
        )
    cx, cy = s * 0.5, s * 0.62
    draw.ellipse([cx - s * 0.24, cy + s * 0.12, cx + s * 0.24, cy + s * 0.2], fill=(230, 225, 210))
    draw.chord([cx - s * 0.2, cy - s * 0.18, cx + s * 0.2, cy + s * 0.2], 0, 180, fill=(245, 242, 232))
    draw.ellipse([cx - s * 0.2, cy - s * 0.04, cx + s * 0.2, cy + s * 0.04], fill=_jitter(rng, (170, 190, 90), 20))


def _vegetables(draw: ImageDraw.ImageDraw, rng: random.Random, s: int) -> None:
    for _ in range(rng.randint(5, 8)):
        _leaf(
            draw,
            rng.uniform(0.1, 0.9) * s,
            s * 0.95,
            s * rng.uniform(0.3, 0.5),
            rng.uniform(-2.4, -0.7),
            _jitter(rng, (70, 160, 60), 30),
        )
    for _ in range(rng.randint(2, 4)):
        x, y, r = rng.uniform(0.2, 0.8) * s, rng.uniform(0.35, 0.7) * s, s * rng.uniform(0.08, 0.12)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_jitter(rng, (214, 48, 40), 16))
        draw.ellipse([x - r * 0.5, y - r * 0.7, x - r * 0.1, y - r * 0.35], fill=(240, 120, 110))
        _leaf(draw, x, y - r, r * 0.6, -math.pi / 2 + rng.uniform(-0.5, 0.5), (40, 110, 40))
    for _ in range(rng.randint(1, 3)):
        x, y = rng.uniform(0.15, 0.6) * s, rng.uniform(0.2, 0.8) * s
        draw.rounded_rectangle([x, y, x + s * 0.34, y + s * 0.07], radius=s * 0.035, fill=_jitter(rng, (60, 120, 40)))


def _herbs(draw: ImageDraw.ImageDraw, rng: random.Random, s: int) -> None:
    for _ in range(rng.randint(14, 22)):
        x, y, r = rng.uniform(0.05, 0.95) * s, rng.uniform(0.05, 0.95) * s, s * rng.uniform(0.04, 0.08)
        draw.ellipse(
            [x - r, y - r * 0.7, x + r, y + r * 0.7],
            fill=_jitter(rng, (196, 160, 110), 24),
            outline=(130, 95, 60),
            width=max(2, s // 300),
        )
    for _ in range(rng.randint(6, 10)):
        x, y, angle = rng.uniform(0.1, 0.9) * s, rng.uniform(0.1, 0.9) * s, rng.uniform(0, 2 * math.pi)
        length = s * rng.uniform(0.08, 0.13)
        colour = rng.choice([(250, 246, 225), (246, 206, 70)])
        end = (x + math.cos(angle) * length, y + math.sin(angle) * length)
        draw.line([(x, y), end], fill=colour, width=int(s * 0.025))
        draw.ellipse([end[0] - s * 0.02, end[1] - s * 0.02, end[0] + s * 0.02, end[1] + s * 0.02], fill=colour)


def _grain(draw: ImageDraw.ImageDraw, rng: random.Random, s: int) -> None:
    sack = _jitter(rng, (196, 170, 120), 14)
    draw.rounded_rectangle([s * 0.25, s * 0.3, s * 0.75, s * 0.88], radius=s * 0.08, fill=sack)
    draw.polygon([(s * 0.3, s * 0.32), (s * 0.38, s * 0.18), (s * 0.62, s * 0.18), (s * 0.7, s * 0.32)], fill=sack)
    draw.rectangle([s * 0.33, s * 0.3, s * 0.67, s * 0.33], fill=(120, 80, 40))
    draw.rectangle([s * 0.32, s * 0.5, s * 0.68, s * 0.66], fill=(170, 28, 40))
    for _ in range(160):
        x, y = rng.uniform(0.02, 0.98) * s, rng.uniform(0.84, 0.98) * s
        draw.ellipse([x - s * 0.012, y - s * 0.006, x + s * 0.012, y + s * 0.006], fill=(248, 244, 228))


MOTIFS: dict[str, tuple[Colour, Colour, Callable[[ImageDraw.ImageDraw, random.Random, int], None]]] = {
    "citrus": ((255, 236, 200), (252, 200, 120), _citrus),
    "brocade": ((0, 0, 0), (0, 0, 0), _brocade),
    "oil": ((250, 238, 205), (226, 196, 140), _oil),
    "honey": ((255, 246, 214), (246, 214, 140), _honey),
    "tea": ((226, 242, 214), (170, 210, 150), _tea),
    "vegetables": ((236, 248, 226), (196, 228, 176), _vegetables),
    "herbs": ((238, 226, 204), (210, 188, 150), _herbs),
    "grain": ((246, 236, 214), (222, 204, 168), _grain),
}


def _to_jpeg(image: Image.Image) -> bytes:
    """Downsample the supersampled drawing and encode it."""
    buffer = io.BytesIO()
    image.reduce(SCALE).save(buffer, "JPEG", quality=86, optimize=True)
    return buffer.getvalue()


def product_picture(motif: str, seed: str) -> bytes:
    """An 800x800 JPEG in the category's motif, varied by ``seed``."""
    top, bottom, paint = MOTIFS[motif]
    rng = seeded(seed)
    s = SIZE * SCALE
    image = _gradient((s, s), _jitter(rng, top, 10), _jitter(rng, bottom, 10))
    paint(ImageDraw.Draw(image), rng, s)
    return _to_jpeg(image)


def logo_picture(motif: str, seed: str, colour: Colour) -> bytes:
    """A round 400x400 badge: the merchant's colour around a small version of its motif."""
    s = 400 * SCALE
    motif_image = Image.open(io.BytesIO(product_picture(motif, seed))).resize((int(s * 0.7), int(s * 0.7)))
    image = Image.new("RGB", (s, s), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse([s * 0.04, s * 0.04, s * 0.96, s * 0.96], fill=colour)
    mask = Image.new("L", motif_image.size, 0)
    ImageDraw.Draw(mask).ellipse([0, 0, *motif_image.size], fill=255)
    image.paste(motif_image, (int(s * 0.15), int(s * 0.15)), mask)
    return _to_jpeg(image)


def hero_picture() -> bytes:
    """A 1600x640 banner: terraced Wuling hills under a morning sun, dotted with orange trees."""
    rng = seeded("dexiu-hero")
    width, height = 1600 * SCALE, 640 * SCALE
    image = _gradient((width, height), (255, 214, 150), (200, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse([width * 0.7, height * 0.12, width * 0.8, height * 0.12 + width * 0.1], fill=(255, 170, 60))
    greens = [(120, 170, 110), (84, 146, 84), (52, 120, 66), (34, 96, 52)]
    for layer, colour in enumerate(greens):
        base = height * (0.45 + layer * 0.14)
        phase = rng.uniform(0, math.pi)
        points = [(0, height)]
        for x in range(0, width + 40, 40):
            y = base - math.sin(x / width * math.pi * (1.5 + layer) + phase) * height * 0.08
            points.append((x, y))
        points.append((width, height))
        draw.polygon(points, fill=colour)
        for _ in range(18 + layer * 6):
            x = rng.uniform(0, width)
            y = base - math.sin(x / width * math.pi * (1.5 + layer) + phase) * height * 0.08 + height * 0.05
            r = height * 0.012 * (1 + layer * 0.4)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(246, 140, 30))
    return _to_jpeg(image)
