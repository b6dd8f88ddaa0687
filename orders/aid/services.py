"""Writes to the aid ledger, settlements and the certificate check.

Ledger entries are written inside the transaction of the event that causes them (``mark_paid``,
``_complete_refund``, ``record_counter_sale``), goods only: a shipping fee is not money delivered to a
merchant, so ``reconcile_ledger`` subtracts captured shipping and adds back refunded shipping. The
database refuses a second credit for an order line or counter sale line and a second debit for a
refund line, so a replayed or concurrent event cannot count twice.

A line of an order placed with a coupon (``orders.coupons``) is credited the goods actually paid, its total less its
share of the discount (``OrderLine.paid_total``), and a refund of part of it debits the paid share of the units
given back, recorded on the refund (``refund.lines[i]["amount"]``, from ``OrderLine.paid_share``), so a line
refunded in parts nets out exactly.

A consumption voucher's part (``orders.vouchers``) is paid to the producer by the voucher batch's budget: a line's
credit is what the shopper paid plus the voucher's part (``paid_total + voucher_discount``), and the entry records
the ``sponsor`` and that ``sponsored`` part. A refund debits the voucher's share of the refunded units too (recorded on
the refund, ``refund.lines[i]["voucher"]``), as a negative ``sponsored``, and gives it back to the batch's budget
(``orders.vouchers.services.return_refunded``). A counter sale with a voucher is credited the same way.
"""

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.certificates import certificates_by_product, qualifying_certificate
from catalog.models import Certificate, Location, Merchant, Product
from catalog.notifications import notify_operators
from core.scopes import User
from core.users import acting_user
from orders.aid.certificates import expired_certificates, newly_expired_certificates
from orders.aid.impact import mark_impact_stale
from orders.aid.settings import aid_settings
from orders.aid.statements import statement
from orders.models import (
    AidChannel,
    AidLedgerEntry,
    CounterSale,
    Order,
    OrderLine,
    Payment,
    Refund,
    SettledEntry,
    Settlement,
)
from orders.state import OrderError, lock_order
from orders.vouchers.services import return_refunded


class SettlementError(OrderError):
    """A settlement that is refused; the message is meant for the operator."""


def _place(merchant: Merchant) -> dict[str, str]:
    return {"township": merchant.township, "village": merchant.village, "paired_county": merchant.paired_county}


def _snapshot(certificate: Certificate | None) -> dict:
    """The ledger's copy of the certificate that qualified a line (or none)."""
    if certificate is None:
        return {"certificate": None, "certificate_number": "", "certificate_issuer": ""}
    return {
        "certificate": certificate,
        "certificate_number": certificate.number,
        "certificate_issuer": certificate.issuer,
    }


class _Qualifier:
    """The aid certificate qualifying each of ``products`` on one day, all looked up in one query (a paid
    order's application stays one statement per table however many lines it has)."""

    def __init__(self, day: date, products: Iterable[Product]):
        self.day = day
        self.products = {product.pk: product for product in products}
        self.found: dict[int, Certificate | None] | None = None  # looked up at the first call (a refund may need none)

    def __call__(self, product: Product) -> dict:
        if self.found is None:
            found = certificates_by_product(self.products.values(), self.day)
            self.found = {pk: entry["aid"] for pk, entry in found.items()}
        if product.pk not in self.found:
            self.found[product.pk] = qualifying_certificate(product, self.day)
        return _snapshot(self.found[product.pk])


def _write(entries: list[AidLedgerEntry]) -> list[AidLedgerEntry]:
    """Insert the entries; the cached impact figures are dropped once the transaction commits."""
    if not entries:
        return []
    created = AidLedgerEntry.objects.bulk_create(entries)
    transaction.on_commit(mark_impact_stale)
    return created


def paying_payment(order: Order) -> Payment | None:
    """The payment that paid the order (its first succeeded payment of the order total); None while unpaid, and
    for an order that was never paid (a payment arriving after it expired or was cancelled pays nothing)."""
    if order.paid_at is None:
        return None
    return (
        order.payments.filter(status=Payment.Status.SUCCEEDED, amount=order.total)
        .order_by("succeeded_at", "pk")
        .first()
    )


