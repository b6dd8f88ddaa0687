"""Document numbers: ``DX<date>-<id>`` for orders, ``CS<date>-<id>`` for counter sales.

The date is the day in Asia/Shanghai (the shop's day, whatever the server's time zone); the id has
six digits or more.
"""

from zoneinfo import ZoneInfo

from django.utils import timezone

from orders.models import CounterSale, Order

SHANGHAI = ZoneInfo("Asia/Shanghai")


def order_number(order: Order) -> str:
    """``DX<date in Asia/Shanghai>-<id, 6 digits or more>``, e.g. DX20261129-000123."""
    return f"DX{timezone.localtime(order.created_at, SHANGHAI):%Y%m%d}-{order.pk:06d}"


def counter_sale_number(sale: CounterSale) -> str:
    """``CS<date in Asia/Shanghai>-<id, 6 digits or more>``, e.g. CS20261129-000042."""
    return f"CS{timezone.localtime(sale.created_at, SHANGHAI):%Y%m%d}-{sale.pk:06d}"
