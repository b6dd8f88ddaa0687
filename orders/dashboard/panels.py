"""The orders' dashboard panels.

Merchants: delivery parts to ship and this month's sales. Counter staff: pickups to prepare, pickups waiting
for their customer (and for how long), today's walk-in sales. Operators: orders flagged for review and
merchants whose settlement is due.
"""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.selectors import member_merchant_ids, staffed_location_ids
from core.dashboard import DashboardPanel, Item, Summary, waited
from core.money import format_fen
from orders.aid.selectors import ALL_SALES
from orders.dashboard import selectors
from orders.models import Pickup

LATE_SHIPMENT = datetime.timedelta(days=2)  # a paid delivery part still unshipped after this is late
LONG_WAIT = datetime.timedelta(days=3)  # a packed pickup uncollected after this stands out


def _items_text(units: int | None) -> str:
    units = units or 0
    return ngettext("%(count)d item", "%(count)d items", units) % {"count": units}


# -- Merchants -----------------------------------------------------------------------------


class PartsToShipPanel(DashboardPanel):
    """Paid delivery parts of the user's merchants not shipped yet, each linking to its "mark shipped" form."""

    name = "parts-to-ship"
    heading = gettext_lazy("Parts to ship")
    icon = "tasks"
    order = 110
    empty_text = gettext_lazy("Nothing to ship: every paid delivery has gone out.")
    more_label = gettext_lazy("All fulfilments to ship")

    @classmethod
    def is_shown(cls, user) -> bool:
        return bool(member_merchant_ids(user)) and user.has_perm(selectors.SHIP_PERMISSION)

    def summary(self) -> Summary:
        parts = selectors.parts_to_ship(self.user)
        count = parts.count()
        several = len(member_merchant_ids(self.user)) > 1
        now = timezone.now()
        items = []
        for part in parts[: self.limit] if count else []:
            note = _items_text(part.units)
            if several:
                note = f"{note} · {part.merchant.name}"
            paid_at = part.order.paid_at or part.order.created_at
            items.append(
                Item(
                    label=part.order.number,
                    url=reverse("orders:ship", args=[part.pk]),
                    note=note,
                    detail=_("Paid %(time)s ago") % {"time": waited(paid_at, now)},
                    urgent=now - paid_at >= LATE_SHIPMENT,
                )
            )
        headline = ngettext("%(count)d part to ship", "%(count)d parts to ship", count) % {"count": count}
        return Summary(count, headline, items)

    def more_url(self) -> str:
        return reverse("fulfilments:index") + "?" + urlencode({"status": "pending", "method": "delivery"})


class MonthSalesPanel(DashboardPanel):
    """The user's merchants' net sales this month (the aid ledger: online and at the counters)."""

    name = "month-sales"
    heading = gettext_lazy("This month's sales")
    icon = "doc-full"
    order = 140
    empty_text = gettext_lazy("No sales yet this month.")
    more_label = gettext_lazy("Sales report")

    @classmethod
    def is_shown(cls, user) -> bool:
        return bool(member_merchant_ids(user)) and user.has_perm(selectors.SALES_PERMISSION)

    def summary(self) -> Summary:
        self.sales = sales = selectors.month_sales(self.user)
        headline = _("%(amount)s net sales this month, %(items)s") % {
            "amount": format_fen(sales.amount),
            "items": _items_text(sales.units),
        }
        items = [
            Item(label=row.product_name, detail=f"{format_fen(row.amount)} · {_items_text(row.units)}")
            for row in sales.top_products
        ]
        return Summary(sales.entries, headline, items)

    def more_url(self) -> str:
        start = selectors.month_start()
        # All sales, as this panel counts them (the report's default is certified sales only).
        query = {
            "date_from": start.isoformat(),
            "date_to": timezone.localdate().isoformat(),
            "group_by": "day",
            "certification": ALL_SALES,
        }
        return reverse("aid:report") + "?" + urlencode(query)


# -- Counter staff -------------------------------------------------------------------------


def _staffs_a_counter(user) -> bool:
    return bool(staffed_location_ids(user))


class _CounterPanel(DashboardPanel):
    more_label = gettext_lazy("Open the counter console")

    @classmethod
    def is_shown(cls, user) -> bool:
        return _staffs_a_counter(user) and user.has_perm(selectors.SHIP_PERMISSION)

    def more_url(self) -> str:
        return reverse("counter:home")

    def note(self, pickup: Pickup) -> str:
        return f"{pickup.location.name} · {_items_text(pickup.units)}"


class PickupsToPreparePanel(_CounterPanel):
    """Pickup orders at the user's counters with parts still to pack; each links to its counter's console."""

    name = "pickups-to-prepare"
    heading = gettext_lazy("Orders to prepare")
    icon = "tasks"
    order = 110
    empty_text = gettext_lazy("No orders to prepare: every paid pickup order is packed.")

    def summary(self) -> Summary:
        pickups = selectors.pickups_to_prepare(self.user)
        count = pickups.count()
        now = timezone.now()
        items = [
            Item(
                label=pickup.order.number,
                url=reverse("counter:console", args=[pickup.location_id]),
                note=self.note(pickup),
                detail=_("Paid %(time)s ago") % {"time": waited(pickup.order.paid_at or pickup.created_at, now)},
            )
            for pickup in (pickups[: self.limit] if count else [])
        ]
        headline = ngettext("%(count)d order to prepare", "%(count)d orders to prepare", count) % {"count": count}
        return Summary(count, headline, items)