def paid_at(order: Order) -> datetime:
    """When the money for the order arrived: its paying payment's time, else when it was marked paid."""
    payment = (
        order.payments.filter(status=Payment.Status.SUCCEEDED, amount=order.total)
        .order_by("succeeded_at", "pk")
        .first()
    )
    if payment is not None and payment.succeeded_at is not None:
        return payment.succeeded_at
    return order.paid_at or timezone.now()


def order_channel(order: Order) -> str:
    """The channel of an order's entries: ``institution`` for an order placed by an organisation's bulk order
    (``Order.bulk_order``), ``online`` for a shopper's. Counter sales are ``counter`` (``credit_counter_sale``)."""
    return AidChannel.INSTITUTION if order.bulk_order_id else AidChannel.ONLINE


def credit_order(order: Order, *, at: datetime | None = None) -> list[AidLedgerEntry]:
    """One credit per line of an order just paid (call inside ``mark_paid``'s transaction), dated ``at`` (when
    the money arrived; read from its payment when not given), in the order's channel (``order_channel``). Lines
    already read with their merchant, location and product (``order.lines.all()`` prefetched) are used as they
    are."""
    return credit_orders([order], at=at or paid_at(order))


def credit_orders(orders: list[Order], *, at: datetime) -> list[AidLedgerEntry]:
    """``credit_order`` for several orders paid together at ``at``: their certificates looked up in one query,
    their entries written in one insert."""
    lines_by_order = []
    for order in orders:
        lines = order.lines.all()
        if "lines" not in getattr(order, "_prefetched_objects_cache", {}):
            lines = lines.select_related("merchant", "location", "variant__product")
        lines_by_order.append((order, list(lines)))
    qualified = _Qualifier(
        timezone.localdate(at), [line.variant.product for _o, lines in lines_by_order for line in lines]
    )
    return _write(
        [
            AidLedgerEntry(
                kind=AidLedgerEntry.Kind.ORDER_PAID,
                channel=order_channel(order),
                amount=line.paid_total + line.voucher_discount,
                sponsored=line.voucher_discount,
                sponsor=order.voucher_sponsor if line.voucher_discount else "",
                quantity=line.quantity,
                merchant=line.merchant,
                **_place(line.merchant),
                counter=line.location if line.location.kind == Location.Kind.COUNTER else None,
                category_id=line.variant.product.category_id,
                product_id=line.variant.product_id,
                product_name=line.product_name,
                **qualified(line.variant.product),
                order=order,
                order_line=line,
                reference=order.number,
                created_at=at,
            )
            for order, lines in lines_by_order
            for line in lines
        ]
    )


def refund_item_goods(item: dict, line: OrderLine | None) -> int:
    """The goods a refund gives back for one of its items: the paid share recorded with it, else (refunds recorded
    before coupons) the line's unit price times the quantity."""
    if line is None:
        return 0
    if "amount" in item:
        return int(item["amount"])
    return line.unit_price * item["quantity"]


def refund_item_sponsored(item: dict) -> int:
    """The voucher part a refund gives back for one of its items (recorded with it; 0 without a voucher)."""
    return int(item.get("voucher", 0))


