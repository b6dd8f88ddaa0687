"""Charts drawn on the server as inline SVG: no script and nothing loaded from another site.

Amounts are integer fen; a chart scales them to pixels with integer arithmetic and labels them in
yuan. Negative amounts (more refunded than sold in a group) are drawn left of, or below, the zero line.
``bars`` gives the rows of a bar list a template lays out in HTML (its text stays readable on a phone).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.money import format_fen

WIDTH = 720
LABEL_WIDTH = 200
VALUE_WIDTH = 110
ROW_HEIGHT = 26
BAR_HEIGHT = 18
COLUMN_AREA_HEIGHT = 200
AXIS_HEIGHT = 46


def _span(values: Sequence[int]) -> tuple[int, int]:
    """The largest positive and the largest negative magnitude (at least 1 together, to divide by)."""
    positive = max([v for v in values if v > 0], default=0)
    negative = max([-v for v in values if v < 0], default=0)
    if positive + negative == 0:
        positive = 1
    return positive, negative


def _truncate(label: str, length: int) -> str:
    return label if len(label) <= length else f"{label[: length - 1]}…"


def bar_chart(items: Sequence[tuple[str, int]], *, title: str) -> SafeString:
    """Horizontal bars, one per ``(label, fen)``, with the amount at the end of each bar."""
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    positive, negative = _span([value for _label, value in items])
    zero = LABEL_WIDTH + area * negative // (positive + negative)
    height = max(len(items), 1) * ROW_HEIGHT + 8
    rows = []
    for index, (label, value) in enumerate(items):
        y = 4 + index * ROW_HEIGHT
        length = area * abs(value) // (positive + negative)
        x = zero if value >= 0 else zero - length
        rows.append(
            (
                LABEL_WIDTH - 8,
                y + BAR_HEIGHT - 4,
                _truncate(label, 16),
                label,
                x,
                y,
                max(length, 1),
                BAR_HEIGHT,
                "chart-bar chart-bar--negative" if value < 0 else "chart-bar",
                format_fen(value),
                WIDTH - VALUE_WIDTH + 8,
                y + BAR_HEIGHT - 4,
                format_fen(value),
            )
        )
    body = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}<title>{}</title></text>'
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>'
        '<text x="{}" y="{}" class="chart-value">{}</text>',
        rows,
    )
    return format_html(
        '<svg class="aid-chart" role="img" viewBox="0 0 {} {}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>{}"
        '<line x1="{}" y1="0" x2="{}" y2="{}" class="chart-axis"/></svg>',
        WIDTH,
        height,
        title,
        body,
        zero,
        zero,
        height,
    )


def column_chart(points: Sequence[tuple[str, int]], *, title: str) -> SafeString:
    """Vertical columns over time, one per ``(label, fen)``, labelled below; the amount shows on hover."""
    positive, negative = _span([value for _label, value in points])
    zero = 8 + COLUMN_AREA_HEIGHT * positive // (positive + negative)
    count = max(len(points), 1)
    slot = (WIDTH - 16) // count
    width = max(slot * 3 // 4, 1)
    height = 8 + COLUMN_AREA_HEIGHT + AXIS_HEIGHT
    every = max(1, count // 12)
    columns = []
    for index, (label, value) in enumerate(points):
        length = COLUMN_AREA_HEIGHT * abs(value) // (positive + negative)
        x = 8 + index * slot + (slot - width) // 2
        y = zero - length if value >= 0 else zero
        shown = label if index % every == 0 else ""
        columns.append(
            (
                x,
                y,
                width,
                max(length, 1),
                "chart-bar chart-bar--negative" if value < 0 else "chart-bar",
                f"{label}: {format_fen(value)}",
                x + width // 2,
                8 + COLUMN_AREA_HEIGHT + 18,
                shown,
            )
        )
    body = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>'
        '<text x="{}" y="{}" text-anchor="middle" class="chart-label">{}</text>',
        columns,
    )
    return format_html(
        '<svg class="aid-chart" role="img" viewBox="0 0 {} {}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        '<title>{}</title><line x1="8" y1="{}" x2="{}" y2="{}" class="chart-axis"/>{}</svg>',
        WIDTH,
        height,
        title,
        zero,
        WIDTH - 8,
        zero,
        body,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    amount: int
    share: int  # the bar's length: a whole percentage of the largest magnitude

    @property
    def negative(self) -> bool:
        return self.amount < 0


def bars(items: Sequence[tuple[str, int]]) -> list[Bar]:
    """One ``Bar`` per ``(label, fen)``, in the given order; a non-zero amount gets at least 1 %."""
    largest = max((abs(value) for _label, value in items), default=0) or 1
    return [Bar(label, value, max(abs(value) * 100 // largest, 1 if value else 0)) for label, value in items]
