"""The console's search: what staff type (or scan) finds orders at their counter, and only there.

- six digits, or a link ending in them (what a scanner types from the QR on the order page, which holds the
  code itself): the pickup code — guarded like the code field (``find_pickup_by_code``), and the rows found
  by it hand over in one step, since the customer has shown the code;
- four digits: the end of the customer's phone number; eleven digits: the whole number;
- ``DX…``: the order number; other digits: the end of an order number (its id, e.g. ``42`` for ``…-000042``).
"""

import re
from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext as _

from catalog.models import Location
from core.text import clean_text
from orders.counter.selectors import pickup_with_parts, pickups_matching
from orders.counter.services import CounterError, find_pickup_by_code
from orders.models import Pickup

PICKUP_CODE_RE = re.compile(r"[0-9]{6}")
# What a scanner types from the QR of a pickup code: the code itself, or a link ending in it ("…/123456",
# "…?code=123456").
SCANNED_LINK_RE = re.compile(r"[a-z][a-z0-9+.-]*://[^\s]*?[/=#](?P<code>[0-9]{6})/?", re.IGNORECASE)
ORDER_NUMBER_RE = re.compile(r"DX[0-9]{8}-?[0-9]{6,}", re.IGNORECASE)
MOBILE_RE = re.compile(r"1[0-9]{10}")
MAX_QUERY_LENGTH = 500

Kind = Literal["code", "phone", "mobile", "number", "order_id"]


def pickup_code_from(value: str) -> str | None:
    """The six digits of a pickup code typed (spaces allowed) or scanned from its QR; ``None`` if it is neither."""
    value = value.strip()
    link = SCANNED_LINK_RE.fullmatch(value)
    if link is not None:
        return link.group("code")
    code = re.sub(r"\s", "", value)
    return code if PICKUP_CODE_RE.fullmatch(code) else None


def parse_query(raw: str) -> tuple[Kind, str] | None:
    """What a typed or scanned query is, and its value; ``None`` for anything the console cannot search by."""
    code = pickup_code_from(raw)
    if code is not None:
        return "code", code
    value = re.sub(r"[\s-]", "", raw).upper()
    if ORDER_NUMBER_RE.fullmatch(value):
        return "number", f"{value[:10]}-{value[10:].lstrip('-')}"
    if not value.isascii() or not value.isdigit():
        return None
    if len(value) == 4:
        return "phone", value
    if MOBILE_RE.fullmatch(value):
        return "mobile", value
    if len(value) <= 10:
        return "order_id", f"-{int(value):06d}"
    return None


@dataclass
class CounterSearch:
    """A search's outcome: the rows found and, for a search by code, the code the rows hand over with."""

    query: str
    kind: Kind | None = None
    pickups: list[Pickup] = field(default_factory=list)
    code: str = ""
    error: str = ""


def search_counter(location: Location, raw: str) -> CounterSearch:
    """Find orders at ``location`` (only there) by what was typed or scanned (see the module's rules)."""
    query = clean_text(raw)[:MAX_QUERY_LENGTH]
    parsed = parse_query(query)
    if parsed is None:
        return CounterSearch(
            query,
            error=_("Type or scan the pickup code, or type the last 4 digits of the phone number or the order number."),
        )
    kind, value = parsed
    if kind == "code":
        try:
            pickup = find_pickup_by_code(location, value)
        except CounterError as error:
            return CounterSearch(query, kind, error=str(error))
        return CounterSearch(query, kind, [pickup_with_parts(pickup)], code=value)
    lookup = {"phone": "phone_last4", "mobile": "phone", "number": "number", "order_id": "number_suffix"}[kind]
    pickups = pickups_matching(location, **{lookup: value})
    if not pickups:
        return CounterSearch(query, kind, error=_("No order at this counter matches “%(query)s”.") % {"query": query})
    return CounterSearch(query, kind, pickups)