def debit_refund(order: Order, refund: Refund) -> list[AidLedgerEntry]:
    """One debit per refunded line, for the paid share of the refunded units (goods only): the amount recorded on
    the refund for each line, else (refunds recorded before discounts) its unit price times the quantity.

    The debit carries the same merchant, place, counter, category, product, certificate and channel as the
    line's credit, so every report nets out (without a credit: the certificate that qualified the line when the order
    was paid). Called when the refund has succeeded, inside that transaction.
    """
    quantities: dict[int, int] = {}
    amounts: dict[int, int] = {}
    sponsored: dict[int, int] = {}
    lines = {line.pk: line for line in order.lines.select_related("merchant", "location", "variant__product")}
    for item in refund.lines:
        quantities[item["line"]] = quantities.get(item["line"], 0) + item["quantity"]
        amounts[item["line"]] = amounts.get(item["line"], 0) + refund_item_goods(item, lines.get(item["line"]))
        sponsored[item["line"]] = sponsored.get(item["line"], 0) + refund_item_sponsored(item)
    credits = {
        entry.order_line_id: entry
        for entry in AidLedgerEntry.objects.filter(order_line_id__in=quantities, kind=AidLedgerEntry.Kind.ORDER_PAID)
    }
    qualified = _Qualifier(
        timezone.localdate(order.paid_at or refund.updated_at), [line.variant.product for line in lines.values()]
    )
    entries = []
    for pk, quantity in quantities.items():
        line = lines.get(pk)
        if line is None or quantity <= 0:
            continue
        credit = credits.get(pk)
        if credit is not None:
            source = {
                "merchant_id": credit.merchant_id,
                "township": credit.township,
                "village": credit.village,
                "paired_county": credit.paired_county,
                "counter_id": credit.counter_id,
                "category_id": credit.category_id,
                "product_id": credit.product_id,
                "certificate_id": credit.certificate_id,
                "certificate_number": credit.certificate_number,
                "certificate_issuer": credit.certificate_issuer,
                "channel": credit.channel,
            }
        else:
            source = {
                "merchant_id": line.merchant_id,
                **_place(line.merchant),
                "counter_id": line.location_id if line.location.kind == Location.Kind.COUNTER else None,
                "category_id": line.variant.product.category_id,
                "product_id": line.variant.product_id,
                **qualified(line.variant.product),
                "channel": order_channel(order),
            }
        entries.append(
            AidLedgerEntry(
                kind=AidLedgerEntry.Kind.ORDER_REFUND,
                amount=-amounts[pk] - sponsored[pk],
                sponsored=-sponsored[pk],
                sponsor=order.voucher_sponsor if sponsored[pk] else "",
                quantity=-quantity,
                product_name=line.product_name,
                order=order,
                order_line=line,
                refund=refund,
                reference=order.number,
                created_at=refund.updated_at,
                **source,
            )
        )
    return_refunded(order, sum(-entry.sponsored for entry in entries))
    return _write(entries)


def credit_counter_sale(sale: CounterSale) -> list[AidLedgerEntry]:
    """One credit per line of a counter sale (call inside ``record_counter_sale``'s transaction), carrying how the
    customer paid, and a voucher's part of the line with its sponsor."""
    lines = list(sale.lines.select_related("merchant", "variant__product"))
    sponsor = sale.voucher.batch.sponsor if sale.voucher_discount else ""
    qualified = _Qualifier(timezone.localdate(sale.created_at), [line.variant.product for line in lines])
    return _write(
        [
            AidLedgerEntry(
                kind=AidLedgerEntry.Kind.COUNTER_SALE,
                channel=AidChannel.COUNTER,
                amount=line.line_total,
                sponsored=line.voucher_discount,
                sponsor=sponsor if line.voucher_discount else "",
                quantity=line.quantity,
                merchant=line.merchant,
                **_place(line.merchant),
                counter_id=sale.location_id,
                category_id=line.variant.product.category_id,
                product_id=line.variant.product_id,
                product_name=line.product_name,
                **qualified(line.variant.product),
                counter_sale=sale,
                counter_sale_line=line,
                payment_method=sale.payment_method,
                reference=sale.number,
                created_at=sale.created_at,
            )
            for line in lines
        ]
    )