class WaitingPickupsPanel(_CounterPanel):
    """Packed pickups waiting for their customer, longest first, with how long; each links to its hand-over."""

    name = "waiting-pickups"
    heading = gettext_lazy("Waiting for pickup")
    icon = "user"
    order = 115
    empty_text = gettext_lazy("No packed order is waiting for its customer.")

    def summary(self) -> Summary:
        pickups = selectors.pickups_waiting(self.user)
        count = pickups.count()
        now = timezone.now()
        items = [
            Item(
                label=pickup.order.number,
                url=reverse("counter:hand_over", args=[pickup.pk]),
                note=self.note(pickup),
                detail=_("Waiting %(time)s") % {"time": waited(pickup.ready_at, now)},
                urgent=now - pickup.ready_at >= LONG_WAIT,
            )
            for pickup in (pickups[: self.limit] if count else [])
        ]
        headline = ngettext(
            "%(count)d order is waiting for its customer", "%(count)d orders are waiting for their customers", count
        ) % {"count": count}
        return Summary(count, headline, items)


class CounterSalesPanel(DashboardPanel):
    """Today's walk-in sales at the user's counters: how many, their total, the latest few."""

    name = "counter-sales"
    heading = gettext_lazy("Today's sales")
    icon = "doc-full"
    order = 140
    empty_text = gettext_lazy("No sales recorded at your counters today.")
    more_label = gettext_lazy("Counter sales")

    @classmethod
    def is_shown(cls, user) -> bool:
        return _staffs_a_counter(user) and user.has_perm(selectors.COUNTER_SALES_PERMISSION)

    def summary(self) -> Summary:
        today = selectors.counter_sales_today(self.user, limit=self.limit)
        headline = ngettext(
            "%(amount)s from %(count)d sale today", "%(amount)s from %(count)d sales today", today.count
        ) % {"amount": format_fen(today.amount), "count": today.count}
        items = [
            Item(
                label=sale.number,
                url=reverse("counter:sales", args=[sale.location_id]),
                note=sale.location.name,
                detail=f"{format_fen(sale.total)} · {time_format(timezone.localtime(sale.created_at), 'H:i')}",
            )
            for sale in today.sales
        ]
        return Summary(today.count, headline, items)

    def more_url(self) -> str:
        counters = list(selectors.staffed_counters(self.user).values_list("pk", flat=True)[:2])
        return reverse("counter:sales", args=[counters[0]]) if len(counters) == 1 else reverse("counter:home")


# -- Operators -----------------------------------------------------------------------------


class FlaggedOrdersPanel(DashboardPanel):
    """Orders flagged for review (a late payment, a partial refund...), with why; each links to the order."""

    name = "flagged-orders"
    heading = gettext_lazy("Orders flagged for review")
    icon = "warning"
    order = 110
    empty_text = gettext_lazy("No order is flagged for review.")
    more_label = gettext_lazy("All flagged orders")

    @classmethod
    def is_shown(cls, user) -> bool:
        return user.has_perm(selectors.REVIEW_PERMISSION)

    def summary(self) -> Summary:
        orders = selectors.flagged_orders(self.user)
        count = orders.count()
        items = [
            Item(
                label=order.number,
                url=reverse("orders:inspect", args=[order.pk]),
                note=Truncator(order.flag_note or "").chars(120),
                detail=order.get_status_display(),
                urgent=True,
            )
            for order in (orders[: self.limit] if count else [])
        ]
        headline = ngettext(
            "%(count)d order is flagged for review", "%(count)d orders are flagged for review", count
        ) % {"count": count}
        return Summary(count, headline, items)

    def more_url(self) -> str:
        return reverse("orders:index") + "?" + urlencode({"needs_review": "true"})


class SettlementsDuePanel(DashboardPanel):
    """Merchants with unsettled ledger entries from before this month; each links to its statement."""

    name = "settlements-due"
    heading = gettext_lazy("Settlements due")
    icon = "doc-full"
    order = 130
    empty_text = gettext_lazy("No settlement is due: every merchant is settled up to last month.")
    more_label = gettext_lazy("Settlement statements")

    @classmethod
    def is_shown(cls, user) -> bool:
        return user.has_perm(selectors.SETTLE_PERMISSION)

    def summary(self) -> Summary:
        merchants = selectors.settlements_due(self.user)
        count = merchants.count()
        period_end = selectors.month_start() - datetime.timedelta(days=1)
        period = {"date_from": period_end.replace(day=1).isoformat(), "date_to": period_end.isoformat()}
        items = [
            Item(
                label=merchant.name,
                url=reverse("aid:statement") + "?" + urlencode({"merchant": merchant.pk, **period}),
                note=ngettext(
                    "%(count)d entry since %(date)s", "%(count)d entries since %(date)s", merchant.entry_count
                )
                % {"count": merchant.entry_count, "date": timezone.localdate(merchant.oldest).isoformat()},
                detail=format_fen(merchant.unsettled),
            )
            for merchant in (merchants[: self.limit] if count else [])
        ]
        headline = ngettext(
            "%(count)d merchant is due a settlement", "%(count)d merchants are due a settlement", count
        ) % {"count": count}
        return Summary(count, headline, items)

    def more_url(self) -> str:
        return reverse("aid:statement")
