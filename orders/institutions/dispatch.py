"""What a merchant hears of a paid bulk order: one message with every parcel it sends, not one per recipient.

A bulk order to 300 recipients is 300 shop orders; their "ship this order" messages (``orders.notifications``)
are left out for orders of a bulk order (``order_paid`` skips them), and each merchant with parcels to send
gets one e-mail when the bulk order is paid: the bulk order's number and organisation, the totals per SKU and
each parcel (order number, recipient, mobile number, address, items). Pickup parts still go to the counter
per order, as for shoppers. Sent through the outbox inside the paying transaction, once per bulk order and
address (its key).
"""

from collections import defaultdict
from typing import Any

from catalog.notifications import EMAIL, STAFF_LANGUAGE, merchant_emails
from orders.models import BulkOrder, DeliveryMethod, Fulfilment, OrderLine
from worker.outbox import enqueue


def merchant_parcels(bulk_order: BulkOrder) -> dict[int, dict[str, Any]]:
    """Per merchant id: its name, totals per SKU and its parcels for delivery (pickup parts are left out)."""
    parts: dict[int, dict[str, Any]] = {}
    lines = (
        OrderLine.objects.filter(order__bulk_order=bulk_order, fulfilment__method=DeliveryMethod.DELIVERY)
        .exclude(fulfilment__status=Fulfilment.Status.CANCELLED)
        .select_related("order", "merchant")
        .order_by("merchant_id", "order_id", "pk")
    )
    totals: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for line in lines:
        part = parts.setdefault(line.merchant_id, {"merchant": line.merchant, "parcels": {}})
        order = line.order
        parcel = part["parcels"].setdefault(
            order.pk,
            {
                "order_number": order.number,
                "fulfilment_id": line.fulfilment_id,
                "contact_name": order.contact_name,
                "contact_phone": order.contact_phone,
                "address": f"{order.province}{order.city}{order.district}{order.street}",
                "items": [],
            },
        )
        parcel["items"].append({"product": line.product_name, "variant": line.variant_name, "quantity": line.quantity})
        total = totals[line.merchant_id].setdefault(
            line.sku, {"sku": line.sku, "product": line.product_name, "variant": line.variant_name, "quantity": 0}
        )
        total["quantity"] += line.quantity
    for merchant_id, part in parts.items():
        part["parcels"] = list(part["parcels"].values())
        part["totals"] = sorted(totals[merchant_id].values(), key=lambda row: row["sku"])
    return parts


def bulk_order_paid(bulk_order: BulkOrder) -> None:
    """Each merchant with parcels in the paid bulk order gets one e-mail listing them (see the module)."""
    for part in merchant_parcels(bulk_order).values():
        payload = {
            "bulk_number": bulk_order.number,
            "organisation": bulk_order.organisation.name,
            "merchant": part["merchant"].name,
            "parcel_count": len(part["parcels"]),
            "totals": part["totals"],
            "parcels": part["parcels"],
        }
        for email in merchant_emails(part["merchant"]):
            enqueue(
                channel=EMAIL,
                template="merchant_bulk_ship",
                recipient=email,
                payload=payload,
                language=STAFF_LANGUAGE,
                key=f"bulk-{bulk_order.pk}-ship-{part['merchant'].pk}-{email}",
            )
