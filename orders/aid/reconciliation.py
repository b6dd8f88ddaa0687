"""Reconciling the aid ledger with the money: payments less refunds less net shipping plus counter sales,
document by document (``manage.py reconcile_ledger``).

Every entry is reconciled, certified or not: the money does not know about certificates. Beside that, the
ledger's net is split into certified (aid, ``orders.aid.selectors.CERTIFIED``) and uncertified sales, and the
two must add up to it, so the aid figures the reports show are a part of a ledger that balances.

The goods the money says per order line are what was paid for them: the line total less its share of a coupon's
discount (``OrderLine.paid_total``), and for a refund the paid share recorded on it (``refund_item_goods``).

A consumption voucher's part is money from its sponsor's budget, not from a payment: ``sponsored`` adds the voucher
parts of paid lines and counter sales and takes off those refunds gave back (``refund_item_sponsored``), and a
counter sale's money is what the customer paid (``CounterSale.customer_paid``)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import F, Min, QuerySet, Sum

from orders.aid.reports import certification_split, day_start, report_totals
from orders.aid.selectors import CERTIFIED_ONLY, UNCERTIFIED_ONLY
from orders.aid.services import refund_item_goods, refund_item_sponsored
from orders.models import AidLedgerEntry, CounterSale, Order, Payment, Refund


@dataclass
class Document:
    """One order, counter sale or stray entry: what its money says the ledger should hold, and what it holds."""

    reference: str
    payments: int = 0
    refunds: int = 0
    shipping_captured: int = 0
    shipping_refunded: int = 0
    counter_sales: int = 0
    sponsored: int = 0
    ledger: int = 0
    # Per line (order line or counter-sale line id): [label, goods the money says, goods in the ledger].
    lines: dict[int, list] = field(default_factory=dict)

    def line(self, pk: int, label: str) -> list:
        return self.lines.setdefault(pk, [label, 0, 0])

    @property
    def differing_lines(self) -> list[tuple[str, int, int]]:
        return [(label, expected, ledger) for label, expected, ledger in self.lines.values() if expected != ledger]

    @property
    def expected(self) -> int:
        return (
            self.payments
            - self.refunds
            - self.shipping_captured
            + self.shipping_refunded
            + self.counter_sales
            + self.sponsored
        )

    @property
    def difference(self) -> int:
        return self.ledger - self.expected


@dataclass
class Reconciliation:
    """Ledger credits less debits against payments less refunds less net shipping plus counter sales."""

    credits: int
    debits: int
    documents: dict[tuple[str, int], Document]
    certified: int = 0  # net of the certified entries (the aid figure)
    uncertified: int = 0  # net of the uncertified entries

    @property
    def split_differs(self) -> bool:
        """Certified plus uncertified is not the ledger's net (each entry must be exactly one of the two)."""
        return self.certified + self.uncertified != self.credits - self.debits

    def total(self, name: str) -> int:
        return sum(getattr(document, name) for document in self.documents.values())

    @property
    def differences(self) -> list[Document]:
        return sorted(
            (d for d in self.documents.values() if d.difference or d.differing_lines), key=lambda d: d.reference
        )

    @property
    def balanced(self) -> bool:
        return not self.differences and not self.split_differs


