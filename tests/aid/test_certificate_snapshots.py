"""Each aid-ledger entry keeps the certificate that qualified its line when it was sold, and a refund the
certificate of the sale it reverses; later changes to the certificate do not rewrite it."""

from datetime import timedelta

from django.utils import timezone

from catalog.certificates import revoke_certificate
from catalog.models import Certificate
from orders.models import AidLedgerEntry
from orders.payments.services import refund_order
from tests import factories
from tests.aid.helpers import order_of, pay, sell_at_counter

NEXT_YEAR = timezone.localdate() + timedelta(days=365)


def snapshot(entry: AidLedgerEntry) -> tuple:
    entry.refresh_from_db()
    return entry.certificate_id, entry.certificate_number, entry.certificate_issuer


def test_a_paid_line_records_its_certificate_and_an_uncertified_line_none(prog):
    certificate = factories.make_certificate(prog.oil_coop, NEXT_YEAR, number="XSXF-2026-0101")
    order = pay(order_of((prog.oil, 1), (prog.orange, 1)))

    oil = AidLedgerEntry.objects.get(order=order, product=prog.oil.product)
    orange = AidLedgerEntry.objects.get(order=order, product=prog.orange.product)
    assert snapshot(oil) == (certificate.pk, "XSXF-2026-0101", "秀山县乡村振兴局")
    assert snapshot(orange) == (None, "", "")


def test_the_products_own_certificate_is_preferred_to_the_merchants(prog):
    factories.make_certificate(prog.oil_coop, NEXT_YEAR, number="PRODUCER-1")
    own = factories.make_certificate(prog.oil.product, NEXT_YEAR, number="PRODUCT-1", issuer="重庆市乡村振兴局")
    order = pay(order_of((prog.oil, 1)))

    assert snapshot(AidLedgerEntry.objects.get(order=order)) == (own.pk, "PRODUCT-1", "重庆市乡村振兴局")


def test_submitted_rejected_and_expired_certificates_qualify_nothing(prog):
    yesterday = timezone.localdate() - timedelta(days=1)
    factories.make_certificate(prog.oil_coop, NEXT_YEAR, status=Certificate.Status.SUBMITTED, number="WAITING")
    factories.make_certificate(prog.oil_coop, NEXT_YEAR, status=Certificate.Status.REJECTED, number="NO")
    factories.make_certificate(prog.oil.product, yesterday, number="OLD")
    order = pay(order_of((prog.oil, 1)))

    assert snapshot(AidLedgerEntry.objects.get(order=order)) == (None, "", "")


def test_the_snapshot_survives_revoking_and_renumbering_and_a_later_refund_carries_it(prog, operator):
    certificate = factories.make_certificate(prog.oil_coop, NEXT_YEAR, number="XSXF-2026-0101")
    order = pay(order_of((prog.oil, 3)))
    credit = AidLedgerEntry.objects.get(order=order)

    revoke_certificate(certificate, actor=operator, reason="认定被撤销")
    Certificate.objects.filter(pk=certificate.pk).update(number="XSXF-2026-9999", issuer="改过的机构")
    line = order.lines.get()
    refund_order(order, actor=operator, reason="破损", lines={line.pk: 1})

    assert snapshot(credit) == (certificate.pk, "XSXF-2026-0101", "秀山县乡村振兴局")
    debit = AidLedgerEntry.objects.get(kind=AidLedgerEntry.Kind.ORDER_REFUND)
    assert snapshot(debit) == (certificate.pk, "XSXF-2026-0101", "秀山县乡村振兴局")  # the sale's, not today's
    # Sold after the revocation: not certified.
    later = pay(order_of((prog.oil, 1)))
    assert snapshot(AidLedgerEntry.objects.get(order=later)) == (None, "", "")


def test_a_counter_sale_records_the_certificate_valid_at_the_sale(prog):
    certificate = factories.make_certificate(prog.brocade, NEXT_YEAR, number="XSXF-2026-0202")
    sale = sell_at_counter(prog.decheng_counter, (prog.orange, 2), (prog.cabbage, 1))

    entries = {e.product_id: e for e in AidLedgerEntry.objects.filter(counter_sale=sale)}
    assert snapshot(entries[prog.orange.product_id]) == (certificate.pk, "XSXF-2026-0202", "秀山县乡村振兴局")
    assert snapshot(entries[prog.cabbage.product_id]) == (None, "", "")


def test_a_refund_of_a_sale_made_while_certified_keeps_that_certificate_after_it_expired(prog, operator):
    certificate = factories.make_certificate(prog.oil_coop, NEXT_YEAR, number="XSXF-2026-0303")
    order = pay(order_of((prog.oil, 1)))
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=timezone.localdate() - timedelta(days=1))

    refund_order(order, actor=operator, reason="取消")

    debit = AidLedgerEntry.objects.get(kind=AidLedgerEntry.Kind.ORDER_REFUND)
    assert snapshot(debit) == (certificate.pk, "XSXF-2026-0303", "秀山县乡村振兴局")