def backfill() -> int:
    """Write the entries missing for paid orders, succeeded refunds and counter sales recorded before the
    ledger existed; returns how many were written. Idempotent: documents with entries are skipped.

    Each document is credited in its own transaction under the order lock (or the sale's), with the times of
    its payment, refund or sale and the merchant's place as it is now.
    """
    written = 0
    credited = AidLedgerEntry.objects.filter(kind=AidLedgerEntry.Kind.ORDER_PAID).values("order_id")
    for order in Order.objects.filter(paid_at__isnull=False).exclude(pk__in=credited).order_by("pk"):
        with transaction.atomic():
            lock_order(order)
            if not AidLedgerEntry.objects.filter(order=order, kind=AidLedgerEntry.Kind.ORDER_PAID).exists():
                written += len(credit_order(order))
    debited = AidLedgerEntry.objects.filter(kind=AidLedgerEntry.Kind.ORDER_REFUND).values("refund_id")
    refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED).exclude(pk__in=debited).exclude(lines=[])
    for refund in refunds.select_related("order").order_by("pk"):
        with transaction.atomic():
            lock_order(refund.order)
            if not AidLedgerEntry.objects.filter(refund=refund).exists():
                written += len(debit_refund(refund.order, refund))
    sold = AidLedgerEntry.objects.filter(kind=AidLedgerEntry.Kind.COUNTER_SALE).values("counter_sale_id")
    for sale in CounterSale.objects.exclude(pk__in=sold).order_by("pk"):
        with transaction.atomic():
            CounterSale.objects.select_for_update().get(pk=sale.pk)
            if not AidLedgerEntry.objects.filter(counter_sale=sale).exists():
                written += len(credit_counter_sale(sale))
    return written


def settle(merchant: Merchant, period_start: date, period_end: date, *, actor: User | None) -> Settlement:
    """Mark the merchant's open statement to ``period_end`` settled, with the fee in force now.

    The merchant row is locked so two operators cannot settle the same entries; each entry can be
    covered once (``SettledEntry``'s key), and entries written later fall into the next statement.
    """
    if period_start > period_end:
        raise SettlementError(_("The period must start before it ends."))
    if period_end >= timezone.localdate():
        raise SettlementError(_("Only a period that has ended can be settled."))
    with transaction.atomic():
        Merchant.objects.select_for_update().get(pk=merchant.pk)
        result = statement(
            merchant, period_start, period_end, fee_basis_points=aid_settings()["platform_fee_basis_points"]
        )
        if not result.entries:
            raise SettlementError(_("There is nothing to settle for this merchant and period."))
        settlement = Settlement.objects.create(
            merchant=merchant,
            period_start=period_start,
            period_end=period_end,
            gross=result.gross,
            refunds=result.refunds,
            fee_basis_points=result.fee_basis_points,
            fee=result.fee,
            net=result.net,
            entry_count=len(result.entries),
            settled_by=acting_user(actor),
        )
        SettledEntry.objects.bulk_create(SettledEntry(entry=entry, settlement=settlement) for entry in result.entries)
    return settlement


def check_certificates(today: date | None = None) -> int:
    """Record lapsed aid certificates as expired and warn operators once about each expired one; returns how
    many expired certificates were found.

    The aid badge and, when the setting says so, the product's availability follow the certificate
    dates on every page (``orders.aid.certificates``); this check tells the operators. The outbox key
    names the certificate and its date, so each certificate is reported once.
    """
    today = today or timezone.localdate()
    hidden = aid_settings()["hide_expired_products"]
    found = 0
    with transaction.atomic():
        newly_expired_certificates(today)
        for certificate in expired_certificates(today).prefetch_related("products").order_by("pk"):
            found += 1
            payload = {
                "kind": "merchant",
                "name": certificate.merchant.name,
                "number": certificate.number,
                "issuer": certificate.issuer or "-",
                "valid_until": certificate.valid_until.isoformat(),
                "hidden": hidden,
            }
            if certificate.scope == Certificate.Scope.PRODUCTS:
                names = "、".join(product.name for product in certificate.products.all())
                payload.update(kind="product", name=names, merchant=certificate.merchant.name)
            notify_operators(
                template="certificate_expired",
                payload=payload,
                key=f"certificate-expired-{certificate.pk}-{certificate.valid_until.isoformat()}",
            )
    return found