def reconcile(date_from: date | None = None, date_to: date | None = None) -> Reconciliation:
    """Compare the ledger with the money, document by document, from local day ``date_from`` to ``date_to``.

    Each side is attributed to the period by its own time: a payment by when it succeeded, an order's
    shipping fee by its paying payment, a refund by when it succeeded (its last update), a counter sale
    by when it was recorded; ledger entries carry these same times.
    """
    start = day_start(date_from) if date_from else None
    end = day_start(date_to + timedelta(days=1)) if date_to else None

    def inside(moment: datetime | None) -> bool:
        return moment is not None and (start is None or moment >= start) and (end is None or moment < end)

    def within(queryset: QuerySet, name: str, margin: timedelta = timedelta(0)) -> QuerySet:
        if start is not None:
            queryset = queryset.filter(**{f"{name}__gte": start - margin})
        if end is not None:
            queryset = queryset.filter(**{f"{name}__lt": end + margin})
        return queryset

    documents: dict[tuple[str, int], Document] = {}

    def order_document(order_id: int, number: str) -> Document:
        return documents.setdefault(("order", order_id), Document(number))

    payments = within(Payment.objects.filter(status=Payment.Status.SUCCEEDED), "succeeded_at")
    for payment in payments.select_related("order").order_by("pk"):
        order_document(payment.order_id, payment.order.number).payments += payment.amount

    # The paying payment succeeded just before the order was marked paid: look a day around the period.
    paid_orders = within(Order.objects.filter(paid_at__isnull=False), "paid_at", timedelta(days=1))
    for order in paid_orders.prefetch_related("payments", "lines").order_by("pk"):
        paying = sorted(
            (p for p in order.payments.all() if p.status == Payment.Status.SUCCEEDED and p.amount == order.total),
            key=lambda p: (p.succeeded_at, p.pk),
        )
        moment = paying[0].succeeded_at if paying and paying[0].succeeded_at else order.paid_at
        if inside(moment):
            document = order_document(order.pk, order.number)
            document.shipping_captured += order.shipping_fee
            for line in order.lines.all():
                document.line(line.pk, f"{line.sku} {line.product_name}")[1] += line.paid_total + line.voucher_discount
                document.sponsored += line.voucher_discount

    refunds = within(Refund.objects.filter(status=Refund.Status.SUCCEEDED), "updated_at")
    # The payment that paid each refunded order; a refund of any other payment (a late or second one, which
    # never credited the ledger) only gives that money back: no goods, no shipping.
    paying: dict[int, int] = {}
    candidates = Payment.objects.filter(
        status=Payment.Status.SUCCEEDED,
        order__paid_at__isnull=False,
        amount=F("order__total"),
        order__in=refunds.values("order_id"),
    )
    for order_id, payment_id in candidates.order_by("-succeeded_at", "-pk").values_list("order_id", "pk"):
        paying[order_id] = payment_id
    for refund in refunds.select_related("order").prefetch_related("order__lines").order_by("pk"):
        lines = {line.pk: line for line in refund.order.lines.all()}
        document = order_document(refund.order_id, refund.order.number)
        if paying.get(refund.order_id) != refund.payment_id:
            document.refunds += refund.amount
            continue
        goods = 0
        for item in refund.lines:
            line = lines.get(item["line"])
            if line is not None:
                amount = refund_item_goods(item, line)
                goods += amount
                document.sponsored -= refund_item_sponsored(item)
                document.line(line.pk, f"{line.sku} {line.product_name}")[1] -= amount + refund_item_sponsored(item)
        document.refunds += refund.amount
        document.shipping_refunded += refund.amount - goods

    for sale in within(CounterSale.objects.all(), "created_at").prefetch_related("lines").order_by("pk"):
        document = documents.setdefault(("sale", sale.pk), Document(sale.number))
        document.counter_sales += sale.customer_paid
        document.sponsored += sale.voucher_discount
        for line in sale.lines.all():
            document.line(line.pk, f"{line.sku} {line.product_name}")[1] += line.line_total

    entries = within(AidLedgerEntry.objects.order_by(), "created_at")
    grouped = entries.values(
        "order_id", "order_line_id", "counter_sale_id", "counter_sale_line_id", "reference", "product_name"
    ).annotate(amount=Sum("amount"), first=Min("pk"))
    for row in grouped:
        if row["order_id"]:
            key, line = ("order", row["order_id"]), row["order_line_id"]
        elif row["counter_sale_id"]:
            key, line = ("sale", row["counter_sale_id"]), row["counter_sale_line_id"]
        else:
            key, line = ("entry", row["first"]), None
        document = documents.setdefault(key, Document(row["reference"]))
        document.ledger += row["amount"]
        if line is not None:
            document.line(line, row["product_name"])[2] += row["amount"]
    totals = report_totals(entries)
    split = certification_split(entries)
    return Reconciliation(
        credits=totals["credits"],
        debits=totals["debits"],
        documents=documents,
        certified=split[CERTIFIED_ONLY]["net"],
        uncertified=split[UNCERTIFIED_ONLY]["net"],
    )
